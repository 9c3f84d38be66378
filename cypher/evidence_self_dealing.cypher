// evidence_self_dealing: a seller, its puppet buyers, the identifiers they share, their trades.
//
// Returns paths: the identifiers the seller shares with each puppet, and each puppet's
// trades with the seller.
//
// @param seller_id string  the self-dealing seller
// @param puppets list  the buyers the flag names (`puppets` in its evidence)
MATCH p = (:Account {id: $seller_id})-[:USES]->(:Identifier)<-[:USES]-(b:Account)
WHERE b.id IN $puppets
RETURN p
UNION
MATCH p = (b:Account)-[:BOUGHT_FROM]->(:Account {id: $seller_id})
WHERE b.id IN $puppets
RETURN p

// self_dealer_graph: a seller, its puppet buyers and the identifiers they share.
//
// Puppets are the seller's buyers in its own linked-account cluster (needs a snapshot written
// back). Paths seller <- puppet -> cluster, and seller <- puppet -> identifier <- seller for
// each device, card, phone or id the puppet shares with the seller itself (for Browser).
//
// @param account_id string  the seller
// @param limit integer = 200  at most this many paths of each kind
MATCH p = (s:Account {id: $account_id})<-[:BOUGHT_FROM]-(:Account)-[:MEMBER_OF]->(c:Cluster)
WHERE (s)-[:MEMBER_OF]->(c)
RETURN p LIMIT toInteger($limit)
UNION
MATCH p = (s:Account {id: $account_id})<-[:BOUGHT_FROM]-(:Account)-[:USES]->(:Identifier)<-[:USES]-(s)
RETURN p LIMIT toInteger($limit)

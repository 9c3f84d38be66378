// evidence_top_buyers: a seller's biggest buyers by amount (where its revenue comes from).
//
// Returns paths, one per buyer, the largest first.
//
// @param seller_id string  the seller
// @param limit integer = 10  at most this many buyers
MATCH p = (:Account)-[t:BOUGHT_FROM]->(:Account {id: $seller_id})
RETURN p
ORDER BY t.amount DESC
LIMIT toInteger($limit)

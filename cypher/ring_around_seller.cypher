// ring_around_seller: the sellers that share buyers with a seller (the block a ring forms).
//
// For each other seller bought from by the seller's buyers: how many buyers they share, who
// they are, and the ring both sit in when a snapshot's findings have been written back. A
// fake-reputation ring shows as a set of sellers sharing most of their buyers.
//
// @param seller_id string  the seller to start from
// @param min_shared integer = 2  leave out sellers sharing fewer buyers than this
// @param limit integer = 25  at most this many sellers
MATCH (s:Account {id: $seller_id})<-[:BOUGHT_FROM]-(b:Account)-[:BOUGHT_FROM]->(other:Account)
WHERE other <> s
WITH s, other, b
ORDER BY b.id
WITH s, other, collect(b.id) AS buyers
WHERE size(buyers) >= $min_shared
OPTIONAL MATCH (s)-[:MEMBER_OF]->(ring:Ring)<-[:MEMBER_OF]-(other)
WITH other, buyers, collect(DISTINCT ring.id) AS rings
RETURN other.id AS seller_id,
       size(buyers) AS shared_buyers,
       buyers[..50] AS buyers,
       rings
ORDER BY shared_buyers DESC, seller_id
LIMIT toInteger($limit)

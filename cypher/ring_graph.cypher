// ring_graph: a fake-reputation ring drawn as its buyers x sellers mesh (for Neo4j Browser).
//
// Needs a snapshot written back. Every BOUGHT_FROM between the ring's buyers and its sellers,
// as paths: Browser draws the dense block; `orders` on each relationship counts the orders.
//
// @param ring_id string  the ring
// @param limit integer = 500  at most this many buyer-seller pairs
MATCH (r:Ring {id: $ring_id})<-[:MEMBER_OF {role: 'seller'}]-(s:Account)
MATCH p = (b:Account)-[:BOUGHT_FROM]->(s)
WHERE (b)-[:MEMBER_OF {role: 'buyer'}]->(r)
RETURN p
LIMIT toInteger($limit)

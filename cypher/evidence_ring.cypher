// evidence_ring: a suspected ring drawn as its buyers x sellers mesh (for Neo4j Browser).
//
// Needs a snapshot written back. Returns paths: each trade between the ring's buyers and its
// sellers, through the sellers' ring membership, so Browser draws the mesh and the ring.
//
// @param ring_id string  the ring (`ring_id` in rings.parquet)
// @param limit integer = 300  at most this many paths
MATCH (r:Ring {id: $ring_id})<-[:MEMBER_OF {role: 'buyer'}]-(b:Account)
MATCH p = (b)-[:BOUGHT_FROM]->(s:Account)-[:MEMBER_OF {role: 'seller'}]->(r)
RETURN p
LIMIT toInteger($limit)

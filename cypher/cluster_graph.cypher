// cluster_graph: a linked-account cluster drawn with its members, their loans and the
// identifiers they share (for Neo4j Browser).
//
// Needs a snapshot written back. Cluster ids are the snapshot's (`cluster_id`).
//
// @param cluster_id string  the cluster
// @param limit integer = 300  at most this many paths of each kind
MATCH p = (:Cluster {id: $cluster_id})<-[:MEMBER_OF]-(:Account)-[:APPLIED_FOR]->(:Loan)
RETURN p LIMIT toInteger($limit)
UNION
MATCH (c:Cluster {id: $cluster_id})<-[:MEMBER_OF]-(a:Account)
MATCH p = (c)<-[:MEMBER_OF]-(a)-[:USES]->(:Identifier)<-[:USES]-(:Account)-[:MEMBER_OF]->(c)
RETURN p LIMIT toInteger($limit)

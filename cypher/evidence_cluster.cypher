// evidence_cluster: a linked-account cluster with the identifiers that bind it and its loans.
//
// Needs a snapshot written back. Returns paths: each member with the identifiers it shares
// with another member of the cluster, and the loans the members applied for.
//
// @param cluster_id string  the cluster (`cluster_id` in clusters.parquet)
// @param limit integer = 300  at most this many paths of each kind
MATCH (c:Cluster {id: $cluster_id})<-[:MEMBER_OF]-(a:Account)-[:USES]->(i:Identifier)
WHERE COUNT { (i)<-[:USES]-(:Account)-[:MEMBER_OF]->(c) } >= 2
MATCH p = (c)<-[:MEMBER_OF]-(a)-[:USES]->(i)
RETURN p
LIMIT toInteger($limit)
UNION
MATCH p = (:Cluster {id: $cluster_id})<-[:MEMBER_OF]-(:Account)-[:APPLIED_FOR]->(:Loan)
RETURN p
LIMIT toInteger($limit)

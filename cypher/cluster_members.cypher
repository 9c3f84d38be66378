// cluster_members: the accounts of one linked-account cluster, with their verdicts.
//
// Needs a snapshot written back. Cluster ids are the snapshot's (`cluster_id` in
// clusters.parquet and accounts.parquet, e.g. from account_flags).
//
// @param cluster_id string  the cluster
MATCH (c:Cluster {id: $cluster_id})<-[:MEMBER_OF]-(a:Account)
RETURN c.id AS cluster_id,
       c.size AS size,
       c.identifier_kinds AS identifier_kinds,
       a.id AS account_id,
       a.status AS status,
       a.risk_level AS risk_level,
       a.risk_score AS risk_score
ORDER BY account_id

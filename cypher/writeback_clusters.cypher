// writeback_clusters: merge one batch of linked-account clusters and their MEMBER_OF edges.
//
// @param rows list  maps {id, size, identifier_kinds, members}
// @param snapshot_id string  the snapshot the clusters come from
UNWIND $rows AS row
MERGE (c:Cluster {id: row.id})
SET c.size = row.size,
    c.identifier_kinds = row.identifier_kinds,
    c.snapshot_id = $snapshot_id
WITH c, row
UNWIND row.members AS member
MATCH (a:Account {id: member})
MERGE (a)-[m:MEMBER_OF {role: 'member'}]->(c)
RETURN count(m) AS memberships

// writeback_clear_groups: delete one batch of a previous snapshot's Cluster and Ring nodes.
//
// @param limit integer = 10000  nodes deleted per transaction
MATCH (g)
WHERE g:Cluster OR g:Ring
WITH g LIMIT $limit
DETACH DELETE g
RETURN count(*) AS deleted

// gds_louvain: Louvain communities of the shared-identifier projection, weighted by shared values.
//
// Needs gds_project_shared (and a snapshot written back, for the comparison). Louvain splits
// what WCC lumps together, but still counts a hub IP like a card: compare its communities with
// linkguard's clusters beside them.
//
// @param limit integer = 10  at most this many communities
CALL gds.louvain.stream('linkguard-shared', {relationshipWeightProperty: 'shared'})
YIELD nodeId, communityId
WITH communityId, collect(gds.util.asNode(nodeId)) AS members
WITH communityId, members, size(members) AS size
ORDER BY size DESC, communityId
LIMIT toInteger($limit)
CALL (members) {
  UNWIND members AS m
  OPTIONAL MATCH (m)-[:MEMBER_OF]->(c:Cluster)
  RETURN count(DISTINCT c) AS clusters, count(DISTINCT CASE WHEN c IS NOT NULL THEN m END) AS clustered
}
RETURN communityId AS community,
       size AS accounts,
       clustered AS in_linkguard_clusters,
       clusters AS linkguard_clusters,
       [m IN members[..5] | m.id] AS some_accounts
ORDER BY accounts DESC, community

// gds_louvain: Louvain communities of the shared-identifier graph, weighted by shared values (GDS).
//
// Projects `linkguard-shared` as gds_wcc does. Louvain splits what WCC lumps together, but
// still counts a hub IP like a card: its communities beside linkguard's clusters (needs a
// snapshot written back).
//
// @param limit integer = 10  at most this many communities
CALL () {
  CALL gds.graph.drop('linkguard-shared', false) YIELD graphName
  RETURN count(graphName) AS dropped
}
MATCH (a:Account)-[:USES]->(i:Identifier)<-[:USES]-(b:Account)
WHERE a.id < b.id
WITH a, b, count(DISTINCT i) AS shared
WITH gds.graph.project(
  'linkguard-shared', a, b,
  {relationshipProperties: {shared: shared}},
  {undirectedRelationshipTypes: ['*']}
) AS g
CALL gds.louvain.stream(g.graphName, {relationshipWeightProperty: 'shared'})
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

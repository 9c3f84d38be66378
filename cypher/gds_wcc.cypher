// gds_wcc: the largest weakly connected components of the shared-identifier graph (GDS).
//
// Projects `linkguard-shared` (replacing an older projection): one undirected relationship per
// pair of accounts that use the same identifier, weighted by how many they share, the way
// Neo4j's fraud-detection example links users; every shared value counts, a public Wi-Fi IP as
// much as a card. Beside each component: how many of its accounts linkguard put in a
// linked-account cluster, and in how many clusters (needs a snapshot written back). One hub
// value joins hundreds of unrelated accounts into one component; linkguard's hub-weighted
// clusters keep them apart.
//
// @param limit integer = 10  at most this many components
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
CALL gds.wcc.stream(g.graphName) YIELD nodeId, componentId
WITH componentId, collect(gds.util.asNode(nodeId)) AS members
WITH componentId, members, size(members) AS size
ORDER BY size DESC, componentId
LIMIT toInteger($limit)
CALL (members) {
  UNWIND members AS m
  OPTIONAL MATCH (m)-[:MEMBER_OF]->(c:Cluster)
  RETURN count(DISTINCT c) AS clusters, count(DISTINCT CASE WHEN c IS NOT NULL THEN m END) AS clustered
}
RETURN componentId AS component,
       size AS accounts,
       clustered AS in_linkguard_clusters,
       clusters AS linkguard_clusters,
       [m IN members[..5] | m.id] AS some_accounts
ORDER BY accounts DESC, component

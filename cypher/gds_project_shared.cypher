// gds_project_shared: project accounts linked by shared identifiers for Graph Data Science.
//
// Builds the in-memory graph `linkguard-shared` (replacing an older one): one undirected
// relationship per pair of accounts that use the same identifier, weighted by how many they
// share, the way Neo4j's fraud-detection example links users. Every shared value counts here,
// a public Wi-Fi IP as much as a card; linkguard's clusters weigh a value down by how many
// accounts use it. Run it before gds_wcc and gds_louvain.
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
RETURN g.graphName AS graph, g.nodeCount AS accounts, g.relationshipCount AS links

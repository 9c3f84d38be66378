// gds_project_uses: project accounts and the identifiers they use for Graph Data Science.
//
// Builds the in-memory graph `linkguard-uses` (replacing an older one) of the USES
// relationships, for node similarity: two accounts are similar when they use the same
// identifiers. Run it before gds_node_similarity.
CALL () {
  CALL gds.graph.drop('linkguard-uses', false) YIELD graphName
  RETURN count(graphName) AS dropped
}
MATCH (a:Account)-[:USES]->(i:Identifier)
WITH gds.graph.project('linkguard-uses', a, i) AS g
RETURN g.graphName AS graph, g.nodeCount AS nodes, g.relationshipCount AS uses

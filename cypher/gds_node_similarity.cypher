// gds_node_similarity: account pairs using the most similar sets of identifiers (GDS, Jaccard).
//
// Projects `linkguard-uses` (accounts and the identifiers they use; replacing an older
// projection) and gives each account's most similar other account, and whether linkguard put
// the two in one linked-account cluster (needs a snapshot written back).
//
// @param cutoff float = 0.2  least Jaccard similarity shown
// @param limit integer = 25  at most this many pairs
CALL () {
  CALL gds.graph.drop('linkguard-uses', false) YIELD graphName
  RETURN count(graphName) AS dropped
}
MATCH (a:Account)-[:USES]->(i:Identifier)
WITH gds.graph.project('linkguard-uses', a, i) AS g
CALL gds.nodeSimilarity.stream(g.graphName, {topK: 1, similarityCutoff: toFloat($cutoff)})
YIELD node1, node2, similarity
WITH gds.util.asNode(node1) AS a, gds.util.asNode(node2) AS b, similarity
WHERE a.id < b.id
OPTIONAL MATCH (a)-[:MEMBER_OF]->(c:Cluster)<-[:MEMBER_OF]-(b)
RETURN a.id AS account,
       b.id AS similar_account,
       round(similarity, 3) AS jaccard,
       c IS NOT NULL AS same_linkguard_cluster
ORDER BY jaccard DESC, account, similar_account
LIMIT toInteger($limit)

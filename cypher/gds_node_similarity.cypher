// gds_node_similarity: account pairs that use the most similar sets of identifiers (Jaccard).
//
// Needs gds_project_uses (and a snapshot written back, for the comparison). Each account's
// most similar other account, and whether linkguard put the two in one linked-account cluster.
//
// @param cutoff float = 0.2  least Jaccard similarity shown
// @param limit integer = 25  at most this many pairs
CALL gds.nodeSimilarity.stream('linkguard-uses', {topK: 1, similarityCutoff: toFloat($cutoff)})
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

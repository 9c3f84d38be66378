// gds_wcc: the largest weakly connected components of the shared-identifier projection.
//
// Needs gds_project_shared (and a snapshot written back, for the comparison). Beside each
// component: how many of its accounts linkguard put in a linked-account cluster and in how many
// clusters. One hub value (a public Wi-Fi IP, an office address) joins hundreds of unrelated
// accounts into one component; linkguard's hub-weighted clusters keep them apart.
//
// @param limit integer = 10  at most this many components
CALL gds.wcc.stream('linkguard-shared') YIELD nodeId, componentId
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

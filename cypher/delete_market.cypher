// delete_market: delete one batch of linkguard's nodes (and their relationships).
//
// Run repeatedly until it reports 0: small transactions keep the server's memory flat however
// large the graph is. Nodes with other labels are left alone.
//
// @param limit integer = 10000  nodes deleted per transaction
MATCH (n)
WHERE n:Account OR n:Identifier OR n:Loan OR n:Cluster OR n:Ring
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted

// account_graph: an account's neighbourhood as a graph, for Neo4j Browser.
//
// The account, its identifiers with the other accounts using them, its trade partners, its
// loans, and the clusters and rings it belongs to. Returns paths: draw them in Browser (the
// command line prints them as nodes and relationships).
//
// @param account_id string  the account
// @param limit integer = 100  at most this many paths
MATCH p = (a:Account {id: $account_id})-[:USES]->(:Identifier)<-[:USES]-(:Account)
RETURN p LIMIT toInteger($limit)
UNION
MATCH p = (a:Account {id: $account_id})-[:BOUGHT_FROM|APPLIED_FOR|MEMBER_OF]-()
RETURN p LIMIT toInteger($limit)

// shortest_path_graph: the shortest chain of trades and shared identifiers between two
// accounts, drawn (for Neo4j Browser); shortest_path lists the same chain as text.
//
// @param from_id string  one account
// @param to_id string  the other account
MATCH (a:Account {id: $from_id}), (b:Account {id: $to_id})
WHERE a <> b
MATCH p = shortestPath((a)-[:BOUGHT_FROM|USES*..12]-(b))
RETURN p

// shortest_path: the shortest chain of trades and shared identifiers between two accounts.
//
// Steps are BOUGHT_FROM in either direction (a trade) and USES (through an identifier both
// accounts use, which counts as two steps). The pattern stops at 12 steps.
//
// @param from_id string  one account
// @param to_id string  the other account
MATCH (a:Account {id: $from_id}), (b:Account {id: $to_id})
WHERE a <> b
MATCH p = shortestPath((a)-[:BOUGHT_FROM|USES*..12]-(b))
RETURN length(p) AS length,
       [n IN nodes(p) | CASE WHEN n:Account THEN n.id ELSE n.kind + ':' + n.hash END] AS nodes,
       [r IN relationships(p) | type(r)] AS relationships

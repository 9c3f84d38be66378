// cycle_graph: the payment cycles through an account, drawn (for Neo4j Browser).
//
// The paths of money_cycles: BOUGHT_FROM (buyer -> seller) back to the start through distinct
// accounts in at most `max_length` hops (2 to 6).
//
// @param account_id string  the account the cycles pass through
// @param max_length integer = 4  longest cycle in hops (2 to 6)
// @param limit integer = 25  at most this many cycles
MATCH p = (a:Account {id: $account_id})-[:BOUGHT_FROM*2..6]->(a)
WHERE length(p) <= $max_length
  AND all(k IN range(0, length(p) - 2) WHERE NOT nodes(p)[k] IN nodes(p)[k + 1..-1])
RETURN p
LIMIT toInteger($limit)

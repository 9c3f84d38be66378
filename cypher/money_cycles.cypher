// money_cycles: cycles of payments through an account (A pays B pays C pays A).
//
// Follows BOUGHT_FROM (buyer -> seller, the way money flows) back to the start, through
// distinct accounts, in at most `max_length` hops. Cypher takes no parameter in a path
// length bound, so the pattern stops at 6 hops and `max_length` filters below that; every
// hop adds a factor of the accounts' trade degree, so keep it small on large graphs.
// `amounts` and `orders` sum every order of each hop's buyer-seller pair; `order_ids` lists
// them, so a CIRCULAR_TRADE flag's evidence orders can be found among them (only orders in
// time order, of similar amounts and inside the window make a round).
//
// @param account_id string  the account the cycles pass through
// @param max_length integer = 4  longest cycle in hops (2 to 6)
// @param limit integer = 25  at most this many cycles
MATCH p = (a:Account {id: $account_id})-[:BOUGHT_FROM*2..6]->(a)
WHERE length(p) <= $max_length
WITH p, [n IN nodes(p)[..-1] | n.id] AS accounts
WHERE all(k IN range(0, size(accounts) - 2) WHERE NOT accounts[k] IN accounts[k + 1..])
WITH p, accounts, [r IN relationships(p) | r.amount] AS amounts
RETURN accounts,
       length(p) AS length,
       amounts,
       [r IN relationships(p) | r.orders] AS orders,
       [r IN relationships(p) | r.order_ids] AS order_ids,
       reduce(low = amounts[0], x IN amounts | CASE WHEN x < low THEN x ELSE low END)
         AS smallest_hop_amount
ORDER BY length, accounts
LIMIT toInteger($limit)

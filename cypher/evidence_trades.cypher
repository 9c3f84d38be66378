// evidence_trades: the trades from some buyers to some sellers (a lockstep group, a money cycle).
//
// Returns paths, one per buyer -> seller pair that traded: a lockstep group's buyers and
// shops, or a money cycle's accounts given as both lists.
//
// @param buyers list  the paying accounts
// @param sellers list  the paid accounts
// @param limit integer = 300  at most this many paths
MATCH p = (b:Account)-[:BOUGHT_FROM]->(s:Account)
WHERE b.id IN $buyers AND s.id IN $sellers
RETURN p
LIMIT toInteger($limit)

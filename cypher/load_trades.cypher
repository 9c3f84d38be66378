// load_trades: merge one batch of buyer -> seller BOUGHT_FROM relationships.
//
// One relationship per (buyer, seller) pair carries the aggregates (orders, amount, first_at,
// last_at) and, in parallel lists, every order behind it: order_ids, amounts, times and
// confirmed_times (epoch microseconds, UTC; -9223372036854775808 when never confirmed),
// ratings (NaN when unrated), statuses and rows (position in the ingested orders table).
// SET replaces all of them, so loading the same market again changes nothing.
//
// @param rows list  maps {buyer, seller, orders, amount, first_s, first_ns, last_s, last_ns,
//                   order_ids, amounts, times, confirmed_times, ratings, statuses, rows}
UNWIND $rows AS row
MATCH (b:Account {id: row.buyer})
MATCH (s:Account {id: row.seller})
MERGE (b)-[r:BOUGHT_FROM]->(s)
SET r.orders = row.orders,
    r.amount = row.amount,
    r.first_at = datetime({epochSeconds: row.first_s, nanosecond: row.first_ns}),
    r.last_at = datetime({epochSeconds: row.last_s, nanosecond: row.last_ns}),
    r.order_ids = row.order_ids,
    r.amounts = row.amounts,
    r.times = row.times,
    r.confirmed_times = row.confirmed_times,
    r.ratings = row.ratings,
    r.statuses = row.statuses,
    r.rows = row.rows

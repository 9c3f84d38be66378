// read_trades: every BOUGHT_FROM relationship with the per-order lists behind it.
MATCH (b:Account)-[r:BOUGHT_FROM]->(s:Account)
RETURN b.id AS buyer,
       s.id AS seller,
       r.order_ids AS order_ids,
       r.amounts AS amounts,
       r.times AS times,
       r.confirmed_times AS confirmed_times,
       r.ratings AS ratings,
       r.statuses AS statuses,
       r.rows AS rows

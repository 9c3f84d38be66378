// top_concentrated_sellers: sellers whose revenue comes from the fewest buyers.
//
// Needs a snapshot written back (`linkguard neo4j load DATA --snapshot SNAP`): the
// concentration figures are the snapshot's. HHI runs from 0 to 10,000; above 2,500 is high.
//
// @param limit integer = 20  at most this many sellers
// @param min_orders integer = 0  leave out sellers with fewer revenue orders than this
MATCH (s:Account)
WHERE s.hhi IS NOT NULL AND s.sales_orders >= $min_orders
RETURN s.id AS seller_id,
       s.hhi AS hhi,
       s.top1_share AS top1_share,
       s.top5_share AS top5_share,
       s.gmv AS gmv,
       s.adjusted_gmv AS adjusted_gmv,
       s.sales_orders AS orders,
       s.sales_buyers AS buyers,
       s.risk_level AS risk_level
ORDER BY hhi DESC, seller_id
LIMIT toInteger($limit)

// writeback_concentration: write one batch of sellers' concentration figures onto them.
//
// @param rows list  maps {id, hhi, top1_share, top5_share, gmv, adjusted_gmv, orders, buyers,
//                   linked_buyer_share, ring_buyer_share}
// @param snapshot_id string  the snapshot the figures come from
UNWIND $rows AS row
MATCH (s:Account {id: row.id})
SET s.snapshot_id = $snapshot_id,
    s.hhi = row.hhi,
    s.top1_share = row.top1_share,
    s.top5_share = row.top5_share,
    s.gmv = row.gmv,
    s.adjusted_gmv = row.adjusted_gmv,
    s.sales_orders = row.orders,
    s.sales_buyers = row.buyers,
    s.linked_buyer_share = row.linked_buyer_share,
    s.ring_buyer_share = row.ring_buyer_share
RETURN count(s) AS matched

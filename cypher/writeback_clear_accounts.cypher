// writeback_clear_accounts: remove one batch of a previous snapshot's findings from accounts.
//
// Every account a write-back touches gets `snapshot_id`, so this finds them all through one
// index; run it until it reports 0 before writing a new snapshot.
//
// @param limit integer = 10000  accounts cleared per transaction
MATCH (a:Account)
WHERE a.snapshot_id IS NOT NULL
WITH a LIMIT $limit
REMOVE a:Flagged:Decline:Review:Info:Puppet,
       a.snapshot_id, a.finding_roles, a.risk_level, a.risk_score, a.reason_codes, a.flags, a.cluster_id,
       a.hhi, a.top1_share, a.top5_share, a.gmv, a.adjusted_gmv, a.sales_orders,
       a.sales_buyers, a.linked_buyer_share, a.ring_buyer_share
RETURN count(*) AS cleared

// writeback_accounts: write one batch of a snapshot's account verdicts onto the accounts.
//
// Labels cannot be parameters, so the level's label is set through FOREACH over a list that
// is empty unless the row's level matches: the statement stays fixed and the values stay
// parameters. `flags` is JSON text (code, severity, score, reason, evidence per flag).
//
// @param rows list  maps {id, risk_level, risk_score, reason_codes, flags, cluster_id}
// @param snapshot_id string  the snapshot the verdicts come from
UNWIND $rows AS row
MATCH (a:Account {id: row.id})
SET a.snapshot_id = $snapshot_id,
    a.risk_level = row.risk_level,
    a.risk_score = row.risk_score,
    a.reason_codes = row.reason_codes,
    a.flags = row.flags,
    a.cluster_id = row.cluster_id
FOREACH (_ IN CASE WHEN row.risk_level <> 'none' THEN [1] ELSE [] END | SET a:Flagged)
FOREACH (_ IN CASE WHEN row.risk_level = 'decline' THEN [1] ELSE [] END | SET a:Decline)
FOREACH (_ IN CASE WHEN row.risk_level = 'review' THEN [1] ELSE [] END | SET a:Review)
FOREACH (_ IN CASE WHEN row.risk_level = 'info' THEN [1] ELSE [] END | SET a:Info)
RETURN count(a) AS matched

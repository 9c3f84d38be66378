// account_flags: an account's verdict and flags, as the flag API would answer.
//
// Needs a snapshot written back; an account without findings answers risk_level "none".
// `flags` is JSON text: a list of {code, severity, score, reason, evidence}.
//
// @param account_id string  the account
MATCH (a:Account {id: $account_id})
RETURN a.id AS account_id,
       coalesce(a.risk_level, 'none') AS risk_level,
       coalesce(a.risk_score, 0.0) AS risk_score,
       coalesce(a.reason_codes, []) AS reason_codes,
       a.cluster_id AS cluster_id,
       coalesce(a.flags, '[]') AS flags,
       a.snapshot_id AS snapshot_id

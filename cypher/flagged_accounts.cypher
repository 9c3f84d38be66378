// flagged_accounts: the riskiest flagged accounts, optionally of one risk level.
//
// Needs a snapshot written back.
//
// @param level string = null  decline, review or info; null for every level
// @param limit integer = 25  at most this many accounts
MATCH (a:Flagged)
WHERE $level IS NULL OR a.risk_level = $level
RETURN a.id AS account_id,
       a.risk_level AS risk_level,
       a.risk_score AS risk_score,
       a.reason_codes AS reason_codes,
       a.cluster_id AS cluster_id
ORDER BY risk_score DESC, account_id
LIMIT toInteger($limit)

// load_loans: merge one batch of loans and the APPLIED_FOR relationship from their account.
//
// `first_overdue` and `defaulted` are 0 or 1, or null while not yet known; `seq` is the loan's
// position in the ingested loans table.
//
// @param rows list  maps {id, seq, account, applied_s, applied_ns, amount, product, decision,
//                   first_overdue, defaulted}
UNWIND $rows AS row
MERGE (l:Loan {id: row.id})
SET l.seq = row.seq,
    l.applied_at = CASE WHEN row.applied_s IS NULL THEN null
                   ELSE datetime({epochSeconds: row.applied_s, nanosecond: row.applied_ns}) END,
    l.amount = row.amount,
    l.product = row.product,
    l.decision = row.decision,
    l.first_overdue = row.first_overdue,
    l.defaulted = row.defaulted
WITH l, row
MATCH (a:Account {id: row.account})
MERGE (a)-[:APPLIED_FOR]->(l)

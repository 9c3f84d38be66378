// read_loans: every loan with its applicant, in ingest order.
//
// applied_at comes back as seconds and nanoseconds since the epoch (see read_accounts).
MATCH (a:Account)-[:APPLIED_FOR]->(l:Loan)
WITH a, l, duration.inSeconds(datetime({epochSeconds: 0}), l.applied_at) AS since_epoch
RETURN l.id AS id,
       l.seq AS seq,
       a.id AS account,
       since_epoch.seconds AS applied_s,
       since_epoch.nanosecondsOfSecond AS applied_ns,
       l.amount AS amount,
       l.product AS product,
       l.decision AS decision,
       l.first_overdue AS first_overdue,
       l.defaulted AS defaulted
ORDER BY seq, id

// load_accounts: merge one batch of accounts on their id.
//
// Timestamps arrive as whole epoch seconds plus nanoseconds (both integers, computed with
// numpy) because building a driver DateTime per row in Python would cost more than the MERGE.
// An unknown value arrives as null, which leaves the property unset (and removes a stale one).
// `seq` is the account's position in the ingested market, so that reading the graph back
// numbers accounts exactly as ingest did.
//
// @param rows list  maps {id, seq, created_s, created_ns, kind, region, status}
UNWIND $rows AS row
MERGE (a:Account {id: row.id})
SET a.seq = row.seq,
    a.created_at = CASE WHEN row.created_s IS NULL THEN null
                   ELSE datetime({epochSeconds: row.created_s, nanosecond: row.created_ns}) END,
    a.kind = row.kind,
    a.region = row.region,
    a.status = row.status

// bench_csv_accounts: LOAD CSV peer of load_accounts (bench/neo4j_load.py only).
//
// The same MERGE and SET as load_accounts, reading rows from a CSV file in the server's
// import directory; CALL ... IN TRANSACTIONS commits every `batch` rows. Must run in an
// auto-commit transaction. Empty CSV fields read as null.
//
// @param url string  file:///... URL of the CSV file
// @param batch integer = 20000  rows per transaction
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (a:Account {id: row.id})
  SET a.seq = toInteger(row.seq),
      a.created_at = CASE WHEN row.created_s IS NULL THEN null
                     ELSE datetime({epochSeconds: toInteger(row.created_s),
                                    nanosecond: toInteger(row.created_ns)}) END,
      a.kind = row.kind,
      a.region = row.region,
      a.status = row.status
} IN TRANSACTIONS OF $batch ROWS

// bench_csv_loans: LOAD CSV peer of load_loans (bench/neo4j_load.py only).
//
// @param url string  file:///... URL of the CSV file
// @param batch integer = 20000  rows per transaction
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (l:Loan {id: row.id})
  SET l.seq = toInteger(row.seq),
      l.applied_at = CASE WHEN row.applied_s IS NULL THEN null
                     ELSE datetime({epochSeconds: toInteger(row.applied_s),
                                    nanosecond: toInteger(row.applied_ns)}) END,
      l.amount = toFloat(row.amount),
      l.product = row.product,
      l.decision = row.decision,
      l.first_overdue = toInteger(row.first_overdue),
      l.defaulted = toInteger(row.defaulted)
  WITH l, row
  MATCH (a:Account {id: row.account})
  MERGE (a)-[:APPLIED_FOR]->(l)
} IN TRANSACTIONS OF $batch ROWS

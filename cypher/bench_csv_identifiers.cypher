// bench_csv_identifiers: LOAD CSV peer of load_identifiers (bench/neo4j_load.py only).
//
// `rows` holds the identifier row positions joined with '|'.
//
// @param url string  file:///... URL of the CSV file
// @param batch integer = 20000  rows per transaction
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (i:Identifier {kind: row.kind, hash: row.hash})
  WITH i, row
  MATCH (a:Account {id: row.account})
  MERGE (a)-[u:USES]->(i)
  SET u.rows = [x IN split(row.rows, '|') | toInteger(x)]
} IN TRANSACTIONS OF $batch ROWS

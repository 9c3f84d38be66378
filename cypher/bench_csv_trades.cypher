// bench_csv_trades: LOAD CSV peer of load_trades (bench/neo4j_load.py only).
//
// List properties arrive joined with '|' and are split and converted on the server.
//
// @param url string  file:///... URL of the CSV file
// @param batch integer = 20000  rows per transaction
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MATCH (b:Account {id: row.buyer})
  MATCH (s:Account {id: row.seller})
  MERGE (b)-[r:BOUGHT_FROM]->(s)
  SET r.orders = toInteger(row.orders),
      r.amount = toFloat(row.amount),
      r.first_at = datetime({epochSeconds: toInteger(row.first_s),
                             nanosecond: toInteger(row.first_ns)}),
      r.last_at = datetime({epochSeconds: toInteger(row.last_s),
                            nanosecond: toInteger(row.last_ns)}),
      r.order_ids = split(row.order_ids, '|'),
      r.amounts = [x IN split(row.amounts, '|') | toFloat(x)],
      r.times = [x IN split(row.times, '|') | toInteger(x)],
      r.confirmed_times = [x IN split(row.confirmed_times, '|') | toInteger(x)],
      r.ratings = [x IN split(row.ratings, '|') | toFloat(x)],
      r.statuses = split(coalesce(row.statuses, ''), '|'),
      r.rows = [x IN split(row.rows, '|') | toInteger(x)]
} IN TRANSACTIONS OF $batch ROWS

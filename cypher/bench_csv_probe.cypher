// bench_csv_probe: can the server read this CSV file? (bench/neo4j_load.py only)
//
// @param url string  file:///... URL of a small CSV file
LOAD CSV WITH HEADERS FROM $url AS row
RETURN count(row) AS rows

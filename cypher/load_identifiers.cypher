// load_identifiers: merge one batch of identifiers and the USES relationships to them.
//
// One row per distinct (account, kind, hash); `rows` lists the positions of the identifier
// rows behind it in the ingested market (an account may report the same value twice), so the
// graph reads back into an identical market. Hashes are the keyed pseudonyms made at ingest:
// raw values never reach the database.
//
// @param rows list  maps {account, kind, hash, rows}
UNWIND $rows AS row
MERGE (i:Identifier {kind: row.kind, hash: row.hash})
WITH i, row
MATCH (a:Account {id: row.account})
MERGE (a)-[u:USES]->(i)
SET u.rows = row.rows

// read_identifiers: every USES relationship with the identifier rows behind it.
MATCH (a:Account)-[u:USES]->(i:Identifier)
RETURN a.id AS account, i.kind AS kind, i.hash AS hash, u.rows AS rows

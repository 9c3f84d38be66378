// gds_hub_picture: the identifier shared by the most accounts, drawn with its accounts.
//
// The value that glues the largest WCC component together: usually a public IP or an office
// address that linkguard weighs down to nothing.
//
// @param limit integer = 50  at most this many accounts drawn
MATCH (i:Identifier)<-[:USES]-(a:Account)
WITH i, count(a) AS accounts
ORDER BY accounts DESC, i.kind, i.hash
LIMIT 1
MATCH p = (i)<-[:USES]-(:Account)
RETURN p
LIMIT toInteger($limit)

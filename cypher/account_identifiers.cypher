// account_identifiers: the identifiers an account shares, and who else uses each of them.
//
// Only identifiers used by at least one other account are listed, most shared first. A value
// shared by hundreds (public Wi-Fi, an office address) is a hub, not evidence of one owner:
// `shared_with` shows how much weight it deserves.
//
// @param account_id string  the account to look at
// @param limit integer = 50  at most this many other accounts listed per identifier
MATCH (a:Account {id: $account_id})-[:USES]->(i:Identifier)<-[:USES]-(other:Account)
WHERE other <> a
WITH i, other
ORDER BY other.id
WITH i, count(other) AS shared_with, collect(other.id) AS others
RETURN i.kind AS kind,
       i.hash AS hash,
       shared_with,
       others[..toInteger($limit)] AS accounts
ORDER BY shared_with DESC, kind, hash

// schema: constraints and indexes of linkguard's graph, created before any data is loaded
// (the batched MERGE load) or right after the bulk importer wrote the store.
//
// Every MERGE of the loader looks its node up through one of these uniqueness constraints;
// without them each MERGE would scan the whole label. Identifier is keyed on (kind, hash):
// a composite uniqueness constraint works in Community Edition, where node keys do not.
// Every statement is idempotent (IF NOT EXISTS), so running the file again is harmless.
//
// The plain indexes come first: on a filled database (after a bulk import) they fill in the
// background while each constraint below fills and checks its own index, the identifier one
// (the largest) above all.
// Looking an identifier up by its hash alone (an investigator pseudonymises a phone number).
CREATE INDEX linkguard_identifier_hash IF NOT EXISTS
FOR (i:Identifier) ON (i.hash);
// Findings written back from a snapshot: cleared by snapshot_id, listed by level and HHI.
CREATE INDEX linkguard_account_snapshot IF NOT EXISTS
FOR (a:Account) ON (a.snapshot_id);
CREATE INDEX linkguard_account_risk_level IF NOT EXISTS
FOR (a:Account) ON (a.risk_level);
CREATE INDEX linkguard_account_hhi IF NOT EXISTS
FOR (a:Account) ON (a.hhi);
CREATE CONSTRAINT linkguard_identifier_key IF NOT EXISTS
FOR (i:Identifier) REQUIRE (i.kind, i.hash) IS UNIQUE;
CREATE CONSTRAINT linkguard_account_id IF NOT EXISTS
FOR (a:Account) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT linkguard_loan_id IF NOT EXISTS
FOR (l:Loan) REQUIRE l.id IS UNIQUE;
CREATE CONSTRAINT linkguard_cluster_id IF NOT EXISTS
FOR (c:Cluster) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT linkguard_ring_id IF NOT EXISTS
FOR (r:Ring) REQUIRE r.id IS UNIQUE;
// Indexes created on a non-empty database fill in the background; a MERGE running before its
// index is online would scan the label, so wait (up to 300 s) until all are online.
CALL db.awaitIndexes(300);

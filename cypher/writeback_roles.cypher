// writeback_roles: mark accounts by the part they play in another account's finding.
//
// A self-dealing seller's puppet buyers get the label `Puppet` (and `finding_roles`), so
// Browser's style draws them as the seller's accomplices whatever their own risk level
// (a puppet with only an info-level flag of its own would otherwise look safe).
//
// @param rows list  maps {id, roles}: roles is a list such as ["puppet"]
// @param snapshot_id string  the snapshot the roles come from
UNWIND $rows AS row
MATCH (a:Account {id: row.id})
SET a.finding_roles = row.roles,
    a.snapshot_id = $snapshot_id
FOREACH (_ IN CASE WHEN 'puppet' IN row.roles THEN [1] ELSE [] END | SET a:Puppet)
RETURN count(a) AS matched

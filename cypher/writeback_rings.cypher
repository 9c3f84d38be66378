// writeback_rings: merge one batch of suspected fake-reputation rings and their members.
//
// An account can sit in a ring as buyer and as seller: the role is part of the MEMBER_OF
// relationship's key, so each role is one relationship.
//
// @param rows list  maps {id, density, score, size, members: [{id, role}]}
// @param snapshot_id string  the snapshot the rings come from
UNWIND $rows AS row
MERGE (r:Ring {id: row.id})
SET r.density = row.density,
    r.score = row.score,
    r.size = row.size,
    r.snapshot_id = $snapshot_id
WITH r, row
UNWIND row.members AS member
MATCH (a:Account {id: member.id})
MERGE (a)-[m:MEMBER_OF {role: member.role}]->(r)
RETURN count(m) AS memberships

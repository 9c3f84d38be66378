// ring_members: the buyers and sellers of one suspected fake-reputation ring.
//
// Needs a snapshot written back. Ring ids are the snapshot's (`ring_id` in rings.parquet).
//
// @param ring_id string  the ring
MATCH (r:Ring {id: $ring_id})<-[m:MEMBER_OF]-(a:Account)
RETURN r.id AS ring_id,
       r.score AS ring_score,
       r.density AS density,
       a.id AS account_id,
       m.role AS role,
       a.risk_level AS risk_level
ORDER BY role DESC, account_id

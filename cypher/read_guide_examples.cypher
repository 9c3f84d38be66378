// read_guide_examples: ids from the loaded graph for the Browser guide's example parameters.
//
// One row; a column is null when the graph holds no such account, ring or cluster.
MATCH (a:Account)
WITH a ORDER BY a.id LIMIT 1
OPTIONAL MATCH (r:Ring)<-[:MEMBER_OF {role: 'seller'}]-(s:Account)
WITH a, r, s ORDER BY r.score DESC, r.id, s.id LIMIT 1
OPTIONAL MATCH (c:Cluster)<-[:MEMBER_OF]-(m:Account)
WITH a, r, s, c, m, EXISTS { (m)-[:APPLIED_FOR]->(:Loan) } AS borrower
ORDER BY borrower DESC, c.size DESC, c.id, m.id LIMIT 1
OPTIONAL MATCH (d:Flagged) WHERE 'SELF_DEALING' IN d.reason_codes
WITH a, r, s, c, m, d ORDER BY d.risk_score DESC, d.id LIMIT 1
OPTIONAL MATCH (x:Flagged) WHERE 'CIRCULAR_TRADE' IN x.reason_codes
WITH a, r, s, c, m, d, x ORDER BY x.risk_score DESC, x.id LIMIT 1
RETURN a.id AS any_account,
       r.id AS ring_id,
       s.id AS ring_seller,
       c.id AS cluster_id,
       m.id AS cluster_member,
       d.id AS self_dealer,
       x.id AS circular_account,
       x.flags AS circular_flags

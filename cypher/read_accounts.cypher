// read_accounts: every account, in ingest order, for reading the graph back into a Market.
//
// Timestamps come back as epoch seconds plus nanoseconds (plain integers): the engine turns
// whole columns of them into pandas timestamps at once. They are taken from a duration since
// the epoch because DateTime.epochSeconds rounds toward zero before 1970, while a duration's
// seconds round down and its nanosecondsOfSecond stay non-negative.
MATCH (a:Account)
WITH a, duration.inSeconds(datetime({epochSeconds: 0}), a.created_at) AS since_epoch
RETURN a.id AS id,
       a.seq AS seq,
       since_epoch.seconds AS created_s,
       since_epoch.nanosecondsOfSecond AS created_ns,
       a.kind AS kind,
       a.region AS region,
       a.status AS status
ORDER BY seq, id

"""Reading a snapshot's tables and encoding each account's flag-API answer.

:func:`encode_answers` turns the ``flags``, ``accounts`` and ``concentration`` tables into
the JSON answer of every account with a finding, a chunk of accounts at a time, for
:class:`linkguard.serving.answers.AnswerStore` to keep; :class:`FlagRows`, :func:`read_table` and
:func:`arrow_tables` read the tables from a snapshot directory or an in-memory snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkguard.errors import SnapshotInvalid
from linkguard.pipeline.snapshot import SNAPSHOT_COLUMNS, Snapshot, open_table
from linkguard.schema import MAX_REASON_CODES, RISK_LEVELS, SEVERITIES
from linkguard.serving.flag_json import FlagPieces, finite_or_none, unit_score

__all__ = [
    "ACTIVITY_FILE",
    "NO_FLAGS_END",
    "UNKNOWN_END",
    "FlagRows",
    "answer_prefix",
    "arrow_tables",
    "encode_answers",
    "none_head",
    "read_activity",
    "read_table",
]

#: Accounts encoded per batch while building. Small enough that no single C call (a column
#: to Python objects, say) holds the GIL for more than a few milliseconds while a server
#: keeps answering from the previous index on another thread.
_CHUNK = 10_000
#: Flag rows decoded at once while streaming ``flags.parquet``.
_BATCH = 16_384
_KEY_COLUMNS = ("account_id", "code", "severity", "score")
_FLAG_COLUMNS = ("account_id", "code", "severity", "score", "reason", "evidence")
_ACCOUNT_COLUMNS = ("account_id", "risk_level", "risk_score", "reason_codes", "cluster_id")

# -- reading --------------------------------------------------------------------------------------


def read_table(
    root: Path,
    name: str,
    wanted: pa.Array | None = None,
    columns: Collection[str] | None = None,
) -> pa.Table:
    """The contract columns of one snapshot file, cast to the contract types.

    ``wanted`` keeps just the rows of those accounts (read with a pushed-down filter).
    """
    handle = open_table(root, name)
    types = SNAPSHOT_COLUMNS[name]
    names = list(columns or types)
    key = "seller_id" if name == "concentration" else "account_id"
    try:
        if wanted is not None and name in ("flags", "accounts", "concentration"):
            table = pq.read_table(
                root / f"{name}.parquet", columns=names, filters=pc.field(key).isin(wanted)
            )
        else:
            table = handle.read(columns=names)
        return table.cast(pa.schema([(c, types[c]) for c in names]))
    except (OSError, pa.ArrowException, TypeError, ValueError) as exc:
        raise SnapshotInvalid(f"{root / (name + '.parquet')}: unreadable ({exc})") from exc


def arrow_tables(snapshot: Snapshot) -> dict[str, pa.Table]:
    """The contract columns of each in-memory table as Arrow, cast to the contract types."""
    tables = {}
    for name, columns in SNAPSHOT_COLUMNS.items():
        frame = snapshot.table(name)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise SnapshotInvalid(f"{name}.parquet: missing columns {missing}")
        schema = pa.schema(list(columns.items()))
        try:
            table = pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
            tables[name] = table.cast(schema)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise SnapshotInvalid(f"{name}.parquet: columns of the wrong type ({exc})") from exc
    return tables


@dataclass(frozen=True, slots=True)
class FlagRows:
    """A snapshot's flags: the small key columns whole, the texts as a stream of batches.

    Attributes
    ----------
    keys : pyarrow.Table
        ``account_id``, ``code``, ``severity``, ``score`` of every flag, in row order.
    batches : callable
        Returns the flags again, all columns, in the same row order, batch by batch.
    """

    keys: pa.Table
    batches: Callable[[], Iterator[pa.RecordBatch]]

    @classmethod
    def from_table(cls, table: pa.Table) -> FlagRows:
        table = table.select(list(_FLAG_COLUMNS))
        return cls(
            keys=table.select(list(_KEY_COLUMNS)),
            batches=lambda: iter(table.to_batches(max_chunksize=_BATCH)),
        )

    @classmethod
    def from_file(cls, file: Path, wanted: pa.Array | None) -> FlagRows:
        root, name = file.parent, file.stem
        if wanted is not None:
            # A handful of accounts: their rows are small, so read them whole.
            return cls.from_table(read_table(root, name, wanted))
        handle = open_table(root, name)
        keys = read_table(root, name, columns=_KEY_COLUMNS)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from handle.iter_batches(batch_size=_BATCH, columns=list(_FLAG_COLUMNS))
            except (OSError, pa.ArrowException) as exc:
                raise SnapshotInvalid(f"{file}: unreadable ({exc})") from exc

        return cls(keys=keys, batches=batches)


#: The snapshot file listing every account of the analysed market with its first and last
#: order (written by ``analyze``; snapshots from before it lack the file).
ACTIVITY_FILE = "activity"
_ACTIVITY_TYPES = {
    "account_id": pa.string(),
    "first_seen": pa.timestamp("us", tz="UTC"),
    "last_seen": pa.timestamp("us", tz="UTC"),
}


def read_activity(root: Path, wanted: pa.Array | None = None) -> pa.Table | None:
    """``activity.parquet`` of a snapshot directory (just ``wanted`` accounts), or None.

    None when the snapshot predates the file: its answers then say ``known`` only for
    accounts with findings.
    """
    file = root / f"{ACTIVITY_FILE}.parquet"
    if not file.is_file():
        return None
    try:
        filters = None if wanted is None else pc.field("account_id").isin(wanted)
        table = pq.read_table(file, columns=list(_ACTIVITY_TYPES), filters=filters)
        return table.cast(pa.schema(list(_ACTIVITY_TYPES.items())))
    except (OSError, pa.ArrowException, TypeError, ValueError, KeyError) as exc:
        raise SnapshotInvalid(f"{file}: unreadable ({exc})") from exc


def activity_arrow(frame: object) -> pa.Table | None:
    """An in-memory snapshot's ``activity`` table as Arrow, or None when it has none."""
    if frame is None:
        return None
    try:
        table = pa.Table.from_pandas(frame[list(_ACTIVITY_TYPES)], preserve_index=False)  # type: ignore[index]
        return table.cast(pa.schema(list(_ACTIVITY_TYPES.items())))
    except (pa.ArrowException, TypeError, ValueError, KeyError) as exc:
        raise SnapshotInvalid(
            f"{ACTIVITY_FILE}.parquet: columns of the wrong type ({exc})"
        ) from exc


# -- encoding -------------------------------------------------------------------------------------

#: How an answer without flags and without seller figures ends.
NO_FLAGS_END = b'],"adjusted_gmv":null'
#: What follows ``adjusted_gmv`` in the answer of an id the analysed market never held.
UNKNOWN_END = b',"known":false,"first_seen":null,"last_seen":null'


def answer_prefix(account_id: str) -> bytes:
    """How every answer about ``account_id`` begins (the store checks it on each lookup)."""
    return b'{"account_id":' + orjson.dumps(account_id) + b","


def none_head(account_id: str) -> bytes:
    # Key order matters: it must match _encode_chunk so every answer reads the same.
    return (
        answer_prefix(account_id)
        + b'"risk_level":"none","risk_score":0.0,"reason_codes":[],"flags":['
    )


def _check_vocabulary(column: pa.ChunkedArray, allowed: tuple[str, ...], where: str) -> None:
    valid = pc.is_in(column, value_set=pa.array(allowed))
    bad = pc.invert(pc.fill_null(valid, False))
    count = pc.sum(bad).as_py() or 0
    if count:
        example = column.filter(bad)[0].as_py()
        raise SnapshotInvalid(
            f"{where}: {count} rows hold {example!r}, expected one of {', '.join(allowed)}"
        )


def _valid(table: pa.Table, column: str) -> pa.Table:
    """``table`` without the rows where ``column`` is null (not copied when there are none)."""
    if table[column].null_count == 0:
        return table
    return table.filter(pc.is_valid(table[column]))


def encode_answers(
    flags: FlagRows,
    accounts: pa.Table,
    concentration: pa.Table,
    activity: pa.Table | None = None,
) -> Iterator[tuple[list[str], list[bytes]]]:
    """Encode the answer of every known account, :data:`_CHUNK` accounts at a time.

    Known accounts are those of ``activity`` (every account of the analysed market) and
    every account with a finding; each answer says ``known`` and, from ``activity``, the
    times of the account's first and last order (``first_seen``, ``last_seen``).

    Yields the account ids of a chunk (in id order) and their answers, each from the opening
    brace to ``adjusted_gmv``: the run-wide fields are appended per request. Only one chunk
    of whole answers exists at once, and each flag's JSON only from its batch of
    ``flags.parquet`` being read to its answer being built (see :class:`FlagPieces`).
    """
    keys = flags.keys
    _check_vocabulary(keys["severity"], SEVERITIES, "flags.parquet severity")
    accounts = _valid(accounts, "account_id")
    _check_vocabulary(accounts["risk_level"], RISK_LEVELS, "accounts.parquet risk_level")
    concentration = _valid(concentration, "seller_id")
    if activity is None:
        activity = pa.schema(list(_ACTIVITY_TYPES.items())).empty_table()
    activity = _valid(activity, "account_id")
    seen = pa.table(
        {
            "first_seen": _iso_seconds(activity["first_seen"]),
            "last_seen": _iso_seconds(activity["last_seen"]),
        }
    )

    # Answer order: by account, then most severe, highest-scoring flag first.
    sortable = keys.append_column(
        "rank", pc.index_in(keys["severity"], value_set=pa.array(SEVERITIES))
    ).append_column("row", pa.array(np.arange(keys.num_rows, dtype=np.int64)))
    sortable = _valid(sortable, "account_id")
    by_answer = pc.sort_indices(
        sortable,
        sort_keys=[
            ("account_id", "ascending"),
            ("rank", "descending"),
            ("score", "descending"),
            ("code", "ascending"),
        ],
    )
    order = sortable["row"].take(by_answer).to_numpy()
    ids = pc.unique(
        pa.chunked_array(
            [
                *sortable["account_id"].chunks,
                *accounts["account_id"].chunks,
                *concentration["seller_id"].chunks,
                *activity["account_id"].chunks,
            ],
            type=pa.string(),
        )
    )
    ids = ids.take(pc.sort_indices(ids))
    # ``ids`` and ``order`` are both sorted by account, so cumulative per-id flag counts
    # give each id's slice of ``order``.
    counted = pc.value_counts(sortable["account_id"])
    per_id = pc.take(counted.field("counts"), pc.index_in(ids, value_set=counted.field("values")))
    counts = np.asarray(pc.fill_null(per_id, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    del sortable, by_answer, counted, per_id
    # Arrow keeps freed buffers in its own pool; hand the sort's back before building.
    pa.default_memory_pool().release_unused()

    pieces = FlagPieces(flags.batches(), keys.num_rows)
    account_rows = pc.index_in(ids, value_set=accounts["account_id"])
    seller_rows = pc.index_in(ids, value_set=concentration["seller_id"])
    seen_rows = pc.index_in(ids, value_set=activity["account_id"])
    account_cols = accounts.select(list(_ACCOUNT_COLUMNS))
    seller_gmv = concentration.select(["adjusted_gmv"])
    flag_keys = keys.select(["code", "severity", "score"])
    for start in range(0, len(ids), _CHUNK):
        stop = min(start + _CHUNK, len(ids))
        rows = order[starts[start] : starts[stop]]
        chunk_ids = ids[start:stop].to_pylist()
        answers = _encode_chunk(
            chunk_ids,
            counts[start:stop].tolist(),
            pieces.take(rows.tolist()),
            flag_keys.take(rows),
            account_cols.take(account_rows[start:stop]),
            seller_gmv.take(seller_rows[start:stop]),
            seen.take(seen_rows[start:stop]),
        )
        yield chunk_ids, answers
    pieces.finish()


def _iso_seconds(times: pa.ChunkedArray) -> pa.ChunkedArray:
    """Times as ISO-8601 UTC text to the second (``2026-01-31T09:15:00Z``); nulls stay null."""
    whole = pc.cast(times, pa.timestamp("s", tz="UTC"), safe=False)
    return pc.strftime(whole, format="%Y-%m-%dT%H:%M:%SZ")


def _encode_chunk(
    ids: list[str],
    counts: list[int],
    flag_json: list[bytes],
    flag_keys: pa.Table,
    accounts: pa.Table,
    sellers: pa.Table,
    seen: pa.Table,
) -> list[bytes]:
    codes = flag_keys["code"].to_pylist()
    severities = flag_keys["severity"].to_pylist()
    scores = flag_keys["score"].to_pylist()
    present = pc.is_valid(accounts["account_id"]).to_pylist()
    levels = accounts["risk_level"].to_pylist()
    risk_scores = accounts["risk_score"].to_pylist()
    reason_codes = accounts["reason_codes"].to_pylist()
    gmv = sellers["adjusted_gmv"].to_pylist()
    first_seen = seen["first_seen"].to_pylist()
    last_seen = seen["last_seen"].to_pylist()
    dumps = orjson.dumps
    answers = []
    row = 0
    for i, account_id in enumerate(ids):
        n = counts[i]
        if present[i]:
            level = levels[i]
            score = (
                unit_score(risk_scores[i])
                if risk_scores[i] is not None
                else max((unit_score(s) for s in scores[row : row + n]), default=0.0)
            )
            principal = [c for c in reason_codes[i] or () if c is not None][:MAX_REASON_CODES]
        elif n:
            # No accounts.parquet row despite flags: derive the level from the flags rather
            # than answer "none" for an account we hold evidence against.
            level = severities[row]
            score = max(unit_score(s) for s in scores[row : row + n])
            principal = list(dict.fromkeys(codes[row : row + n]))[:MAX_REASON_CODES]
        else:
            level, score, principal = "none", 0.0, []
        head = dumps(
            {
                "account_id": account_id,
                "risk_level": level,
                "risk_score": score,
                "reason_codes": principal,
            }
        )
        value = finite_or_none(gmv[i])
        end = NO_FLAGS_END if value is None else b'],"adjusted_gmv":' + dumps(value)
        flag_list = b",".join(flag_json[row : row + n])
        # Every stored answer is of a known account: in the market or holding a finding.
        known = b',"known":true,"first_seen":%b,"last_seen":%b' % (
            dumps(first_seen[i]),
            dumps(last_seen[i]),
        )
        answers.append(b"".join((head[:-1], b',"flags":[', flag_list, end, known)))
        row += n
    return answers

"""Answer "what does this snapshot say about account X?" quickly and in little memory.

:class:`FlagIndex` is built once from an analysis snapshot. For every account with a finding
(a flag, a row in ``accounts.parquet`` or a seller row in ``concentration.parquet``) it keeps
the answer of the flag API (contract section 5) already encoded as JSON bytes, compressed, so
a lookup is a few array reads, one decompression of a couple of hundred bytes and one
concatenation. The same index serves ``linkguard serve`` and ``linkguard account``, so the
HTTP answer and the investigator's view never disagree.

Memory: the answers are kept by :class:`~linkguard._answers.AnswerStore`, each compressed on
its own against a dictionary of sample answers and packed in blocks of 10,000, with no object
per account; the snapshot-wide fields (snapshot id, ruleset version, time) are stored once and
appended per answer. Building holds one chunk of answers uncompressed at a time, and streams
``flags.parquet``: in account order, as ``linkguard analyze`` writes it, each flag's JSON lives
only from its batch being read to its answer being built
(:class:`~linkguard._flag_json.FlagPieces`). Measured with ``bench/api.py rss`` on a million
accounts with 873 bytes of answer each on average: the answers take 199 MiB (176 MiB
compressed, 4.7 times smaller, plus 23 MiB of arrays that find them); the server holds 504 MiB
resident once loaded, 914 MiB at the peak of loading and 1,123 MiB at the peak of swapping to a
new snapshot while serving the old one. Looking up a flagged account costs about 2.5
microseconds in place of 0.3 (``bench/lookup.py``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkguard._answers import AnswerStore
from linkguard._flag_json import FlagPieces, unit_score
from linkguard.errors import SnapshotInvalid
from linkguard.snapshot import SNAPSHOT_COLUMNS, Snapshot, open_table, read_summary

__all__ = [
    "ACCOUNT_ID_MAX_LENGTH",
    "ACCOUNT_ID_PATTERN",
    "MAX_REASON_CODES",
    "RISK_LEVELS",
    "SEVERITIES",
    "FlagIndex",
    "SnapshotMeta",
    "is_valid_account_id",
    "parse_created_at",
]

#: Flag severities, least severe first (contract section 2).
SEVERITIES: tuple[str, ...] = ("info", "review", "decline")
#: Account risk levels, lowest first.
RISK_LEVELS: tuple[str, ...] = ("none", *SEVERITIES)
#: Adverse-action practice: at most four principal reasons.
MAX_REASON_CODES = 4
ACCOUNT_ID_MAX_LENGTH = 128
#: An account id: 1-128 of ``A-Z a-z 0-9 _ . : @ -``, except ``.`` and ``..``. Those two are
#: excluded because HTTP clients collapse them as dot-segments of a URL path, so
#: ``/v1/accounts/../flags`` could never reach the account; no real id looks like that.
ACCOUNT_ID_PATTERN = (
    r"^(?:[A-Za-z0-9_:@-][A-Za-z0-9_.:@-]{0,127}"
    r"|\.[A-Za-z0-9_:@-][A-Za-z0-9_.:@-]{0,126}"
    r"|\.\.[A-Za-z0-9_.:@-]{1,126})$"
)
_ACCOUNT_ID_RE = re.compile(ACCOUNT_ID_PATTERN)

#: Accounts encoded per batch while building. Small enough that no single C call (a column
#: to Python objects, say) holds the GIL for more than a few milliseconds while a server
#: keeps answering from the previous index on another thread.
_CHUNK = 10_000
#: Flag rows decoded at once while streaming ``flags.parquet``.
_BATCH = 16_384
_KEY_COLUMNS = ("account_id", "code", "severity", "score")
_FLAG_COLUMNS = ("account_id", "code", "severity", "score", "reason", "evidence")
_ACCOUNT_COLUMNS = ("account_id", "risk_level", "risk_score", "reason_codes", "cluster_id")


def is_valid_account_id(account_id: str) -> bool:
    """Whether ``account_id`` is well formed (see :data:`ACCOUNT_ID_PATTERN`).

    Parameters
    ----------
    account_id : str
        The candidate id.

    Returns
    -------
    bool
        True when the id may be looked up.
    """
    # fullmatch, not match: "$" alone would accept a trailing newline.
    return _ACCOUNT_ID_RE.fullmatch(account_id) is not None


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """The run-wide facts every answer carries.

    Attributes
    ----------
    snapshot_id : str
        ``summary.json``'s ``snapshot_id``.
    ruleset_version : str
        The ruleset that produced the flags.
    computed_at : str
        The snapshot's ``created_at``, normalised to ISO-8601 UTC (``...Z``).
    created_at : datetime
        The same instant, for ordering snapshots.
    path : Path or None
        Where the snapshot was read from.
    """

    snapshot_id: str
    ruleset_version: str
    computed_at: str
    created_at: datetime
    path: Path | None = None

    @classmethod
    def from_summary(cls, summary: dict[str, Any], path: Path | None = None) -> SnapshotMeta:
        """Read the run-wide facts from a parsed ``summary.json``.

        Parameters
        ----------
        summary : dict
            The parsed ``summary.json``.
        path : Path, optional
            The snapshot directory, for messages.

        Returns
        -------
        SnapshotMeta

        Raises
        ------
        SnapshotInvalid
            When a field is missing or ``created_at`` is not an ISO-8601 time.
        """
        where = f"{path / 'summary.json'}" if path else "summary.json"
        for key in ("snapshot_id", "ruleset_version", "created_at"):
            if summary.get(key) in (None, ""):
                raise SnapshotInvalid(f"{where}: missing {key!r}")
        created = parse_created_at(summary["created_at"])
        if created is None:
            raise SnapshotInvalid(f"{where}: created_at is not an ISO-8601 time")
        return cls(
            snapshot_id=str(summary["snapshot_id"]),
            ruleset_version=str(summary["ruleset_version"]),
            computed_at=created.isoformat().replace("+00:00", "Z"),
            created_at=created,
            path=path,
        )


def parse_created_at(value: Any) -> datetime | None:
    """Parse a snapshot's ``created_at`` as an aware UTC datetime, or None when unparseable.

    A time without an offset is taken as UTC: snapshots are written by machines on UTC.

    Parameters
    ----------
    value : Any
        The raw ``created_at`` value.

    Returns
    -------
    datetime or None
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class FlagIndex:
    """Precomputed flag-API answers for one snapshot, plus the investigator's details.

    Build it with :meth:`load` or :meth:`from_snapshot`; it does not change afterwards
    (until :meth:`release` empties a retired one), so one instance may be shared by any
    number of threads and replaced by assigning a new one.

    Parameters
    ----------
    answers : AnswerStore
        Per account, its JSON answer up to ``adjusted_gmv`` (see :func:`_encode_answers`).
    meta : SnapshotMeta
        The snapshot's run-wide facts.
    details : dict of str to pyarrow.Table, optional
        ``clusters``, ``rings`` and ``concentration`` for :meth:`view`; None to save memory
        where only the flag answers are needed.
    """

    __slots__ = ("_answers", "_details", "_tail", "meta")

    def __init__(
        self,
        answers: AnswerStore,
        meta: SnapshotMeta,
        details: dict[str, pa.Table] | None = None,
    ) -> None:
        self._answers = answers
        self.meta = meta
        self._details = details
        run_fields = orjson.dumps(
            {
                "snapshot_id": meta.snapshot_id,
                "ruleset_version": meta.ruleset_version,
                "computed_at": meta.computed_at,
            }
        )
        # Stored answers stop after adjusted_gmv: the run-wide fields are appended per answer.
        self._tail = b"," + run_fields[1:]

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        only: Collection[str] | None = None,
        details: bool = True,
    ) -> FlagIndex:
        """Read the snapshot at ``path`` and index it.

        The flag texts (reasons and evidence, most of a snapshot's bytes) are streamed from
        ``flags.parquet`` in batches instead of being held whole, and each answer is
        compressed as soon as it is built, so the peak memory of indexing is that of the
        snapshot's key columns and sort, not that of all answers uncompressed (see the
        module docstring for figures). With ``details=False`` the ``clusters`` and ``rings``
        tables are not read at all.

        Parameters
        ----------
        path : path-like
            A complete snapshot directory (with ``summary.json``).
        only : collection of str, optional
            Index just these accounts (the CLI looks up one account; no need to encode all).
        details : bool
            Keep the tables :meth:`view` needs.

        Returns
        -------
        FlagIndex

        Raises
        ------
        SnapshotNotFound
            When there is no directory at ``path``.
        SnapshotInvalid
            When the snapshot is incomplete or its rows break the contract.
        """
        root = Path(path)
        meta = SnapshotMeta.from_summary(read_summary(root), root)
        wanted = None if only is None else pa.array(sorted(set(only)), pa.string())
        names = ("accounts", "concentration", *(("clusters", "rings") if details else ()))
        tables = {name: _read_table(root, name, wanted) for name in names}
        index = cls._build(
            _FlagRows.from_file(root / "flags.parquet", wanted), tables, meta, details=details
        )
        del tables
        # Arrow keeps freed buffers in its own pool; hand them back to the system.
        pa.default_memory_pool().release_unused()
        return index

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Snapshot,
        *,
        only: Collection[str] | None = None,
        details: bool = True,
    ) -> FlagIndex:
        """Index an in-memory snapshot.

        Parameters
        ----------
        snapshot : Snapshot
            The snapshot, e.g. from :func:`linkguard.snapshot.read_snapshot`.
        only : collection of str, optional
            Index just these accounts.
        details : bool
            Keep the tables :meth:`view` needs.

        Returns
        -------
        FlagIndex
        """
        meta = SnapshotMeta.from_summary(snapshot.summary, snapshot.path)
        tables = _arrow_tables(snapshot)
        if only is not None:
            wanted = pa.array(sorted(set(only)), pa.string())
            for name in ("flags", "accounts", "concentration"):
                key = "seller_id" if name == "concentration" else "account_id"
                tables[name] = tables[name].filter(pc.is_in(tables[name][key], value_set=wanted))
        flags = _FlagRows.from_table(tables.pop("flags"))
        return cls._build(flags, tables, meta, details=details)

    @classmethod
    def _build(
        cls, flags: _FlagRows, tables: dict[str, pa.Table], meta: SnapshotMeta, *, details: bool
    ) -> FlagIndex:
        answers = AnswerStore.pack(
            _encode_answers(flags, tables["accounts"], tables["concentration"]), _answer_prefix
        )
        kept = (
            {name: tables[name] for name in ("clusters", "rings", "concentration")}
            if details
            else None
        )
        return cls(answers, meta, kept)

    # -- the fast path --------------------------------------------------------------------

    @property
    def snapshot_id(self) -> str:
        """The indexed snapshot's id."""
        return self.meta.snapshot_id

    def __len__(self) -> int:
        return len(self._answers)

    def __contains__(self, account_id: object) -> bool:
        return isinstance(account_id, str) and self._answers.get(account_id) is not None

    def payload(self, account_id: str) -> bytes:
        """The flag-API answer for ``account_id`` as JSON bytes.

        An account without findings answers ``risk_level: "none"``; ``account_id`` is
        assumed valid (see :func:`is_valid_account_id`).

        Parameters
        ----------
        account_id : str
            The account to look up.

        Returns
        -------
        bytes
            One JSON object (contract section 5).
        """
        answer = self._answers.get(account_id)
        if answer is None:
            return _none_head(account_id) + _NO_FLAGS_END + self._tail
        return answer + self._tail

    def batch_payload(self, account_ids: Iterable[str]) -> bytes:
        """The answers for several accounts as one JSON array, in the order asked.

        Parameters
        ----------
        account_ids : iterable of str
            The accounts to look up; duplicates are answered twice.

        Returns
        -------
        bytes
            A JSON array of answers.
        """
        payload = self.payload
        return b"[" + b",".join([payload(a) for a in account_ids]) + b"]"

    def release(self, batch: int = 8) -> None:
        """Free the answers a few blocks at a time; the index answers "none" for everyone after.

        The answers sit in blocks of 10,000 (see :class:`~linkguard._answers.AnswerStore`),
        so even a million-account index is freed in about a hundred quick steps, with the
        GIL handed to other threads between batches. Call it only on an index that no
        request can still be reading.

        Parameters
        ----------
        batch : int
            Blocks freed between two chances for other threads to run.
        """
        self._answers.release(batch)

    def lookup(self, account_id: str) -> dict[str, Any]:
        """The flag-API answer for ``account_id`` as a dictionary.

        Parameters
        ----------
        account_id : str
            The account to look up.

        Returns
        -------
        dict
            The answer of :meth:`payload`, parsed.
        """
        answer: dict[str, Any] = orjson.loads(self.payload(account_id))
        return answer

    # -- the investigator's view ------------------------------------------------------------

    def view(self, account_id: str) -> dict[str, Any]:
        """Everything the snapshot says about one account, for an investigator.

        Parameters
        ----------
        account_id : str
            The account to look up.

        Returns
        -------
        dict
            The flag-API answer plus ``cluster`` (its linked-account cluster: id, size,
            identifier kinds and members, or None), ``rings`` (each suspected ring it is in:
            role, score, density and the other members) and ``concentration`` (its seller
            figures, or None).

        Raises
        ------
        RuntimeError
            When the index was built with ``details=False``.
        """
        if self._details is None:
            raise RuntimeError("this FlagIndex was built without details (details=False)")
        answer = self.lookup(account_id)
        answer["cluster"] = _cluster_view(self._details["clusters"], account_id)
        answer["rings"] = _ring_views(self._details["rings"], account_id)
        answer["concentration"] = _concentration_view(self._details["concentration"], account_id)
        return answer


# -- reading --------------------------------------------------------------------------------------


def _read_table(
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


def _arrow_tables(snapshot: Snapshot) -> dict[str, pa.Table]:
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
class _FlagRows:
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
    def from_table(cls, table: pa.Table) -> _FlagRows:
        table = table.select(list(_FLAG_COLUMNS))
        return cls(
            keys=table.select(list(_KEY_COLUMNS)),
            batches=lambda: iter(table.to_batches(max_chunksize=_BATCH)),
        )

    @classmethod
    def from_file(cls, file: Path, wanted: pa.Array | None) -> _FlagRows:
        root, name = file.parent, file.stem
        if wanted is not None:
            # A handful of accounts: their rows are small, so read them whole.
            return cls.from_table(_read_table(root, name, wanted))
        handle = open_table(root, name)
        keys = _read_table(root, name, columns=_KEY_COLUMNS)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from handle.iter_batches(batch_size=_BATCH, columns=list(_FLAG_COLUMNS))
            except (OSError, pa.ArrowException) as exc:
                raise SnapshotInvalid(f"{file}: unreadable ({exc})") from exc

        return cls(keys=keys, batches=batches)


# -- encoding -------------------------------------------------------------------------------------

#: How an answer without flags and without seller figures ends.
_NO_FLAGS_END = b'],"adjusted_gmv":null'


def _answer_prefix(account_id: str) -> bytes:
    """How every answer about ``account_id`` begins (the store checks it on each lookup)."""
    return b'{"account_id":' + orjson.dumps(account_id) + b","


def _none_head(account_id: str) -> bytes:
    # Key order matters: it must match _encode_chunk so every answer reads the same.
    return (
        _answer_prefix(account_id)
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


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _valid(table: pa.Table, column: str) -> pa.Table:
    """``table`` without the rows where ``column`` is null (not copied when there are none)."""
    if table[column].null_count == 0:
        return table
    return table.filter(pc.is_valid(table[column]))


def _encode_answers(
    flags: _FlagRows, accounts: pa.Table, concentration: pa.Table
) -> Iterator[tuple[list[str], list[bytes]]]:
    """Encode the answer of every account with a finding, :data:`_CHUNK` accounts at a time.

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
        )
        yield chunk_ids, answers
    pieces.finish()


def _encode_chunk(
    ids: list[str],
    counts: list[int],
    flag_json: list[bytes],
    flag_keys: pa.Table,
    accounts: pa.Table,
    sellers: pa.Table,
) -> list[bytes]:
    codes = flag_keys["code"].to_pylist()
    severities = flag_keys["severity"].to_pylist()
    scores = flag_keys["score"].to_pylist()
    present = pc.is_valid(accounts["account_id"]).to_pylist()
    levels = accounts["risk_level"].to_pylist()
    risk_scores = accounts["risk_score"].to_pylist()
    reason_codes = accounts["reason_codes"].to_pylist()
    gmv = sellers["adjusted_gmv"].to_pylist()
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
        value = _finite(gmv[i])
        end = _NO_FLAGS_END if value is None else b'],"adjusted_gmv":' + dumps(value)
        flag_list = b",".join(flag_json[row : row + n])
        answers.append(b"".join((head[:-1], b',"flags":[', flag_list, end)))
        row += n
    return answers


# -- the investigator's details -------------------------------------------------------------------


def _rows(table: pa.Table, column: str, value: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.filter(pc.equal(table[column], value)).to_pylist()
    return rows


def _cluster_view(clusters: pa.Table, account_id: str) -> dict[str, Any] | None:
    own = _rows(clusters, "account_id", account_id)
    if not own or own[0]["cluster_id"] is None:
        return None
    cluster_id = own[0]["cluster_id"]
    members = sorted(_rows(clusters, "cluster_id", cluster_id), key=lambda r: r["account_id"])
    kinds = sorted({k for m in members for k in m["identifier_kinds"] or () if k})
    return {
        "cluster_id": cluster_id,
        "size": int(own[0]["size"]) if own[0]["size"] is not None else len(members),
        "identifier_kinds": kinds,
        "members": [
            {"account_id": m["account_id"], "identifier_kinds": list(m["identifier_kinds"] or [])}
            for m in members
        ],
    }


def _ring_views(rings: pa.Table, account_id: str) -> list[dict[str, Any]]:
    views = []
    for own in _rows(rings, "account_id", account_id):
        members = _rows(rings, "ring_id", own["ring_id"])
        others = sorted(
            (
                {"account_id": m["account_id"], "role": m["role"]}
                for m in members
                if m["account_id"] != account_id
            ),
            key=lambda m: (str(m["role"]), str(m["account_id"])),
        )
        views.append(
            {
                "ring_id": own["ring_id"],
                "role": own["role"],
                "ring_score": _finite(own["ring_score"]),
                "density": _finite(own["density"]),
                "size": len(members),
                "other_members": others,
            }
        )
    views.sort(key=lambda v: -(v["ring_score"] or 0.0))
    return views


def _concentration_view(concentration: pa.Table, account_id: str) -> dict[str, Any] | None:
    rows = _rows(concentration, "seller_id", account_id)
    if not rows:
        return None
    row = rows[0]
    row.pop("seller_id", None)
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()
    }

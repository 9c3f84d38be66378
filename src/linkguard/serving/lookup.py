"""Answer "what does this snapshot say about account X?" quickly and in little memory.

:class:`FlagIndex` is built once from an analysis snapshot. For every account of the analysed
market (``activity.parquet``) and every account with a finding (a flag, a row in
``accounts.parquet`` or a seller row in ``concentration.parquet``) it keeps
the answer of the flag API (contract section 5) already encoded as JSON bytes, compressed, so
a lookup is a few array reads, one decompression of a couple of hundred bytes and one
concatenation. The same index serves ``linkguard serve`` and ``linkguard account``, so the
HTTP answer and the investigator's view never disagree.

Memory: the answers are kept by :class:`~linkguard.serving.answers.AnswerStore`, each compressed on
its own against a dictionary of sample answers and packed in blocks of 10,000, with no object
per account; the snapshot-wide fields (snapshot id, ruleset version, time) are stored once and
appended per answer. Building holds one chunk of answers uncompressed at a time, and streams
``flags.parquet``: in account order, as ``linkguard analyze`` writes it, each flag's JSON lives
only from its batch being read to its answer being built
(:class:`~linkguard.serving.flag_json.FlagPieces`). Measured with ``bench/api.py rss`` on a million
accounts with 873 bytes of answer each on average: the answers take 199 MiB (176 MiB
compressed, 4.7 times smaller, plus 23 MiB of arrays that find them); the server holds 504 MiB
resident once loaded, 914 MiB at the peak of loading and 1,123 MiB at the peak of swapping to a
new snapshot while serving the old one. Looking up a flagged account costs about 2.5
microseconds in place of 0.3 (``bench/lookup.py``).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.errors import SnapshotInvalid
from linkguard.ids import ID_MAX_CHARS, ID_PATTERN, is_valid_id
from linkguard.pipeline.snapshot import Snapshot, read_summary
from linkguard.schema import MAX_REASON_CODES, RISK_LEVELS, SEVERITIES
from linkguard.serving.account_view import cluster_view, concentration_view, ring_views
from linkguard.serving.answer_build import (
    ACTIVITY_FILE,
    NO_FLAGS_END,
    UNKNOWN_END,
    FlagRows,
    activity_arrow,
    answer_prefix,
    arrow_tables,
    encode_answers,
    none_head,
    read_activity,
    read_table,
)
from linkguard.serving.answers import AnswerStore
from linkguard.serving.browser_links import AccountLinks

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

#: Account ids follow the one id rule of :mod:`linkguard.ids`: whatever ingest accepts.
ACCOUNT_ID_MAX_LENGTH = ID_MAX_CHARS
ACCOUNT_ID_PATTERN = ID_PATTERN


def is_valid_account_id(account_id: str) -> bool:
    """Whether ``account_id`` is an id ingest accepts (see :mod:`linkguard.ids`).

    Parameters
    ----------
    account_id : str
        The candidate id.

    Returns
    -------
    bool
        True when the id may be looked up.
    """
    return is_valid_id(account_id)


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
        Per account, its JSON answer up to ``adjusted_gmv``
        (see :func:`linkguard.serving.answer_build.encode_answers`).
    meta : SnapshotMeta
        The snapshot's run-wide facts.
    details : dict of str to pyarrow.Table, optional
        ``clusters``, ``rings`` and ``concentration`` for :meth:`view`; None to save memory
        where only the flag answers are needed.
    browser_url : str, optional
        Neo4j Browser's address for each answer's ``browser_link``
        (see :func:`linkguard.serving.browser_links.browser_base_url`).
    """

    __slots__ = ("_answers", "_details", "_links", "_tail", "meta")

    def __init__(
        self,
        answers: AnswerStore,
        meta: SnapshotMeta,
        details: dict[str, pa.Table] | None = None,
        browser_url: str | None = None,
    ) -> None:
        self._answers = answers
        self.meta = meta
        self._details = details
        self._links = AccountLinks(browser_url)
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
        browser_url: str | None = None,
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
        browser_url : str, optional
            Neo4j Browser's address for the answers' ``browser_link``.

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
        tables = {name: read_table(root, name, wanted) for name in names}
        activity = read_activity(root, wanted)
        if activity is not None:
            tables[ACTIVITY_FILE] = activity
        index = cls._build(
            FlagRows.from_file(root / "flags.parquet", wanted),
            tables,
            meta,
            details=details,
            browser_url=browser_url,
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
        browser_url: str | None = None,
    ) -> FlagIndex:
        """Index an in-memory snapshot.

        Parameters
        ----------
        snapshot : Snapshot
            The snapshot, e.g. from :func:`linkguard.pipeline.snapshot.read_snapshot`.
        only : collection of str, optional
            Index just these accounts.
        details : bool
            Keep the tables :meth:`view` needs.
        browser_url : str, optional
            Neo4j Browser's address for the answers' ``browser_link``.

        Returns
        -------
        FlagIndex
        """
        meta = SnapshotMeta.from_summary(snapshot.summary, snapshot.path)
        tables = arrow_tables(snapshot)
        if only is not None:
            wanted = pa.array(sorted(set(only)), pa.string())
            for name in ("flags", "accounts", "concentration"):
                key = "seller_id" if name == "concentration" else "account_id"
                tables[name] = tables[name].filter(pc.is_in(tables[name][key], value_set=wanted))
        activity = activity_arrow(snapshot.extra.get(ACTIVITY_FILE))
        if activity is not None:
            if only is not None:
                activity = activity.filter(pc.is_in(activity["account_id"], value_set=wanted))
            tables[ACTIVITY_FILE] = activity
        flags = FlagRows.from_table(tables.pop("flags"))
        return cls._build(flags, tables, meta, details=details, browser_url=browser_url)

    @classmethod
    def _build(
        cls,
        flags: FlagRows,
        tables: dict[str, pa.Table],
        meta: SnapshotMeta,
        *,
        details: bool,
        browser_url: str | None = None,
    ) -> FlagIndex:
        answers = AnswerStore.pack(
            encode_answers(
                flags, tables["accounts"], tables["concentration"], tables.get(ACTIVITY_FILE)
            ),
            answer_prefix,
        )
        kept = (
            {name: tables[name] for name in ("clusters", "rings", "concentration")}
            if details
            else None
        )
        return cls(answers, meta, kept, browser_url)

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

        An account without findings answers ``risk_level: "none"``, with ``known`` telling
        an account of the analysed market (found clean) from an id it never held;
        ``account_id`` is assumed valid (see :func:`is_valid_account_id`).

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
        link = self._links.json_field(account_id)
        if answer is None:
            return none_head(account_id) + NO_FLAGS_END + UNKNOWN_END + link + self._tail
        return answer + link + self._tail

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

        The answers sit in blocks of 10,000 (see :class:`~linkguard.serving.answers.AnswerStore`),
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
        answer["cluster"] = cluster_view(self._details["clusters"], account_id)
        answer["rings"] = ring_views(self._details["rings"], account_id)
        answer["concentration"] = concentration_view(self._details["concentration"], account_id)
        return answer

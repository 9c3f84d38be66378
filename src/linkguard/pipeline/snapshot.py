"""An analysis snapshot (contract section 2): the files ``analyze`` writes and ``serve`` reads.

A snapshot is written into a sibling temporary directory and swapped into place in one step
(:mod:`linkguard.pipeline.outdir`), so a reader never sees half of one; ``summary.json`` is
written last and marks a snapshot as complete.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkguard.errors import LinkguardError, SnapshotInvalid, SnapshotNotFound
from linkguard.pipeline.outdir import output_folder, swap_into_place, temporary_sibling
from linkguard.pipeline.quarantine_csv import write_quarantine_csv

__all__ = [
    "SNAPSHOT_COLUMNS",
    "Snapshot",
    "empty_table",
    "open_table",
    "read_snapshot",
    "read_summary",
    "write_snapshot",
]

#: Columns every snapshot file holds at least, with their Arrow types.
SNAPSHOT_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "flags": {
        "account_id": pa.string(),
        "code": pa.string(),
        "severity": pa.string(),
        "score": pa.float64(),
        "reason": pa.string(),
        "evidence": pa.string(),
    },
    "accounts": {
        "account_id": pa.string(),
        "risk_level": pa.string(),
        "risk_score": pa.float64(),
        "reason_codes": pa.list_(pa.string()),
        "cluster_id": pa.string(),
    },
    "clusters": {
        "cluster_id": pa.string(),
        "account_id": pa.string(),
        "size": pa.int64(),
        "identifier_kinds": pa.list_(pa.string()),
    },
    "rings": {
        "ring_id": pa.string(),
        "account_id": pa.string(),
        "role": pa.string(),
        "ring_score": pa.float64(),
        "density": pa.float64(),
    },
    "concentration": {
        "seller_id": pa.string(),
        "orders": pa.int64(),
        "buyers": pa.int64(),
        "gmv": pa.float64(),
        "hhi": pa.float64(),
        "top1_share": pa.float64(),
        "top5_share": pa.float64(),
        "linked_buyer_share": pa.float64(),
        "ring_buyer_share": pa.float64(),
        "adjusted_gmv": pa.float64(),
    },
}

SUMMARY_FILE = "summary.json"
QUARANTINE_DIR = "quarantine"


@dataclass
class Snapshot:
    """The tables of one analysis run, plus its summary and quarantined input rows."""

    flags: pd.DataFrame
    accounts: pd.DataFrame
    clusters: pd.DataFrame
    rings: pd.DataFrame
    concentration: pd.DataFrame
    summary: dict[str, Any]
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Additional tables beyond the contract (written as ``NAME.parquet``).
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None

    def table(self, name: str) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, name) if name in SNAPSHOT_COLUMNS else self.extra[name]
        return frame


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the contract's columns for snapshot file ``name``."""
    schema = pa.schema(list(SNAPSHOT_COLUMNS[name].items()))
    frame: pd.DataFrame = schema.empty_table().to_pandas()
    return frame


def _to_arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    required = SNAPSHOT_COLUMNS.get(name, {})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SnapshotInvalid(f"{name}.parquet: missing columns {missing}")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for col, typ in required.items():
        i = table.schema.get_field_index(col)
        if table.schema.field(i).type != typ:
            table = table.set_column(i, pa.field(col, typ), table.column(i).cast(typ))
    _check_finite(name, table)
    return table


def _check_finite(name: str, table: pa.Table) -> None:
    """Refuse a table with NaN, infinity or null in a number column: no consumer reads those.

    Ingest bounds every amount, so a non-finite figure is a defect, not data; stopping here
    keeps it out of every snapshot (an API answer of ``null`` would read as "not a seller").
    Pandas' NaN arrives here as a null, so nulls count too.
    """
    for field_, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_floating(field_.type) and len(column):
            finite = pc.sum(pc.cast(pc.is_finite(column), pa.int64())).as_py() or 0
            bad = len(column) - finite
            if bad:
                raise LinkguardError(
                    f"{name}.parquet: column {field_.name!r} holds {bad} non-finite value(s); "
                    "no snapshot was written"
                )


def write_snapshot(
    snapshot: Snapshot,
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    locked: bool = False,
) -> Path:
    """Write ``snapshot`` to ``out_dir`` atomically and return the final path.

    The files go to a hidden sibling directory first; when everything (``summary.json`` last)
    is on disk, the directory is swapped into place in one step. Only a previous snapshot (or
    a missing or empty folder) is replaced; see :mod:`linkguard.pipeline.outdir` for ``force``,
    ``inputs`` and the lock. ``locked`` says the caller already holds
    :func:`~linkguard.pipeline.outdir.output_folder` for ``out_dir``.

    Raises
    ------
    OutputRefused
        When ``out_dir`` is a folder that is no snapshot, an input folder, or being written.
    SnapshotInvalid
        When a table lacks a contract column or holds a non-finite number.
    """
    if locked:
        return _write_locked(snapshot, Path(out_dir).resolve())
    with output_folder(out_dir, inputs=inputs, force=force) as target:
        return _write_locked(snapshot, target)


def _write_locked(snapshot: Snapshot, out: Path) -> Path:
    tmp = temporary_sibling(out)
    try:
        for name in SNAPSHOT_COLUMNS:
            pq.write_table(_to_arrow(name, snapshot.table(name)), tmp / f"{name}.parquet")
        for name, frame in snapshot.extra.items():
            pq.write_table(_to_arrow(name, frame), tmp / f"{name}.parquet")
        qdir = tmp / QUARANTINE_DIR
        qdir.mkdir(mode=0o700)  # rejected rows as read: their owner's only
        for table, rows in snapshot.quarantine.items():
            if len(rows):
                write_quarantine_csv(rows, qdir / f"{table}.csv")
        with open(tmp / SUMMARY_FILE, "w", encoding="utf-8") as fh:
            json.dump(snapshot.summary, fh, indent=2, sort_keys=True, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    snapshot.path = out
    return out


def read_summary(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The summary of a complete snapshot; raises when the snapshot is missing or partial."""
    root = Path(path)
    if not root.is_dir():
        raise SnapshotNotFound(f"no snapshot at {root}")
    summary_file = root / SUMMARY_FILE
    if not summary_file.is_file():
        raise SnapshotInvalid(f"{root} is not a complete snapshot: {SUMMARY_FILE} is missing")
    try:
        summary = json.loads(summary_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise SnapshotInvalid(f"{summary_file}: unreadable ({exc})") from exc
    if not isinstance(summary, dict):
        raise SnapshotInvalid(f"{summary_file}: not a JSON object")
    return summary


def open_table(path: str | os.PathLike[str], name: str) -> pq.ParquetFile:
    """One contract file of a snapshot, opened for streaming, its columns checked."""
    file = Path(path) / f"{name}.parquet"
    try:
        # Buffered reads without pre-buffering: streaming a row group then costs a few MiB,
        # not the whole decoded row group (hundreds of MiB for a million accounts' flags).
        handle = pq.ParquetFile(file, pre_buffer=False, buffer_size=1 << 20)
    except (OSError, pa.ArrowException) as exc:
        raise SnapshotInvalid(f"{file}: unreadable ({exc})") from exc
    missing = [c for c in SNAPSHOT_COLUMNS[name] if c not in handle.schema_arrow.names]
    if missing:
        raise SnapshotInvalid(f"{file}: missing columns {missing}")
    return handle


def read_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Load a complete snapshot, checking that every contract file and column is there."""
    root = Path(path)
    summary = read_summary(root)
    tables: dict[str, pd.DataFrame] = {}
    for name in SNAPSHOT_COLUMNS:
        handle = open_table(root, name)
        try:
            tables[name] = handle.read().to_pandas()
        except (OSError, pa.ArrowException) as exc:
            raise SnapshotInvalid(f"{root / (name + '.parquet')}: unreadable ({exc})") from exc
    extra = {}
    for file in sorted(root.glob("*.parquet")):
        if file.stem not in SNAPSHOT_COLUMNS:
            extra[file.stem] = pq.read_table(file).to_pandas()
    quarantine = {
        f.stem: pd.read_csv(f, dtype=str, keep_default_na=False)
        for f in sorted((root / QUARANTINE_DIR).glob("*.csv"))
    }
    return Snapshot(summary=summary, quarantine=quarantine, extra=extra, path=root, **tables)

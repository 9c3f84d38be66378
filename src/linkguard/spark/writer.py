"""Snapshot files from Spark DataFrames, streamed one partition at a time.

Large tables (concentration, clusters, quarantine, adjustments) reach the driver through
``toLocalIterator``, one partition per job, and go straight into a Parquet or CSV writer; the
driver never holds a whole table. Small tables (flags, accounts, rings) are pandas frames.
The directory is written beside the target and renamed into place, as
:func:`linkguard.pipeline.snapshot.write_snapshot` does.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linkguard.pipeline.outdir import swap_into_place, temporary_sibling
from linkguard.pipeline.quarantine_csv import neutralise
from linkguard.pipeline.snapshot import (
    QUARANTINE_DIR,
    SNAPSHOT_COLUMNS,
    SUMMARY_FILE,
    _to_arrow,
)

__all__ = ["StagedSnapshot"]

_BATCH = 50_000


class StagedSnapshot:
    """A snapshot directory being written; :meth:`commit` renames it into place."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out = Path(out_dir).resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temporary_sibling(self.out)
        (self.tmp / QUARANTINE_DIR).mkdir(mode=0o700)  # rejected rows as read: owner's only

    def frame(self, name: str, frame: pd.DataFrame) -> None:
        pq.write_table(_to_arrow(name, frame), self.tmp / f"{name}.parquet")

    def stream(
        self,
        name: str,
        rows: Iterable[dict[str, Any]],
        columns: list[str],
        schema: dict[str, pa.DataType] | None = None,
    ) -> int:
        """Write rows (dicts) to ``name.parquet`` in batches; returns the row count."""
        types = schema or SNAPSHOT_COLUMNS[name]
        arrow_schema = pa.schema([(c, types[c]) for c in columns])
        n = 0
        with pq.ParquetWriter(self.tmp / f"{name}.parquet", arrow_schema) as writer:
            for batch in _batches(rows):
                table = pa.Table.from_pylist(batch, schema=arrow_schema)
                writer.write_table(table)
                n += len(batch)
            if n == 0:
                writer.write_table(arrow_schema.empty_table())
        return n

    def quarantine(self, table: str, header: list[str], rows: Iterable[list[str]]) -> int:
        """Write quarantined rows (already ordered by line) as ``quarantine/TABLE.csv``."""
        n = 0
        path = self.tmp / QUARANTINE_DIR / f"{table}.csv"
        # As linkguard.pipeline.quarantine_csv writes them: values neutralised against spreadsheet
        # formulas, rows ended by "\r\n" so that a value holding "\r" or "\n" is quoted.
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            w.writerow([neutralise(str(c)) for c in header])
            for row in rows:
                w.writerow(["" if v is None else neutralise(str(v)) for v in row])
                n += 1
        if n == 0:
            path.unlink()
        return n

    def commit(self, summary: dict[str, Any]) -> Path:
        with open(self.tmp / SUMMARY_FILE, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, sort_keys=True, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        swap_into_place(self.tmp, self.out)
        return self.out

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch

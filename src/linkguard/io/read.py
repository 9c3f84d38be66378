"""``read_market``: a data directory in, a validated, pseudonymised :class:`Market` out.

The flow is one way: find the table files, read each into columns of bytes, validate and
normalise every row, then build the market from the rows that passed. Nothing is written
anywhere: a caller writes outputs only after this returns, so a bad input directory (a missing
table or column, an unreadable file) stops the run before any output exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from linkguard.config import pepper_bytes
from linkguard.io.build import build_market
from linkguard.io.discover import find_tables
from linkguard.io.quarantine import quarantine_frame
from linkguard.io.sources import read_raw
from linkguard.io.validate import CheckedTable, validate
from linkguard.market import Market, TableReport
from linkguard.schema import MAX_AMOUNT, TABLES

__all__ = ["Progress", "read_market"]

#: ``progress(step, done, total)``: called after each step with the steps done so far.
Progress = Callable[[str, int, int], None]


def read_market(
    data_dir: str | os.PathLike[str],
    *,
    pepper: bytes | None = None,
    progress: Progress | None = None,
    max_amount: float = MAX_AMOUNT,
) -> Market:
    """Read, validate and pseudonymise the tables of ``data_dir``.

    Parameters
    ----------
    data_dir
        A directory with one file per table (``orders`` required; ``accounts``,
        ``identifiers``, ``loans`` optional), each ``NAME.csv``, ``NAME.csv.gz`` or
        ``NAME.parquet``.
    pepper
        Key for pseudonymising identifier values; ``None`` takes
        :func:`linkguard.config.pepper_bytes` (``LINKGUARD_PEPPER``, or the development key
        with a :class:`~linkguard.config.DevPepperWarning`).
    progress
        Called as ``progress(step, done, total)`` after each step (``"read and validate
        orders.csv"``, …, ``"build market"``).
    max_amount
        The largest accepted amount (a ruleset's ``[ingest] max_amount``); larger ones are
        quarantined as ``amount_too_large``.

    Returns
    -------
    Market
        The loaded rows, with per-table :class:`~linkguard.market.TableReport` counts and
        quarantine frames of the rejected rows.

    Raises
    ------
    InputError
        When the directory lacks ``orders``, a table has two files, or a file is unreadable.
    SchemaError
        When a file lacks a required column (the message names the file and the column).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "orders.csv").write_text(
    ...     "order_id,buyer_id,seller_id,amount,created_at\\n"
    ...     "o1,b,s,9.50,2026-01-01T10:00:00Z\\n"
    ...     "o2,b,s,-1,2026-01-01T11:00:00Z\\n")
    >>> m = read_market(d, pepper=b"k")
    >>> m.reports["orders"].rows_loaded, m.quarantine["orders"]["reason"].tolist()
    (1, ['negative_amount'])
    """
    files = find_tables(Path(data_dir))
    key = pepper_bytes() if pepper is None else pepper
    total = len(files) + 1
    done = 0

    def step(name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(name, done, total)

    def load(table: str, path: Path) -> CheckedTable:
        return validate(read_raw(path, TABLES[table]), TABLES[table], key, max_amount=max_amount)

    # Two tables at a time: Arrow's CSV reader and compute functions and the compiled checks
    # let go of the interpreter lock, so a second core does real work (the keyed hashing of
    # identifier values, one short OpenSSL call after another, holds it).
    checked: dict[str, CheckedTable] = {}
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="linkguard-ingest")
    try:
        loading = {table: pool.submit(load, table, path) for table, path in files.items()}
        for table, future in loading.items():
            checked[table] = future.result()
            step(f"read and validate {files[table].name}")
    finally:
        # After a bad file, tables not yet started are not read at all.
        pool.shutdown(cancel_futures=True)
    reports = {table: _report(c) for table, c in checked.items()}
    quarantine = {table: quarantine_frame(c, key) for table, c in checked.items()}
    market = build_market(checked, reports, quarantine)
    step("build market")
    return market


def _report(checked: CheckedTable) -> TableReport:
    raw = checked.raw
    loaded = int(checked.loaded.sum())
    return TableReport(
        table=raw.table,
        file=raw.file,
        rows_in=raw.rows_in,
        rows_loaded=loaded,
        rows_quarantined=raw.rows_in - loaded,
        by_reason=checked.by_reason(),
    )

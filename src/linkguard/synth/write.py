"""Write a generated market to a data directory, its ground truth under ``truth/``.

CSV goes through polars (Arrow in, no copy), which quotes only the fields that need it (the
addresses), so the files read like a marketplace export; with the same market the bytes are
always the same. Truth files are always CSV, plus ``truth/manifest.json``.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linkguard.synth.market import SynthMarket

__all__ = ["FORMATS", "TRUTH_FILES", "write_market"]

FORMATS = ("csv", "parquet")
#: The files under ``truth/``, in the order they are written.
TRUTH_FILES = (
    "accounts.csv",
    "orders.csv",
    "rings.csv",
    "cycles.csv",
    "sellers.csv",
    "dirty.csv",
    "manifest.json",
)
_STALE = (".csv", ".csv.gz", ".parquet")


def _csv(table: pa.Table, path: Path) -> None:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    # polars quotes an empty string ("") but writes a null as nothing: empty reads cleaner.
    frame = frame.with_columns(pl.col(pl.String).replace("", None))
    frame.write_csv(path)


def write_market(market: SynthMarket, out_dir: str | Path, format: str = "csv") -> list[Path]:
    """Write ``market`` into ``out_dir`` (created if needed); returns the files written.

    Parameters
    ----------
    market
        From :func:`~linkguard.synth.generate_market`.
    out_dir
        The data directory. A table file of the other format (``orders.parquet`` when writing
        CSV) is removed, so that the directory holds one file per table.
    format
        ``csv`` or ``parquet`` for the four input tables (all columns are text, as read).

    Returns
    -------
    list of Path
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in market.tables.items():
        path = out / f"{name}.{format}"
        for suffix in _STALE:
            stale = out / f"{name}{suffix}"
            if stale != path and stale.exists():
                stale.unlink()
        if format == "csv":
            _csv(table, path)
        else:
            pq.write_table(table, path)
        written.append(path)
    for name, table in market.truth.items():
        if name == "dirty":
            # Name the file as written: orders -> orders.csv (or orders.parquet).
            table = table.set_column(
                0, "file", pc.binary_join_element_wise(table.column("file"), f".{format}", "")
            )
        path = out / "truth" / f"{name}.csv"
        _csv(table, path)
        written.append(path)
    manifest = out / "truth" / "manifest.json"
    manifest.write_bytes(
        orjson.dumps(
            {**market.manifest, "file_format": format},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
        )
        + b"\n"
    )
    written.append(manifest)
    return written

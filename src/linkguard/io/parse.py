"""Vectorised parsers for the typed columns: amounts, timestamps, ratings and 0/1 flags.

Every parser takes a stripped Arrow string array (empty string = missing) and returns numpy
values plus, where a value can be wrong, a mask of the entries it could not parse.

Examples
--------
>>> import pyarrow as pa
>>> values, bad, negative = parse_amounts(pa.array(["19.99", "1.005", "", "1,5", "-2"]))
>>> values[[0, 1, 4]].tolist(), bad.tolist(), negative.tolist()
([19.99, 1.01, -2.0], [False, False, True, True, False], [False, False, False, False, True])
>>> parse_flags(pa.array(["1", "0", "", "yes"])).tolist()
[1.0, 0.0, nan, 1.0]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.io.arrow import ArrowStrings, as_chunked, map_unique, mask_of, numpy_of

__all__ = ["parse_amounts", "parse_flags", "parse_ratings", "parse_timestamps"]

_UTC_US = pa.timestamp("us", tz="UTC")
_TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y"})
_FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n"})


def parse_amounts(values: ArrowStrings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decimal amounts as float64 rounded to the cent, with masks of bad and negative ones.

    An amount is a plain or scientific decimal number; empty, ``inf``, ``nan`` and anything
    with separators or symbols (``1,000``, ``$5``) is unparseable. Rounding is half away from
    zero on the written digits (``1.005`` is 1.01), so a value never depends on how binary
    floating point happens to represent its third decimal.

    Returns
    -------
    values, bad, negative
        float64 amounts (NaN where bad), the mask of unparseable entries and the mask of
        amounts below zero (``-0.001`` is negative even though it rounds to zero cents).
    """
    text = _series(values)
    parsed = text.cast(pl.Float64, strict=False)
    x = parsed.fill_null(np.nan).to_numpy().astype(np.float64, copy=True)
    bad = ~np.isfinite(x)
    cents = np.round(x * 100.0)
    # Only a value written with three or more decimals can round differently from its
    # binary float; redo those from their digits.
    long_tail = text.str.contains(r"^[+-]?[0-9]*\.[0-9]{3,}$").fill_null(False).to_numpy()
    long_tail &= ~bad
    if long_tail.any():
        cents[long_tail] = _cents_half_up(text.filter(pl.Series(long_tail)))
    out = cents / 100.0 + 0.0  # + 0.0 turns -0.0 into 0.0
    out[bad] = np.nan
    with np.errstate(invalid="ignore"):
        negative = x < 0
    return out, bad, negative


def _cents_half_up(text: pl.Series) -> np.ndarray:
    frame = pl.DataFrame({"s": text}).with_columns(dot=pl.col("s").str.find(".", literal=True))
    frame = frame.with_columns(
        head=pl.col("s").str.slice(0, pl.col("dot") + 3).cast(pl.Float64),
        third=pl.col("s").str.slice(pl.col("dot") + 3, 1).cast(pl.Int64),
        negative=pl.col("s").str.starts_with("-"),
    )
    head = np.round(frame["head"].to_numpy() * 100.0)
    step = np.where(frame["negative"].to_numpy(), -1.0, 1.0)
    return np.asarray(head + np.where(frame["third"].to_numpy() >= 5, step, 0.0))


def parse_timestamps(values: ArrowStrings) -> tuple[np.ndarray, np.ndarray]:
    """ISO-8601 timestamps as UTC ``datetime64[us]`` (NaT where empty) and a bad mask.

    Strings with a zone (``Z``, ``+02:00``) are converted to UTC; strings without one are UTC
    already. Arrow parses a column in one style at once. When that fails, the values are split
    by shape: well-formed ones with and without a zone go back to Arrow in two groups, and only
    what is left (odd spellings, broken values, impossible dates) goes through pandas' ISO-8601
    parser, which takes each value on its own. One bad value thus costs a regex pass, not a
    slow parse of the whole column.

    Returns
    -------
    values, bad
        ``datetime64[us]`` values (UTC, NaT for empty or bad) and the mask of non-empty values
        that are no timestamp.
    """
    text = as_chunked(values)
    empty = mask_of(pc.equal(pc.utf8_length(text), 0))
    nullable = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text.combine_chunks())
    present = np.flatnonzero(~empty)
    if present.size:
        # Guess the column's style from its first value; casting to the other style would
        # fail slowly, value by value.
        zoned = re.search(_ZONE, str(nullable[int(present[0])].as_py())) is not None
        whole = _arrow_timestamps(nullable, zoned)
        if whole is not None:
            return whole, np.zeros(len(whole), dtype=bool)
    out = np.full(len(nullable), np.datetime64("NaT"), dtype="datetime64[us]")
    aware = mask_of(pc.match_substring_regex(nullable, _ISO_ZONED))
    naive = mask_of(pc.match_substring_regex(nullable, _ISO_NAIVE))
    leftover = ~(empty | aware | naive)
    for group, zoned in ((aware, True), (naive, False)):
        rows = np.flatnonzero(group)
        parsed = _arrow_timestamps(nullable.take(pa.array(rows)), zoned) if rows.size else None
        if parsed is None:
            leftover |= group
        else:
            out[rows] = parsed
    rows = np.flatnonzero(leftover)
    if rows.size:
        out[rows] = _pandas_timestamps(nullable.take(pa.array(rows)))
    return out, np.isnat(out) & ~empty


#: Well-formed ISO-8601 date-times with a zone, and dates or date-times without one.
_ZONE = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
_ISO_TIME = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
_ISO_ZONED = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + _ISO_TIME + _ZONE
_ISO_NAIVE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(" + _ISO_TIME + r")?$"


def _arrow_timestamps(values: pa.Array, zoned: bool) -> np.ndarray | None:
    """All of ``values`` parsed by Arrow, or ``None`` if any value fails.

    ``zoned`` says whether the values carry a zone; the cast target must match.
    """
    try:
        return _datetime64(pc.cast(values, _UTC_US if zoned else pa.timestamp("us")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _pandas_timestamps(values: pa.Array) -> np.ndarray:
    """Per-value ISO-8601 parsing; NaT where a value is no timestamp."""
    series = pd.Series(values.to_pylist(), dtype=object)
    parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
    return np.asarray(parsed.dt.tz_localize(None).to_numpy().astype("datetime64[us]"))


def _datetime64(stamps: pa.ChunkedArray) -> np.ndarray:
    nat = np.iinfo(np.int64).min
    ints = pc.fill_null(pc.cast(stamps, pa.int64()), nat)
    return np.asarray(numpy_of(ints), dtype=np.int64).view("datetime64[us]")


def parse_ratings(values: ArrowStrings) -> tuple[np.ndarray, np.ndarray]:
    """Ratings as float64 (NaN where empty) and a mask of present ratings outside 1 to 5."""
    text = _series(values)
    x = text.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy().astype(np.float64)
    present = (text.str.len_bytes() > 0).to_numpy()
    with np.errstate(invalid="ignore"):
        bad = present & ~((x >= 1.0) & (x <= 5.0))
    x[~present | bad] = np.nan
    return x, bad


def parse_flags(values: ArrowStrings) -> np.ndarray:
    """0/1 columns (``first_overdue``, ``defaulted``): 1.0, 0.0 or NaN when empty or unclear.

    ``true``/``yes`` and ``false``/``no`` are read as 1 and 0, whatever their case.
    """
    words = map_unique(values, _flag_word)
    return _series(words).cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()


def _flag_word(word: str) -> str:
    word = word.strip().lower()
    return "1" if word in _TRUE_WORDS else "0" if word in _FALSE_WORDS else ""


def _series(values: ArrowStrings) -> pl.Series:
    values = as_chunked(values)
    if values.num_chunks == 0:
        return pl.Series(values=[], dtype=pl.String)
    series = pl.from_arrow(values)
    assert isinstance(series, pl.Series)
    return series

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
from collections.abc import Callable

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.io._kernels import plain_cents, single_digits
from linkguard.io.arrow import (
    ArrowStrings,
    as_chunked,
    map_unique,
    mask_of,
    numpy_of,
    string_buffers,
    take_rows,
    to_polars,
)

__all__ = ["parse_amounts", "parse_flags", "parse_ratings", "parse_timestamps"]

_UTC_US = pa.timestamp("us", tz="UTC")
_TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y"})
_FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n"})


def parse_amounts(values: ArrowStrings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decimal amounts as float64 rounded to the cent, with masks of bad and negative ones.

    An amount is a plain or scientific decimal number; empty, ``inf``, ``nan`` and anything
    with separators or symbols (``1,000``, ``$5``) is unparseable. A number whose cents
    overflow a float (``1e308``) comes back as infinity, not as bad: it is a number, too
    large for any order, which the caller bounds (validation's ``amount_too_large``).
    Rounding is half away from zero on the written digits (``1.005`` is 1.01), so a value
    never depends on how binary floating point happens to represent its third decimal.
    Plain amounts with at most two decimals (``19.99``, ``-5``) are read by one compiled
    pass, the rest by :func:`_parse_amounts_general`.

    Returns
    -------
    values, bad, negative
        float64 amounts (NaN where bad), the mask of unparseable entries and the mask of
        amounts below zero (``-0.001`` is negative even though it rounds to zero cents).
    """
    text = as_chunked(values)
    cents, other = _fast_path(text, plain_cents, np.int64)
    out = cents / 100.0 + 0.0  # + 0.0 turns -0.0 into 0.0
    bad = np.zeros(len(text), dtype=bool)
    negative = cents < 0
    rest = np.flatnonzero(other)
    if rest.size == len(text):
        return _parse_amounts_general(text)
    if rest.size:
        out[rest], bad[rest], negative[rest] = _parse_amounts_general(take_rows(text, rest))
    return out, bad, negative


def _parse_amounts_general(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`parse_amounts` for any written form (polars parses, then rounds to the cent)."""
    text = to_polars(values)
    parsed = text.cast(pl.Float64, strict=False)
    x = parsed.fill_null(np.nan).to_numpy().astype(np.float64, copy=True)
    bad = ~np.isfinite(x)
    with np.errstate(over="ignore", invalid="ignore"):
        # ``1e308`` is a number whose cents are not finite: it stays infinite, for the
        # caller's largest-amount check to reject (validation quarantines it).
        scaled = x * 100.0
    cents = np.round(scaled)
    # Rounding the float can only differ from rounding the written digits near half a cent,
    # which needs a third decimal; redo those few values from their digits.
    with np.errstate(invalid="ignore"):
        near_half = np.flatnonzero(~bad & (np.abs(scaled - cents) > 1e-3))
    if near_half.size:
        sub = text.gather(near_half)
        plain = sub.str.contains(r"^[+-]?[0-9]*\.[0-9]{3,}$").fill_null(False).to_numpy()
        if plain.any():
            cents[near_half[plain]] = _cents_half_up(sub.filter(pl.Series(plain)))
    out = cents / 100.0 + 0.0  # + 0.0 turns -0.0 into 0.0
    out[bad] = np.nan
    with np.errstate(invalid="ignore"):
        negative = x < 0
    return out, bad, negative


def _cents_half_up(text: pl.Series) -> np.ndarray:
    """Cents of plain decimals, rounded half away from zero on the third written decimal."""
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
    already. Arrow's cast parses the values written with a zone, the usual export style
    (``YYYY-MM-DDTHH:MM:SSZ``): the whole column at once, or, when some value fails it, slice by
    slice; the slices that fail (other styles, broken values) go to :func:`_parse_general`.

    Returns
    -------
    values, bad
        ``datetime64[us]`` values (UTC, NaT for empty or bad) and the mask of non-empty values
        that are no timestamp.

    Examples
    --------
    >>> stamps, bad = parse_timestamps(pa.array(["2026-01-01T10:00:00Z", "2026-01-01T12:00+02:00"]))
    >>> bool(stamps[0] == stamps[1]), bad.tolist()
    (True, [False, False])
    >>> stamps, bad = parse_timestamps(pa.array(["2026-02-30T10:00:00Z", "", "2026-01-01"]))
    >>> stamps.astype(str).tolist(), bad.tolist()
    (['NaT', 'NaT', '2026-01-01T00:00:00.000000'], [True, False, False])
    """
    given = as_chunked(values)
    style = _style_in(given.slice(0, _STYLE_SAMPLE).to_pylist())
    if style is not None and not _zoned(style):
        return _parse_general(given)  # dates, or times without a zone: they fail a UTC cast
    n = len(given)
    empty = pc.equal(pc.binary_length(given), 0)
    text = given
    if pc.any(empty).as_py():  # empty values are no timestamp, and not bad either
        text = as_chunked(pc.if_else(empty, pa.scalar(None, pa.string()), given))
    stamps = _strict_cast(text)
    if stamps is not None:
        return _datetime64(stamps), np.zeros(n, dtype=bool)
    if style is None:  # no well-formed value among the first: leave the column to them
        return _parse_general(given)
    # One bad value fails a whole cast: cast slice by slice, and the general parsers take the
    # slices that failed (on usual data a few bad values spoil a few slices).
    whole = text.combine_chunks()
    out = np.full(n, _NAT)
    parts: list[pa.Array] = []
    cast = np.zeros((n + _CAST_SLICE - 1) // _CAST_SLICE, dtype=bool)
    for i, start in enumerate(range(0, n, _CAST_SLICE)):
        part = _strict_cast(whole.slice(start, _CAST_SLICE))
        if part is not None:
            parts.append(part)
            cast[i] = True
    done = np.repeat(cast, _CAST_SLICE)[:n]
    if parts:  # converted together: per-slice conversions would cost more than the casts
        out[done] = _datetime64(pa.chunked_array(parts, _UTC_US))
    bad = np.zeros(n, dtype=bool)
    rest = np.flatnonzero(~done)
    if len(rest):
        out[rest], bad[rest] = _parse_general(take_rows(given, rest))
    return out, bad


def _style_in(values: list[str | None]) -> str | None:
    """The style (:func:`_style_of`) of the first well-formed value among ``values``."""
    return next((f for f in map(_style_of, values) if f is not None), None)


def _zoned(style: str) -> bool:
    """Whether values of ``style`` carry a zone (``Z``, ``+02:00``)."""
    return style.endswith("%#z")


#: Values cast at once when a whole column cannot be.
_CAST_SLICE = 256


def _strict_cast(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """``text`` cast to UTC timestamps when every value is an ISO-8601 time with a zone."""
    try:
        return pc.cast(text, _UTC_US)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _fast_path(
    text: pa.ChunkedArray,
    kernel: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    dtype: type[np.generic],
) -> tuple[np.ndarray, np.ndarray]:
    """A compiled fast path of :mod:`linkguard.io._kernels` over the chunks of ``text``.

    Returns the kernel's values and its mask of values left to the general code, to which
    nulls are left too.
    """
    values: list[np.ndarray] = []
    others: list[np.ndarray] = []
    for chunk in text.chunks:
        parsed, other = kernel(*string_buffers(chunk))
        if chunk.null_count:
            other |= mask_of(chunk.is_null())
        values.append(parsed)
        others.append(other)
    if not values:
        return np.zeros(0, dtype=dtype), np.zeros(0, dtype=bool)
    return np.concatenate(values), np.concatenate(others)


def _parse_general(text: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_timestamps` for values in any ISO-8601 style.

    Arrow parses a column written in one style at once, but fails the whole column on one bad
    value. Then polars parses value by value in the column's style (nulls where it cannot) and
    pandas' ISO-8601 parser takes what is left: other styles and broken values.
    """
    empty = mask_of(pc.equal(pc.utf8_length(text), 0))
    nullable = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), text.combine_chunks())
    present = np.flatnonzero(~empty)
    if present.size == 0:
        return np.full(len(empty), _NAT), np.zeros(len(empty), dtype=bool)
    # The column's style is guessed from its first well-formed values: a cast to the other
    # style (with or without a zone) would fail slowly, value by value.
    style = _style_in(nullable.take(pa.array(present[:_STYLE_SAMPLE])).to_pylist())
    if style is not None:
        target = _UTC_US if _zoned(style) else pa.timestamp("us")
        try:
            return _datetime64(pc.cast(nullable, target)), np.zeros(len(empty), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    out = _polars_timestamps(nullable, style)
    rest = np.flatnonzero(np.isnat(out) & ~empty)
    if rest.size:
        out[rest] = _pandas_timestamps(nullable.take(pa.array(rest)))
    return out, np.isnat(out) & ~empty


_NAT = np.datetime64("NaT", "us")
#: How many leading values may be looked at to find the column's style.
_STYLE_SAMPLE = 100
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:([T ])[0-9]{2}:[0-9]{2}(:[0-9]{2}(?:\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def _style_of(value: str | None) -> str | None:
    """The polars format of an ISO-8601 value (``None`` when it is no ISO-8601 value).

    >>> _style_of("2026-01-01T10:00:00.5Z"), _style_of("2026-01-01 10:00")
    ('%Y-%m-%dT%H:%M:%S%.f%#z', '%Y-%m-%d %H:%M')
    """
    match = _ISO.fullmatch(value or "")
    if match is None:
        return None
    separator, seconds, zone = match.groups()
    if separator is None:
        return "%Y-%m-%d"
    return f"%Y-%m-%d{separator}%H:%M" + (":%S%.f" if seconds else "") + ("%#z" if zone else "")


def _polars_timestamps(values: pa.Array, style: str | None) -> np.ndarray:
    """Values written in ``style`` parsed (UTC), NaT for the others.

    With no style, polars guesses one from the first value, which is ten times slower.
    """
    series = to_polars(values)
    try:
        parsed = series.str.to_datetime(format=style, strict=False, time_unit="us")
    except pl.exceptions.PolarsError:
        return np.full(len(series), _NAT)
    if isinstance(parsed.dtype, pl.Datetime) and parsed.dtype.time_zone is not None:
        parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    ints = parsed.cast(pl.Int64).fill_null(np.iinfo(np.int64).min).to_numpy()
    return np.asarray(ints, dtype=np.int64).view("datetime64[us]").copy()


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
    """Ratings as float64 (NaN where empty) and a mask of present ratings outside 1 to 5.

    Empty ratings and the single digits 1 to 5 are read by one compiled pass, the rest
    (``4.5``, ``6``, ``good``) by polars.
    """
    text = as_chunked(values)
    x, other = _fast_path(text, _rating_digits, np.float64)
    bad = np.zeros(len(text), dtype=bool)
    rest = np.flatnonzero(other)
    if rest.size:
        x[rest], bad[rest] = _parse_ratings_general(take_rows(text, rest))
    return x, bad


def _rating_digits(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return single_digits(offsets, data, 1, 5)


def _parse_ratings_general(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    text = to_polars(values)
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
    return to_polars(words).cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()


def _flag_word(word: str) -> str:
    word = word.strip().lower()
    return "1" if word in _TRUE_WORDS else "0" if word in _FALSE_WORDS else ""

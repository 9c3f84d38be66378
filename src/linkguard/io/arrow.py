"""Small Arrow helpers shared by the ingest modules (pyarrow ships no type stubs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.io._kernels import may_need_trim

__all__ = [
    "ArrowStrings",
    "as_chunked",
    "empty_strings",
    "is_empty",
    "map_unique",
    "mask_of",
    "numpy_of",
    "string_buffers",
    "strip",
    "take_rows",
    "to_polars",
    "to_text",
]

#: An Arrow string (or binary) array, chunked or not.
ArrowStrings: TypeAlias = Any


def as_chunked(values: ArrowStrings) -> pa.ChunkedArray:
    """``values`` as a ChunkedArray (Arrow arrays come both ways out of its readers)."""
    return values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])


def empty_strings(n: int) -> pa.ChunkedArray:
    """``n`` empty strings (an absent optional column)."""
    return pa.chunked_array([pc.fill_null(pa.nulls(n, pa.string()), "")])


def to_text(values: ArrowStrings) -> pa.ChunkedArray:
    """``values`` as a chunked UTF-8 string array (binary input must already be valid UTF-8)."""
    values = as_chunked(values)
    return values if values.type == pa.string() else values.cast(pa.string())


def strip(values: ArrowStrings) -> pa.ChunkedArray:
    """Surrounding whitespace removed, nulls turned into empty strings.

    Chunks where no value starts or ends with whitespace (a compiled look at each value's
    first and last byte) are kept as they are, without a copy.
    """
    return pa.chunked_array(
        [
            chunk
            if not chunk.null_count and not may_need_trim(*string_buffers(chunk))
            else pc.fill_null(pc.utf8_trim_whitespace(chunk), "")
            for chunk in to_text(values).chunks
        ],
        pa.string(),
    )


def is_empty(values: ArrowStrings) -> np.ndarray:
    """Mask of the values without a byte (read off the offsets); nulls are not empty."""
    parts = []
    for chunk in as_chunked(values).chunks:
        offsets, _ = string_buffers(chunk)
        empty = offsets[1:] == offsets[:-1]
        if chunk.null_count:
            empty &= mask_of(chunk.is_valid())
        parts.append(empty)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def to_polars(values: ArrowStrings) -> pl.Series:
    """A string (or binary) Arrow array as a polars Series, for the checks polars does faster."""
    values = as_chunked(values)
    if values.num_chunks == 0:
        return pl.Series(values=[], dtype=pl.String)
    series = pl.from_arrow(values)
    assert isinstance(series, pl.Series)
    return series


def numpy_of(values: Any) -> np.ndarray:
    """An Arrow array without nulls (chunked or not) as one numpy array."""
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 0:
            return np.zeros(0, dtype=values.type.to_pandas_dtype())
        values = values.combine_chunks()
    return np.asarray(values.to_numpy(zero_copy_only=False))


def string_buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The ``offsets`` (``n + 1`` integers) and ``data`` (uint8) of a string or binary array.

    Value ``i`` is ``data[offsets[i]:offsets[i + 1]]``; nulls are not marked (callers check
    ``null_count``). Nothing is copied.
    """
    large = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    if not (large or pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type)):
        raise TypeError(f"expected a string or binary array, got {chunk.type}")
    n = len(chunk)
    if n == 0:
        return np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    _, offsets_buf, data_buf = chunk.buffers()[:3]
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if large else np.int32)
    data = np.zeros(0, np.uint8) if data_buf is None else np.frombuffer(data_buf, np.uint8)
    return offsets[chunk.offset : chunk.offset + n + 1], data


def mask_of(condition: Any) -> np.ndarray:
    """An Arrow boolean (chunked or not) as a numpy bool array; nulls count as False."""
    return numpy_of(pc.fill_null(condition, False)).astype(bool, copy=False)


def take_rows(values: ArrowStrings, rows: np.ndarray) -> pa.ChunkedArray:
    """``values.take(rows)``, chunk by chunk when ``rows`` ascend.

    Arrow's take on a chunked string array first joins all chunks into one (a copy of the
    whole column); taking a few rows chunk by chunk touches only those rows.
    """
    values = as_chunked(values)
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size > 1 and bool((rows[1:] < rows[:-1]).any()):
        return as_chunked(values.take(pa.array(rows)))
    bounds = np.cumsum([0, *(len(chunk) for chunk in values.chunks)])
    cuts = np.searchsorted(rows, bounds)
    parts = [
        chunk.take(pa.array(rows[lo:hi] - start))
        for chunk, start, lo, hi in zip(
            values.chunks, bounds[:-1], cuts[:-1], cuts[1:], strict=True
        )
        if hi > lo
    ]
    return pa.chunked_array(parts, values.type)


def map_unique(values: ArrowStrings, fn: Callable[[str], str]) -> pa.ChunkedArray:
    """Apply ``fn`` to each distinct string of ``values`` and spread the results back.

    For low-cardinality columns (kinds, statuses, flags) this costs one Python call per
    distinct value instead of one per row. Nulls stay null.
    """
    values = to_text(values)
    if len(values) == 0:
        return values
    encoded = pc.dictionary_encode(values).combine_chunks()
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pa.chunked_array([mapped.take(encoded.indices)])

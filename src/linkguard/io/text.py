"""Turning raw byte columns into text: UTF-8 validation that finds the offending rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.io.arrow import as_chunked, mask_of, string_buffers, take_rows

__all__ = ["decode_utf8", "longer_than"]

#: Below this many rows a slice is checked value by value instead of split further.
_LEAF_ROWS = 64


def decode_utf8(values: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """``values`` (binary) as UTF-8 strings, with the rows that are not valid UTF-8 emptied.

    Arrow validates a whole array at once (fast, SIMD) but only says *that* something is
    wrong. The rare failing chunk is halved until the bad rows are pinned down, so the cost
    stays proportional to the number of bad rows, not to the size of the column.

    Returns
    -------
    text, bad
        The string column (``""`` where the bytes were broken) and the mask of broken rows.
    """
    values = as_chunked(values)
    if values.type == pa.string():
        return values, np.zeros(len(values), dtype=bool)
    try:
        return values.cast(pa.string()), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        pass
    bad_rows: list[int] = []
    offset = 0
    for chunk in values.chunks:
        _find_bad(chunk, offset, bad_rows)
        offset += len(chunk)
    bad = np.zeros(len(values), dtype=bool)
    bad[bad_rows] = True
    cleaned = pc.if_else(pa.array(bad), pa.scalar(b"", pa.binary()), values.combine_chunks())
    return as_chunked(cleaned.cast(pa.string())), bad


def _find_bad(chunk: pa.Array, offset: int, out: list[int]) -> None:
    try:
        chunk.cast(pa.string())
        return
    except pa.ArrowInvalid:
        pass
    if len(chunk) <= _LEAF_ROWS:
        for i, value in enumerate(chunk.to_pylist()):
            if value is not None and not _is_utf8(value):
                out.append(offset + i)
        return
    half = len(chunk) // 2
    _find_bad(chunk.slice(0, half), offset, out)
    _find_bad(chunk.slice(half), offset + half, out)


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def longer_than(text: pa.ChunkedArray, limit: int) -> np.ndarray | None:
    """Mask of values with more than ``limit`` characters, or ``None`` when there is none.

    A value has at least as many bytes as characters, so only values longer than ``limit``
    bytes (read off the offsets, no decoding) need their characters counted.
    """
    if len(text) == 0:
        return None
    parts = []
    for chunk in text.chunks:
        offsets, _ = string_buffers(chunk)
        parts.append(np.diff(offsets) > limit)
    candidates = np.flatnonzero(np.concatenate(parts))
    if candidates.size == 0:
        return None
    long = mask_of(pc.greater(pc.utf8_length(take_rows(text, candidates)), limit))
    if not long.any():
        return None
    mask = np.zeros(len(text), dtype=bool)
    mask[candidates[long]] = True
    return mask

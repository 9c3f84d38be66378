"""Stray quotes: a quoted value that swallowed whole lines is taken apart again, line by line.

A CSV value in quotes may hold line breaks, so one stray ``"`` makes a reader glue the lines
that follow into one value until the next quote (or the end of the file): rows vanish into an
id that holds newlines and commas, and ``rows_in`` no longer matches the file's lines. None of
the contract's columns needs a line break, so a record that spans lines is **suspect** when

- one of its continuation lines, read alone, has exactly the header's number of fields (it
  looks like a row of its own: the quote swallowed it), or
- at most 1 in 100 of the file's records span lines (the table's other rows never do).

Each physical line of a suspect record is then quarantined on its own line with the reason
``stray_quote``, so every line of the file is loaded or quarantined. Files whose values
span lines as a rule (a multi-line address column) are left as the reader split them.

Examples
--------
>>> from linkguard.io.raw import RawTable
>>> import numpy as np, pyarrow as pa
>>> data = b'id,v\\n1,"a\\n2,b\\n3,c"\\n4,d\\n'
>>> col = lambda *v: pa.chunked_array([pa.array(v, pa.binary())])
>>> raw = RawTable("t", "t.csv", ("id", "v"), (col(b"1", b"4"), col(b"a\\n2,b\\n3,c", b"d")),
...                np.array([2, 5]))
>>> fixed = split_swallowed(raw, data)
>>> fixed.lines.tolist(), [(m.line, m.reason) for m in fixed.malformed], fixed.rows_in
([5], [(2, 'stray_quote'), (3, 'stray_quote'), (4, 'stray_quote')], 4)
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from linkguard.io.raw import MalformedRow, RawTable, fold_fields

__all__ = ["STRAY_QUOTE", "split_swallowed"]

#: The quarantine reason of a line a stray quote swallowed.
STRAY_QUOTE = "stray_quote"
#: Records spanning lines are the exception when at most this share of records do.
_RARE = 0.01


def split_swallowed(raw: RawTable, data: Any) -> RawTable:
    """``raw`` with every suspect multi-line record replaced by its lines, quarantined.

    Parameters
    ----------
    raw
        The table as a reader split it (rows and malformed records with their start lines).
    data
        The file's bytes (byte order mark removed), as ``bytes`` or a ``pyarrow.Buffer``.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)  # ends[k] is where line k + 1 ends
    n_lines = len(ends) + (1 if buf.size and buf[-1] != 10 else 0)
    starts = np.sort(np.r_[raw.lines, [m.line for m in raw.malformed]]).astype(np.int64)
    if starts.size == 0:
        return raw
    line_start = np.r_[0, ends + 1][:n_lines]
    line_end = np.r_[ends, buf.size][:n_lines]
    blank = (line_end - line_start == 0) | (
        (line_end - line_start == 1) & (buf[np.minimum(line_start, max(buf.size - 1, 0))] == 13)
    )
    # A record runs up to the line before the next record, less the blank lines between.
    last = np.r_[starts[1:] - 1, n_lines]
    nonblank = np.flatnonzero(~blank) + 1  # 1-based non-blank lines
    last = nonblank[np.searchsorted(nonblank, last, side="right") - 1]
    spanning = np.flatnonzero(last > starts)
    if spanning.size == 0:
        return raw
    width = len(raw.columns)

    def line_bytes(line: int) -> bytes:
        chunk = bytes(buf[line_start[line - 1] : line_end[line - 1]])
        return chunk[:-1] if chunk.endswith(b"\r") else chunk

    rare = spanning.size <= _RARE * starts.size
    suspect: dict[int, int] = {}
    for i in spanning.tolist():
        first, end = int(starts[i]), int(last[i])
        if rare or any(
            len(_fields(line_bytes(line), width + 1)) == width for line in range(first + 1, end + 1)
        ):
            suspect[first] = end
    if not suspect:
        return raw
    keep = ~np.isin(raw.lines, list(suspect))
    data_columns = raw.data
    if not keep.all():
        mask = pa.array(keep)
        data_columns = tuple(column.filter(mask) for column in raw.data)
    malformed = [m for m in raw.malformed if m.line not in suspect]
    for first, end in suspect.items():
        for line in range(first, end + 1):
            if not blank[line - 1]:
                fields = _fields(line_bytes(line), width)
                malformed.append(MalformedRow(line, fields, STRAY_QUOTE))
    malformed.sort(key=lambda m: m.line)
    return replace(raw, data=data_columns, lines=raw.lines[keep], malformed=tuple(malformed))


def _fields(record: bytes, width: int) -> tuple[bytes, ...]:
    """The fields of one physical line read on its own (an open quote runs to its end), at
    most ``width`` of them."""
    text = record.decode("utf-8", errors="surrogateescape")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return fold_fields([f for row in rows for f in row], width)

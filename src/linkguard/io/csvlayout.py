"""Where each CSV record starts: physical line numbers for the rows a fast reader returns.

Arrow's multi-threaded CSV reader does not say which line a row came from, and the row index is
not the line number once a file holds blank lines or quoted values spanning several lines.
:func:`scan_records` walks the bytes once (compiled) and records, for every non-blank record,
where it starts and ends, the physical line it starts on and how many fields it has:

- a newline ends a record unless it is inside a quoted value;
- a record holding nothing (or only the ``\\r`` of a CRLF) is a blank line, which readers skip;
- a separator counts only outside quotes.

This agrees with Arrow and Python's :mod:`csv` when every quote sits where RFC 4180 allows it
(opening a field, closing one, or doubled inside one) and lines end in ``\\n`` or ``\\r\\n``.
:func:`scan_records` returns ``None`` otherwise, and the caller then reads the file with the slow
but exact :mod:`csv` reader.

Examples
--------
>>> layout = scan_records(b'id,note\\n\\n1,"two\\nlines"\\n2,x\\n')
>>> layout.lines.tolist()  # header, then the records at lines 3 and 5
[1, 3, 5]
>>> layout.fields.tolist(), layout.quoted_newlines
([2, 2, 2], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numba
import numpy as np

__all__ = [
    "LineStats",
    "RecordLayout",
    "line_stats",
    "one_record_per_line",
    "quotes_span_lines",
    "scan_records",
]

_NL, _CR, _QUOTE, _COMMA = 10, 13, 34, 44

#: ``bytes`` or any object exposing its bytes as a buffer (a ``pyarrow.Buffer``).
BytesLike: TypeAlias = Any


@dataclass(frozen=True)
class RecordLayout:
    """The non-blank records of a CSV buffer, the header first.

    Attributes
    ----------
    starts, ends
        Byte offsets of each record (``ends`` excludes the line terminator).
    lines
        Physical line (1-based) on which each record starts.
    fields
        Number of fields in each record.
    quoted_newlines
        Whether some value spans lines (the reader must then track quotes across lines).
    """

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    fields: np.ndarray
    quoted_newlines: bool


def scan_records(data: BytesLike) -> RecordLayout | None:
    """Records of ``data`` with their lines and field counts, or ``None`` if quoting is irregular.

    Parameters
    ----------
    data
        A whole CSV file (UTF-8 byte order mark already removed).

    Returns
    -------
    RecordLayout or None
        ``None`` when a quote sits where RFC 4180 does not allow one, a quoted value is left
        open, or a bare ``\\r`` ends a line: readers disagree on such files.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    capacity = int(np.count_nonzero(buf == _NL)) + 1
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    lines = np.empty(capacity, dtype=np.int64)
    fields = np.empty(capacity, dtype=np.int64)
    n, quoted_newlines = _scan(buf, starts, ends, lines, fields)
    if n < 0:
        return None
    return RecordLayout(starts[:n], ends[:n], lines[:n], fields[:n], bool(quoted_newlines))


@dataclass(frozen=True)
class LineStats:
    """What one pass over a CSV buffer tells about its lines.

    Attributes
    ----------
    lines
        Physical lines (a last one without a newline counted, as is an empty file).
    blank
        Whether some line is empty or only a ``\\r``.
    bare_cr
        Whether some ``\\r`` is not followed by ``\\n`` (line ends are then ambiguous).
    quotes_span_lines
        Whether a quoted value holds a ``\\n`` or ``\\r``, or a quote sits where RFC 4180
        does not allow one (readers differ on those; the careful settings are kept). When
        ``False``, every line end ends a record, whatever the quotes.
    """

    lines: int
    blank: bool
    bare_cr: bool
    quotes_span_lines: bool

    def one_record_per_line(self, n_records: int) -> bool:
        """Whether the buffer holds ``n_records`` records (header included), one per line.

        Then record ``i`` (0 = header) is line ``i + 1`` and no scan is needed. Every line
        holds part of a record when none is blank, so as many records as lines means none
        spans two.
        """
        return self.lines == n_records and not self.blank and not self.bare_cr


def line_stats(data: BytesLike) -> LineStats:
    """:class:`LineStats` of a whole CSV file, in one compiled pass.

    >>> line_stats(b'a,"b, c"\\n\\n"d",e\\n')
    LineStats(lines=3, blank=True, bare_cr=False, quotes_span_lines=False)
    >>> line_stats(b'a,"b\\nc"\\r\\n').quotes_span_lines
    True
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    lines, blank, bare_cr, spans = _line_stats(buf, buf[: buf.size - buf.size % 8].view(np.uint64))
    return LineStats(int(lines), bool(blank), bool(bare_cr), bool(spans))


def one_record_per_line(data: BytesLike, n_records: int) -> bool:
    """:meth:`LineStats.one_record_per_line` of ``data``."""
    return line_stats(data).one_record_per_line(n_records)


def quotes_span_lines(data: BytesLike) -> bool:
    """:attr:`LineStats.quotes_span_lines` of ``data``."""
    return line_stats(data).quotes_span_lines


_ONES = np.uint64(0x0101010101010101)
_HIGH_BITS = np.uint64(0x8080808080808080)


@numba.njit(cache=True, nogil=True)
def _line_stats(buf: np.ndarray, words: np.ndarray) -> tuple[int, bool, bool, bool]:
    """See :func:`line_stats`. ``words`` is ``buf`` read eight bytes at a time: a word with no
    byte below 14 and no quote (most of them: the test is a few integer operations) holds
    nothing of interest and is skipped whole."""
    size = buf.size
    n_lines = 0
    line_start = 0
    blank = False
    bare_cr = False
    spans = False
    in_quotes = False
    below = _ONES * np.uint64(_CR + 1)
    quotes = _ONES * np.uint64(_QUOTE)
    for w in range(words.size + 1):
        if w < words.size:
            x = words[w]
            q = x ^ quotes
            if ((x - below) & ~x & _HIGH_BITS) == 0 and ((q - _ONES) & ~q & _HIGH_BITS) == 0:
                continue
            lo, hi = 8 * w, 8 * w + 8
        else:
            lo, hi = 8 * words.size, size  # the bytes after the last whole word
        for i in range(lo, hi):
            c = buf[i]
            if c == _NL:
                spans |= in_quotes
                if i == line_start or (i == line_start + 1 and buf[line_start] == _CR):
                    blank = True
                n_lines += 1
                line_start = i + 1
            elif c == _CR:
                spans |= in_quotes
                if i + 1 == size or buf[i + 1] != _NL:
                    bare_cr = True
            elif c == _QUOTE and not spans:
                if in_quotes:
                    after = buf[i + 1] if i + 1 < size else _NL
                    # Text after a closing quote is irregular.
                    spans = after not in (_COMMA, _NL, _CR, _QUOTE)
                    in_quotes = False
                else:
                    # A quote right after a closing one is a doubled quote: the value goes
                    # on. A quote inside an unquoted value is irregular.
                    before = buf[i - 1] if i > 0 else _NL
                    spans = before not in (_COMMA, _NL, _QUOTE)
                    in_quotes = True
    if size == 0 or buf[size - 1] != _NL:
        n_lines += 1
    return n_lines, blank, bare_cr, spans or in_quotes  # in quotes: a value left open


@numba.njit(cache=True, nogil=True)
def _scan(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, lines: np.ndarray, fields: np.ndarray
) -> tuple[int, bool]:
    """Fill the record arrays; return (records, any quoted newline), records = -1 if irregular."""
    size = buf.size
    n = 0
    line = 1
    record_start = 0
    record_line = 1
    n_fields = 1
    in_quotes = False
    field_start = True  # nothing of the current field read yet
    just_closed = False  # the previous byte closed a quoted value
    quoted_newlines = False
    for i in range(size):
        c = buf[i]
        if c > _COMMA:
            # The common byte (letters, digits, '-', '.', ':'): cheapest test first.
            if not in_quotes:
                if just_closed:
                    return -1, False  # text after a closing quote
                field_start = False
            continue
        if in_quotes:
            if c == _QUOTE:
                in_quotes = False
                just_closed = True
            elif c == _NL:
                line += 1
                quoted_newlines = True
            elif c == _CR and (i + 1 == size or buf[i + 1] != _NL):
                return -1, False
            continue
        if c == _QUOTE:
            if not (field_start or just_closed):
                return -1, False  # a quote inside an unquoted value
            in_quotes = True
            field_start = False
            just_closed = False
            continue
        if just_closed and c != _COMMA and c != _NL and c != _CR:
            return -1, False  # text after a closing quote
        just_closed = False
        if c == _COMMA:
            n_fields += 1
            field_start = True
        elif c == _NL:
            end = i - 1 if i > record_start and buf[i - 1] == _CR else i
            if end > record_start:
                starts[n], ends[n], lines[n], fields[n] = record_start, end, record_line, n_fields
                n += 1
            line += 1
            record_start, record_line = i + 1, line
            n_fields = 1
            field_start = True
        elif c == _CR:
            if i + 1 == size or buf[i + 1] != _NL:
                return -1, False  # a bare carriage return: line ends are ambiguous
        else:
            field_start = False
    if in_quotes:
        return -1, False
    if size > record_start:
        starts[n], ends[n], lines[n], fields[n] = record_start, size, record_line, n_fields
        n += 1
    return n, quoted_newlines

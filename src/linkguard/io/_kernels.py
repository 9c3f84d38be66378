"""Compiled (numba) passes over the buffers of Arrow string arrays.

An Arrow string array is an ``offsets`` array (``n + 1`` integers) and one ``data`` buffer of
UTF-8 bytes; value ``i`` is ``data[offsets[i]:offsets[i + 1]]``. The kernels here read those
buffers directly and do in one pass what would otherwise take several Arrow or polars calls.
Each handles the common case exactly and leaves the rest (marked as such) to the general code.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "KEEP",
    "LOWER",
    "ONLY_DIGITS",
    "may_need_trim",
    "plain_cents",
    "rewrite_values",
    "single_digits",
]

_ZERO, _NINE = 48, 57
_MINUS, _DOT = 45, 46


#: Most integer digits of a plain amount: its cents stay exact in float64 arithmetic.
_MAX_INTEGER_DIGITS = 10


@numba.njit(cache=True, nogil=True)
def _plain_cents(
    offsets: np.ndarray, data: np.ndarray, cents: np.ndarray, other: np.ndarray
) -> None:
    for i in range(offsets.size - 1):
        start, stop = offsets[i], offsets[i + 1]
        cents[i] = 0
        other[i] = True
        pos = start
        negative = pos < stop and data[pos] == _MINUS
        if negative:
            pos += 1
        value = 0
        digits_from = pos
        while pos < stop and _ZERO <= data[pos] <= _NINE:
            value = value * 10 + int(data[pos]) - _ZERO
            pos += 1
        if pos == digits_from or pos - digits_from > _MAX_INTEGER_DIGITS:
            continue
        decimals = 0
        if pos < stop:
            if data[pos] != _DOT:
                continue
            pos += 1
            while pos < stop and decimals < 3 and _ZERO <= data[pos] <= _NINE:
                value = value * 10 + int(data[pos]) - _ZERO
                decimals += 1
                pos += 1
            if pos != stop or decimals == 0 or decimals > 2:
                continue
        for _ in range(decimals, 2):
            value *= 10
        cents[i] = -value if negative else value
        other[i] = False


def plain_cents(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Amounts written plainly (``-?digits``, then ``.`` and one or two digits) in cents.

    Up to ten integer digits, so that ``cents / 100`` is what rounding the parsed float to the
    cent gives. Everything else (empty, exponents, a third decimal, signs other than a leading
    ``-``, separators) is left to the general parser.

    Returns
    -------
    cents, other
        int64 cents (0 where not parsed) and the mask of values left to the general parser.

    Examples
    --------
    >>> values = [b"19.99", b"-0.5", b"7", b"1.005", b"", b"1e2"]
    >>> offsets = np.cumsum([0, *map(len, values)])
    >>> cents, other = plain_cents(offsets, np.frombuffer(b"".join(values), np.uint8))
    >>> cents.tolist(), other.tolist()
    ([1999, -50, 700, 0, 0, 0], [False, False, False, True, True, True])
    """
    n = len(offsets) - 1
    cents = np.empty(n, dtype=np.int64)
    other = np.empty(n, dtype=np.bool_)
    _plain_cents(offsets, data, cents, other)
    return cents, other


@numba.njit(cache=True, nogil=True)
def _single_digits(
    offsets: np.ndarray,
    data: np.ndarray,
    low: int,
    high: int,
    out: np.ndarray,
    other: np.ndarray,
) -> None:
    for i in range(offsets.size - 1):
        start, stop = offsets[i], offsets[i + 1]
        out[i] = np.nan
        other[i] = stop != start
        if stop - start == 1:
            digit = int(data[start]) - _ZERO
            if low <= digit <= high:
                out[i] = digit
                other[i] = False


def single_digits(
    offsets: np.ndarray, data: np.ndarray, low: int, high: int
) -> tuple[np.ndarray, np.ndarray]:
    """Values that are one digit from ``low`` to ``high``, as float64.

    Returns
    -------
    values, other
        The digits (NaN elsewhere) and the mask of non-empty values that are no such digit,
        left to the general parser.

    Examples
    --------
    >>> values = [b"5", b"", b"6", b"4.5"]
    >>> offsets = np.cumsum([0, *map(len, values)])
    >>> digits, other = single_digits(offsets, np.frombuffer(b"".join(values), np.uint8), 1, 5)
    >>> digits.tolist(), other.tolist()
    ([5.0, nan, nan, nan], [False, False, True, True])
    """
    n = len(offsets) - 1
    out = np.empty(n, dtype=np.float64)
    other = np.empty(n, dtype=np.bool_)
    _single_digits(offsets, data, low, high, out, other)
    return out, other


@numba.njit(cache=True, nogil=True)
def _may_need_trim(offsets: np.ndarray, data: np.ndarray) -> bool:
    for i in range(offsets.size - 1):
        start, stop = offsets[i], offsets[i + 1]
        if stop > start:
            first, last = data[start], data[stop - 1]
            if first <= 32 or first >= 127 or last <= 32 or last >= 127:
                return True
    return False


def may_need_trim(offsets: np.ndarray, data: np.ndarray) -> bool:
    """Whether a value might start or end with whitespace.

    ``False`` means no value does, so trimming changes nothing. Any first or last byte that is
    not a printable ASCII character (space and controls, DEL, bytes of non-ASCII characters,
    some of which are spaces) answers ``True``.

    >>> offsets = np.array([0, 2, 4])
    >>> may_need_trim(offsets, np.frombuffer(b"abcd", np.uint8))
    False
    >>> may_need_trim(offsets, np.frombuffer(b"ab c", np.uint8))
    True
    """
    return bool(_may_need_trim(offsets, data))


#: ``rewrite_values`` modes: keep a value, keep only its ASCII digits, lowercase it.
KEEP, ONLY_DIGITS, LOWER = 0, 1, 2
_UPPER_A, _UPPER_Z, _TO_LOWER = 65, 90, 32


@numba.njit(cache=True, nogil=True)
def _rewrite_values(
    offsets: np.ndarray,
    data: np.ndarray,
    mode: np.ndarray,
    out_offsets: np.ndarray,
    out: np.ndarray,
    not_ascii: np.ndarray,
) -> int:
    pos = 0
    out_offsets[0] = 0
    for i in range(offsets.size - 1):
        start, stop = offsets[i], offsets[i + 1]
        if mode[i] == ONLY_DIGITS:
            for j in range(start, stop):
                c = data[j]
                if _ZERO <= c <= _NINE:
                    out[pos] = c
                    pos += 1
        else:
            lower = mode[i] == LOWER
            if lower:
                for j in range(start, stop):
                    if data[j] >= 128:
                        not_ascii[i] = True
                        lower = False
                        break
            for j in range(start, stop):
                c = data[j]
                out[pos] = c + _TO_LOWER if lower and _UPPER_A <= c <= _UPPER_Z else c
                pos += 1
        out_offsets[i + 1] = pos
    return pos


def rewrite_values(
    offsets: np.ndarray, data: np.ndarray, mode: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rewrite each value as its ``mode`` says: ``KEEP``, ``ONLY_DIGITS`` or ``LOWER``.

    ``ONLY_DIGITS`` keeps the bytes ``0``-``9`` (no byte of a multi-byte UTF-8 character is
    one); ``LOWER`` lowercases ASCII text and keeps other text as it is, for the caller to
    fold (Unicode case folding is no byte-wise rule).

    Returns
    -------
    offsets, data, not_ascii
        The rewritten values (int32 offsets starting at 0) and the mask of ``LOWER`` values
        kept unchanged because they are not ASCII.

    Examples
    --------
    >>> values = [v.encode() for v in ["+1 (555) 010", "Bob@X.com", "Éva@X.com", "Dev-1"]]
    >>> offsets = np.cumsum([0, *map(len, values)])
    >>> mode = np.array([ONLY_DIGITS, LOWER, LOWER, KEEP], dtype=np.int8)
    >>> out_offsets, out, not_ascii = rewrite_values(
    ...     offsets, np.frombuffer(b"".join(values), np.uint8), mode)
    >>> out.tobytes().decode(), out_offsets.tolist(), not_ascii.tolist()
    ('1555010bob@x.comÉva@X.comDev-1', [0, 7, 16, 26, 31], [False, False, True, False])
    """
    n = len(offsets) - 1
    out_offsets = np.empty(n + 1, dtype=np.int32)
    out = np.empty(int(offsets[-1] - offsets[0]), dtype=np.uint8)
    not_ascii = np.zeros(n, dtype=bool)
    size = _rewrite_values(offsets, data, mode, out_offsets, out, not_ascii)
    return out_offsets, out[:size], not_ascii

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
    "ISO_EMPTY",
    "ISO_OTHER",
    "ISO_PARSED",
    "KEEP",
    "LOWER",
    "ONLY_DIGITS",
    "iso_utc_micros",
    "may_need_trim",
    "rewrite_values",
]

_ZERO, _NINE = 48, 57
#: ``iso_utc_micros`` states: parsed, empty, or left to the general parsers.
ISO_PARSED, ISO_EMPTY, ISO_OTHER = 0, 1, 2
#: Years the fast path accepts; every parser agrees on them (others take the general path).
_MIN_YEAR, _MAX_YEAR = 1900, 2199
_MICROS_PER_SECOND = 1_000_000
_NAT = np.iinfo(np.int64).min


@numba.njit(cache=True, nogil=True, inline="always")
def _two_digits(data: np.ndarray, pos: int) -> int:
    hi, lo = data[pos], data[pos + 1]
    if hi < _ZERO or hi > _NINE or lo < _ZERO or lo > _NINE:
        return -1
    return (int(hi) - _ZERO) * 10 + int(lo) - _ZERO


@numba.njit(cache=True, nogil=True, inline="always")
def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@numba.njit(cache=True, nogil=True, inline="always")
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@numba.njit(cache=True, nogil=True)
def _iso_utc_micros(
    offsets: np.ndarray, data: np.ndarray, out: np.ndarray, state: np.ndarray
) -> int:
    """Fill ``out``/``state`` (see :func:`iso_utc_micros`); return how many are ``ISO_OTHER``."""
    others = 0
    for i in range(offsets.size - 1):
        start, stop = offsets[i], offsets[i + 1]
        out[i] = _NAT
        if stop == start:
            state[i] = ISO_EMPTY
            continue
        state[i] = ISO_OTHER
        if (
            stop - start != 20
            or data[start + 4] != 45  # '-'
            or data[start + 7] != 45
            or data[start + 10] != 84  # 'T'
            or data[start + 13] != 58  # ':'
            or data[start + 16] != 58
            or data[start + 19] != 90  # 'Z'
        ):
            others += 1
            continue
        century, year2 = _two_digits(data, start), _two_digits(data, start + 2)
        month, day = _two_digits(data, start + 5), _two_digits(data, start + 8)
        hour, minute = _two_digits(data, start + 11), _two_digits(data, start + 14)
        second = _two_digits(data, start + 17)
        year = century * 100 + year2
        if (
            century < 0 or year2 < 0 or day < 1 or hour < 0 or minute < 0 or second < 0
            or year < _MIN_YEAR or year > _MAX_YEAR or month < 1 or month > 12
            or day > _days_in_month(year, month) or hour > 23 or minute > 59 or second > 59
        ):
            others += 1
            continue
        seconds = ((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
        out[i] = seconds * _MICROS_PER_SECOND
        state[i] = ISO_PARSED
    return others


def iso_utc_micros(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Parse values written exactly as ``YYYY-MM-DDTHH:MM:SSZ`` (a valid UTC time).

    Returns
    -------
    micros, state, others
        int64 microseconds since the epoch (``NaT``'s integer where not parsed); per value
        ``ISO_PARSED``, ``ISO_EMPTY`` (no bytes) or ``ISO_OTHER`` (any other text, including a
        date that does not exist: the general parsers decide); and the number of ``ISO_OTHER``.

    Examples
    --------
    >>> values = [b"2026-01-01T10:00:00Z", b"", b"2026-02-30T10:00:00Z", b"2026-01-01"]
    >>> offsets = np.cumsum([0, *map(len, values)])
    >>> micros, state, others = iso_utc_micros(offsets, np.frombuffer(b"".join(values), np.uint8))
    >>> micros[:1].view("datetime64[us]"), state.tolist(), others
    (array(['2026-01-01T10:00:00.000000'], dtype='datetime64[us]'), [0, 1, 2, 2], 2)
    """
    n = len(offsets) - 1
    out = np.empty(n, dtype=np.int64)
    state = np.empty(n, dtype=np.int8)
    others = _iso_utc_micros(offsets, data, out, state)
    return out, state, int(others)


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
    offsets: np.ndarray, data: np.ndarray, mode: np.ndarray,
    out_offsets: np.ndarray, out: np.ndarray, not_ascii: np.ndarray,
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

"""Row validation: every row is loaded or rejected with exactly one reason.

The checks run in a fixed order and a row keeps the first reason that applies:

==========================  ================================================================
reason                      the row …
==========================  ================================================================
``malformed_row``           has more or fewer fields than the header (found while reading)
``stray_quote``             is a line that a quoted value spanning lines swallowed (found while
                            reading, see :mod:`linkguard.io.spans`); each such line is one row
``bad_utf8``                holds a field that is not valid UTF-8
``field_too_long``          holds a field longer than :data:`~linkguard.schema.MAX_FIELD_CHARS`
``missing_id``              has an empty id: ``order_id``, ``buyer_id``, ``seller_id``,
                            ``account_id``, ``loan_id``; for identifiers also an empty ``kind``
                            or a ``value`` that normalises to nothing (a phone with no digit)
``bad_id``                  has an ``order_id``, ``buyer_id``, ``seller_id``, ``account_id`` or
                            ``loan_id`` that breaks the id rule of :mod:`linkguard.ids`: more
                            than 128 characters, a control character (NUL, a line break …),
                            or ``.`` / ``..``; every id ingest accepts can be looked up
``bad_amount``              has an ``amount`` that is no finite decimal number
``negative_amount``         has an ``amount`` below zero
``amount_too_large``        has an ``amount`` above the largest accepted one (``max_amount``:
                            :data:`~linkguard.schema.MAX_AMOUNT` unless the ruleset's
                            ``[ingest] max_amount`` says otherwise)
``bad_timestamp``           has a timestamp that is no ISO-8601 date-time: a required one
                            (``created_at`` of orders, ``applied_at``) that is empty or broken,
                            or an optional one (``confirmed_at``, ``seen_at``, ``created_at`` of
                            accounts) that is present but broken
``timestamp_out_of_range``  has a timestamp outside the years 1 to 9999 once in UTC
                            (``9999-12-31T23:30:00-01:00`` is in the year 10000): no database,
                            Parquet reader or ISO-8601 consumer can read it back
``rating_out_of_range``     has a ``rating`` that is present and not a number from 1 to 5
``duplicate_id``            repeats the ``order_id``, ``account_id`` (accounts) or ``loan_id`` of
                            an earlier row that passed every other check; the first one is kept
==========================  ================================================================

An order whose buyer is its seller is kept: it is evidence of self-dealing, not noise.

Every check is an Arrow, polars, numpy or compiled (:mod:`linkguard.io._kernels`) operation
over whole columns; the only Python loops are over distinct values of low-cardinality columns
and over rows already found bad.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.ids import bad_ids
from linkguard.io.arrow import empty_strings, is_empty, strip, to_polars
from linkguard.io.hashing import hash_normalised, normalise_kinds, normalise_values
from linkguard.io.parse import parse_amounts, parse_flags, parse_ratings, parse_timestamps
from linkguard.io.raw import RawTable
from linkguard.io.text import decode_utf8, longer_than
from linkguard.schema import MAX_AMOUNT, MAX_FIELD_CHARS, TableSpec

__all__ = ["REASONS", "CheckedTable", "validate"]

#: Rejection reasons, in the order they are checked.
REASONS = (
    "malformed_row",
    "stray_quote",
    "bad_utf8",
    "field_too_long",
    "missing_id",
    "bad_id",
    "bad_amount",
    "negative_amount",
    "amount_too_large",
    "bad_timestamp",
    "timestamp_out_of_range",
    "rating_out_of_range",
    "duplicate_id",
)
_CODE = {reason: code for code, reason in enumerate(REASONS, start=1)}

#: The instants every consumer can read back: the years 1 to 9999, in UTC.
_FIRST_INSTANT = np.datetime64("0001-01-01T00:00:00", "us")
_LAST_INSTANT = np.datetime64("9999-12-31T23:59:59.999999", "us")

#: Vocabulary columns compared case-insensitively downstream, so stored lowercased.
_LOWERCASE = {
    "orders": ("status",),
    "accounts": ("kind", "status"),
    "loans": ("product", "decision"),
}


@dataclass(frozen=True)
class CheckedTable:
    """A validated table: the verdict on every row and the normalised values of all rows.

    Attributes
    ----------
    raw
        The table as read.
    text
        Each column decoded (``""`` where its bytes were not UTF-8), unstripped: the row as read.
    broken
        Column index -> mask of rows whose bytes in that column were not UTF-8.
    reason
        Per row: 0 when loaded, else the 1-based index of its reason in :data:`REASONS`.
    column
        Per row: index of the column that failed, ``-1`` when none or the whole row.
    values
        Contract columns normalised for every row (strings stripped, kinds resolved, amounts,
        timestamps, ratings and flags parsed, identifier values hashed as ``value_hash``).
    """

    raw: RawTable
    text: tuple[pa.ChunkedArray, ...]
    broken: dict[int, np.ndarray]
    reason: np.ndarray
    column: np.ndarray
    values: dict[str, Any]

    @property
    def loaded(self) -> np.ndarray:
        """Mask of the rows that passed every check."""
        return np.asarray(self.reason == 0)

    def by_reason(self) -> dict[str, int]:
        """How many rows each reason rejected, malformed rows included, in check order."""
        counts = Counter(self.reason[self.reason > 0].tolist())
        for row in self.raw.malformed:
            counts[_CODE[row.reason]] += 1
        return {r: counts[_CODE[r]] for r in REASONS if counts[_CODE[r]]}


class _Verdict:
    """Reasons assigned so far; a row keeps the first one it gets."""

    def __init__(self, n: int) -> None:
        self.reason = np.zeros(n, dtype=np.int8)
        self.column = np.full(n, -1, dtype=np.int16)

    def reject(self, mask: np.ndarray, reason: str, column: int) -> None:
        hit = mask & (self.reason == 0)
        self.reason[hit] = _CODE[reason]
        self.column[hit] = column

    @property
    def passing(self) -> np.ndarray:
        return np.asarray(self.reason == 0)


def validate(
    raw: RawTable, spec: TableSpec, pepper: bytes, *, max_amount: float = MAX_AMOUNT
) -> CheckedTable:
    """Check every row of ``raw`` against ``spec`` and normalise its contract columns.

    Parameters
    ----------
    raw
        The table as read.
    spec
        Its contract.
    pepper
        Key for pseudonymising identifier values.
    max_amount
        The largest accepted amount; larger ones are quarantined as ``amount_too_large``.
    """
    n = raw.n_rows
    verdict = _Verdict(n)
    index = {name: i for i, name in enumerate(raw.columns)}

    text: list[pa.ChunkedArray] = []
    broken: dict[int, np.ndarray] = {}
    for i, column in enumerate(raw.data):
        decoded, bad = decode_utf8(column)
        if bad.any():
            broken[i] = bad
            verdict.reject(bad, "bad_utf8", i)
        text.append(decoded)
    for i, decoded in enumerate(text):
        too_long = longer_than(decoded, MAX_FIELD_CHARS)
        if too_long is not None:
            verdict.reject(too_long, "field_too_long", i)

    # An absent optional column reads as a column of empty fields.
    values: dict[str, Any] = {
        name: strip(text[index[name]]) if name in index else empty_strings(n)
        for name in spec.columns
    }

    id_columns: tuple[str, ...] = spec.id_columns
    if spec.name == "identifiers":
        values["kind"] = normalise_kinds(values["kind"])
        values["value"] = normalise_values(values["value"], values["kind"])
        values["value_hash"] = hash_normalised(values["value"], pepper)
        id_columns = ("account_id", "kind", "value")
    for name in id_columns:
        verdict.reject(is_empty(values[name]), "missing_id", index[name])
    for name in spec.id_columns:
        if name != "value":  # identifier values are hashed, never shown: any text will do
            verdict.reject(bad_ids(values[name]), "bad_id", index[name])

    negative: dict[str, np.ndarray] = {}
    for name in spec.amount_columns:
        values[name], bad, negative[name] = parse_amounts(values[name])
        verdict.reject(bad, "bad_amount", index[name])
    for name in spec.amount_columns:
        verdict.reject(negative[name], "negative_amount", index[name])
    for name in spec.amount_columns:
        with np.errstate(invalid="ignore"):
            verdict.reject(values[name] > max_amount, "amount_too_large", index[name])

    for name in spec.timestamp_columns:
        stamps, bad = parse_timestamps(values[name])
        values[name] = stamps
        if name in spec.required:
            bad = bad | np.isnat(stamps)
        if name in index:
            verdict.reject(bad, "bad_timestamp", index[name])
            outside = (stamps < _FIRST_INSTANT) | (stamps > _LAST_INSTANT)  # NaT: False
            verdict.reject(outside, "timestamp_out_of_range", index[name])

    if spec.name == "orders":
        values["rating"], bad = parse_ratings(values["rating"])
        if "rating" in index:
            verdict.reject(bad, "rating_out_of_range", index["rating"])
    if spec.name == "loans":
        for name in ("first_overdue", "defaulted"):
            values[name] = parse_flags(values[name])
    for name in _LOWERCASE.get(spec.name, ()):
        values[name] = pc.utf8_lower(values[name])

    if spec.unique_column is not None:
        column = spec.unique_column
        verdict.reject(_repeats(values[column], verdict.passing), "duplicate_id", index[column])

    return CheckedTable(raw, tuple(text), broken, verdict.reason, verdict.column, values)


def _repeats(ids: pa.ChunkedArray, candidates: np.ndarray) -> np.ndarray:
    """Mask of candidate rows whose id an earlier candidate row already has."""
    repeats = np.zeros(len(candidates), dtype=bool)
    rows = np.flatnonzero(candidates)
    if rows.size == 0:
        return repeats
    kept = to_polars(ids.filter(pa.array(candidates)))
    if kept.is_sorted():
        # Exports are often ordered by id; then repeats sit next to each other and one
        # comparison with the neighbour replaces hashing every id.
        first = np.ones(len(kept), dtype=bool)
        first[1:] = (kept.slice(1) != kept.slice(0, len(kept) - 1)).to_numpy()
    else:
        first = _first_distinct(kept)
    repeats[rows[~first]] = True
    return repeats


def _first_distinct(values: pl.Series) -> np.ndarray:
    """``values.is_first_distinct()``, cheaply when few values repeat.

    Equal values have equal 64-bit hashes, so only the values whose hash occurs more than once
    (the repeats, and the rare collision) are compared as strings; finding them takes a sort
    of the hashes instead of a hash table over the strings.
    """
    hashes = values.hash()
    ordered = np.sort(hashes.to_numpy())
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    first = np.ones(len(values), dtype=bool)
    if repeated.size == 0:
        return first
    suspects = np.flatnonzero(hashes.is_in(pl.Series(repeated).implode()).to_numpy())
    first[suspects] = values.gather(suspects).is_first_distinct().to_numpy()
    return first

"""Deliberately bad rows, each with exactly one defect, and the record of where they are.

Every bad row is an extra row: a copy of an ordinary row (between honest accounts) with one
field broken, inserted at a random place in the file (a duplicate always after the row it
copies). Loading the table and dropping the bad rows therefore leaves exactly the clean
market, so planted fraud never depends on a row the loader must reject.

Examples
--------
>>> import numpy as np, pyarrow as pa
>>> t = pa.table({"loan_id": ["L1", "L2"], "account_id": ["a", "b"],
...               "applied_at": ["2026-01-01T00:00:00Z"] * 2, "amount": ["5.00", "6.00"]})
>>> out, bad = inject("loans", t, np.array([0, 1]), np.random.default_rng(1), 0.5,
...                   lambda k: [f"L9{i}" for i in range(k)])
>>> bad
[{'file': 'loans', 'row': 2, 'reason': 'duplicate_id'}]
>>> out.column("loan_id").to_pylist()
['L1', 'L2', 'L2']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = ["DIRTY_REASONS", "inject"]

#: The reasons planted per table, each a reason of the loader's validation.
DIRTY_REASONS: dict[str, tuple[str, ...]] = {
    "orders": (
        "negative_amount",
        "bad_amount",
        "bad_timestamp",
        "missing_id",
        "duplicate_id",
        "rating_out_of_range",
        "field_too_long",
    ),
    "accounts": ("duplicate_id", "missing_id", "field_too_long"),
    "identifiers": ("missing_id", "bad_timestamp", "field_too_long"),
    "loans": ("negative_amount", "bad_amount", "bad_timestamp", "missing_id", "duplicate_id"),
}
_ID = {
    "orders": "order_id",
    "accounts": "account_id",
    "identifiers": "account_id",
    "loans": "loan_id",
}
_TIME = {"orders": "created_at", "identifiers": "seen_at", "loans": "applied_at"}
#: Where an over-long value goes: an id in most tables, the value itself for identifiers.
_LONG = {
    "orders": "buyer_id",
    "accounts": "account_id",
    "identifiers": "value",
    "loans": "account_id",
}
_BAD_AMOUNTS = ("12.5.0", "twelve", "1O.99", "$$", "3,5,0")
_BAD_TIMES = (
    "2026-13-45T25:61:00Z",
    "31/02/2026 25:00",
    "yesterday",
    "0000-00-00 00:00:00",
    "2026-02-30T10:00:00Z",
)
_BAD_RATINGS = ("0", "6", "7", "10", "-1")


def inject(
    table_name: str,
    table: pa.Table,
    eligible: npt.NDArray[np.int64],
    rng: np.random.Generator,
    fraction: float,
    fresh_ids: Callable[[int], list[str]] | None = None,
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Insert bad rows into ``table`` (all-string columns).

    Parameters
    ----------
    table_name
        ``orders``, ``accounts``, ``identifiers`` or ``loans``.
    table
        The clean table in file order.
    eligible
        Row positions that may be copied (rows of honest accounts, plain orders).
    rng
        The market's random generator.
    fraction
        Bad rows per clean row; at least one bad row when positive.
    fresh_ids
        ``fresh_ids(k)`` returns ``k`` unused ids for the unique column of ``orders`` and
        ``loans`` (a bad row other than a duplicate must not repeat an id).

    Returns
    -------
    tuple
        The table with the bad rows and one ``{"file", "row", "reason"}`` per bad row, where
        ``file`` is the table name and ``row`` the 0-based position among the data rows.
    """
    n = table.num_rows
    count = 0 if fraction <= 0 or n == 0 or len(eligible) == 0 else max(1, round(fraction * n))
    if count == 0:
        return table, []
    reasons = DIRTY_REASONS[table_name]
    cycle = [reasons[i] for i in rng.permutation(len(reasons))]
    planned = [cycle[i % len(cycle)] for i in range(count)]
    source = np.sort(rng.choice(eligible, count, replace=count > len(eligible)))
    rows = table.take(pa.array(source)).to_pylist()
    fresh = iter(fresh_ids(count) if fresh_ids else [])
    for row, reason in zip(rows, planned, strict=True):
        if reason != "duplicate_id" and table_name in ("orders", "loans"):
            row[_ID[table_name]] = next(fresh)
        _break(row, reason, table_name, rng)
    # Slot s means "just before clean row s"; a duplicate goes somewhere after its original.
    slot = np.array(
        [
            int(rng.integers(src + 1 if reason == "duplicate_id" else 0, n + 1))
            for src, reason in zip(source, planned, strict=True)
        ]
    )
    key = np.r_[2 * np.arange(n) + 1, 2 * slot]
    order = np.argsort(key, kind="stable")
    bad_rows = pa.Table.from_pylist(rows, schema=table.schema)
    merged = pa.concat_tables([table, bad_rows]).take(pa.array(order))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    dirty = [
        {"file": table_name, "row": int(position[n + i]), "reason": reason}
        for i, reason in enumerate(planned)
    ]
    return merged, dirty


def _break(row: dict[str, Any], reason: str, table_name: str, rng: np.random.Generator) -> None:
    """Give ``row`` the one defect ``reason`` names."""
    if reason == "negative_amount":
        row["amount"] = "-" + row["amount"]
    elif reason == "bad_amount":
        row["amount"] = str(rng.choice(_BAD_AMOUNTS))
    elif reason == "bad_timestamp":
        row[_TIME[table_name]] = str(rng.choice(_BAD_TIMES))
    elif reason == "missing_id":
        column = _ID[table_name]
        if table_name == "orders":
            column = str(rng.choice(["order_id", "buyer_id", "seller_id"]))
        row[column] = None
    elif reason == "rating_out_of_range":
        row["rating"] = str(rng.choice(_BAD_RATINGS))
    elif reason == "field_too_long":
        # A pasted blob: far over the loader's 256-character limit.
        row[_LONG[table_name]] = "x" + "".join(rng.choice(list("0123456789abcdef"), 299).tolist())
    # duplicate_id: the copy itself is the defect.

"""Market.from_frames takes time columns in every shape the readers hand it."""

from __future__ import annotations

import pandas as pd
import pytest

from linkguard.market import Market

ORDERS = {
    "order_id": ["o1", "o2"],
    "buyer_id": ["b1", "b2"],
    "seller_id": ["s1", "s1"],
    "amount": [10.5, 20.0],
    "created_at": ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z"],
}


def _unknown_times(n: int) -> pd.Series:
    # What the Neo4j engine reads back for a time that was never given: UTC, all NaT.
    return pd.Series([pd.NaT] * n, dtype="datetime64[us, UTC]")


@pytest.mark.parametrize(
    "column",
    [
        _unknown_times(2),
        pd.Series([None, None], dtype=object),
        pd.Series(["", ""], dtype=object).replace("", None),
        pd.Series([pd.Timestamp("2026-01-03T00:00:00Z"), pd.NaT]),
    ],
    ids=["utc-all-nat", "object-none", "object-empty", "utc-some"],
)
def test_optional_times_that_are_unknown(column: pd.Series) -> None:
    orders = pd.DataFrame(ORDERS).assign(confirmed_at=column)
    accounts = pd.DataFrame({"account_id": ["b1", "s1"], "created_at": column})
    market = Market.from_frames(orders, accounts)
    for times in (market.orders["confirmed_at"], market.accounts["created_at"]):
        assert str(times.dtype) == "datetime64[us, UTC]"
    assert market.orders["confirmed_at"].isna().sum() == column.isna().sum()
    known = market.accounts.set_index("account_id")["created_at"]
    assert known.isna().sum() == 1 + int(column.isna().sum())  # b2 has no accounts row

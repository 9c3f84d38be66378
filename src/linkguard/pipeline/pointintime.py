"""What was known at a moment: the market as of a timestamp, and the month starts to cut at.

A backtest must never let information from after an application count for it. The market as
of ``t`` keeps only orders created before ``t`` and identifier rows seen before ``t`` (rows
without ``seen_at`` are kept: nothing says when they appeared), and forgets every loan outcome
and every account status (a status carries no date, so it may have been set after ``t``: a
``defaulted`` status is itself a loan outcome). Accounts keep their codes, so a snapshot made
from it names the same accounts.

Examples
--------
>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "buyer_id": ["b", "b"],
...                        "seller_id": ["s", "s"], "amount": [5.0, 7.0],
...                        "created_at": ["2026-01-01T10:00:00Z", "2026-02-01T10:00:00Z"]})
>>> m = Market.from_frames(orders)
>>> market_as_of(m, pd.Timestamp("2026-01-15", tz="UTC")).orders["order_id"].tolist()
['o1']
>>> [str(t.date()) for t in month_starts(pd.Series(pd.to_datetime(
...     ["2026-01-03", "2026-03-09"], utc=True)))]
['2026-01-01', '2026-02-01', '2026-03-01']
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from linkguard.market import Market

__all__ = ["market_as_of", "month_starts", "parse_as_of"]


def parse_as_of(text: str) -> pd.Timestamp:
    """An ISO-8601 date or date-time as a UTC timestamp (naive values are UTC).

    Raises
    ------
    ValueError
        When ``text`` is no date.
    """
    ts = pd.Timestamp(text)
    if pd.isna(ts):
        raise ValueError(f"not a timestamp: {text!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def market_as_of(market: Market, as_of: pd.Timestamp) -> Market:
    """``market`` as it was known just before ``as_of`` (see the module notes)."""
    o = market.orders
    orders = o[(o["created_at"] < as_of).to_numpy()].reset_index(drop=True)
    ids = market.identifiers
    if "seen_at" in ids.columns:
        seen = ids["seen_at"]
        ids = ids[(seen.isna() | (seen < as_of)).to_numpy()].reset_index(drop=True)
    accounts = market.accounts.copy()
    accounts["status"] = ""
    loans = market.loans
    loans = loans[(loans["applied_at"] < as_of).to_numpy()].reset_index(drop=True)
    loans = loans.assign(first_overdue=np.nan, defaulted=np.nan)
    return replace(
        market,
        orders=orders,
        identifiers=ids,
        accounts=accounts,
        loans=loans,
        repayments=market.repayments.iloc[0:0],
    )


def month_starts(times: pd.Series) -> list[pd.Timestamp]:
    """The first instant of every month from the earliest to the latest of ``times`` (UTC)."""
    t = times.dropna()
    if t.empty:
        return []
    first = t.min().tz_convert("UTC").tz_localize(None).to_period("M").to_timestamp()
    last = t.max().tz_convert("UTC").tz_localize(None).to_period("M").to_timestamp()
    return [ts.tz_localize("UTC") for ts in pd.date_range(first, last, freq="MS")]

"""Tables to graph arrays: buyer-to-seller trade pairs and account-identifier memberships.

Everything is built from arrays (no Python loop over rows): pairs are aggregated with a
sort on a combined int64 key and ``np.add.reduceat``.

Examples
--------
>>> import numpy as np
>>> pairs = trade_pairs(np.array([0, 0, 1]), np.array([2, 2, 2]), np.array([5.0, 7.0, 1.0]),
...                     np.array([10, 20, 30]), np.array([5.0, np.nan, 4.0]))
>>> pairs.buyer.tolist(), pairs.seller.tolist(), pairs.orders.tolist(), pairs.amount.tolist()
([0, 1], [2, 2], [2, 1], [12.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkguard._arrays import unique_ints

__all__ = ["IdentifierValues", "TradePairs", "identifier_values", "trade_pairs"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TradePairs:
    """Orders aggregated per (buyer, seller) pair; arrays are aligned, one entry per pair.

    ``order_pair[i]`` is the pair index of input order ``i``.
    """

    buyer: IntArray
    seller: IntArray
    orders: IntArray
    amount: FloatArray
    first_ts: IntArray
    last_ts: IntArray
    rating_mean: FloatArray
    five_star: IntArray
    order_pair: IntArray

    def __len__(self) -> int:
        return len(self.buyer)


def trade_pairs(
    buyer: npt.ArrayLike,
    seller: npt.ArrayLike,
    amount: npt.ArrayLike,
    ts: npt.ArrayLike,
    rating: npt.ArrayLike,
) -> TradePairs:
    """Aggregate orders into buyer-to-seller pairs.

    Parameters
    ----------
    buyer, seller
        Account codes per order.
    amount
        Order amounts.
    ts
        Order times, seconds since the epoch.
    rating
        Ratings 1-5, NaN when missing.

    Notes
    -----
    O(n log n) for n orders (one argsort of the combined pair key).
    """
    b = np.asarray(buyer, dtype=np.int64)
    s = np.asarray(seller, dtype=np.int64)
    amt = np.asarray(amount, dtype=np.float64)
    t = np.asarray(ts, dtype=np.int64)
    r = np.asarray(rating, dtype=np.float64)
    if len(b) == 0:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0, dtype=np.float64)
        return TradePairs(e, e, e, f, e, e, f, e, e)
    key = b * (int(max(b.max(), s.max())) + 1) + s
    order = np.argsort(key, kind="stable")
    sk = key[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    pair_of_sorted = np.cumsum(np.r_[False, sk[1:] != sk[:-1]])
    order_pair = np.empty(len(b), dtype=np.int64)
    order_pair[order] = pair_of_sorted
    counts = np.diff(np.r_[starts, len(sk)])
    rated = ~np.isnan(r)
    r_sorted = np.where(rated, r, 0.0)[order]
    n_rated = np.add.reduceat(rated[order].astype(np.int64), starts)
    rating_sum = np.add.reduceat(r_sorted, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        rating_mean = np.where(n_rated > 0, rating_sum / np.maximum(n_rated, 1), np.nan)
    return TradePairs(
        buyer=b[order][starts],
        seller=s[order][starts],
        orders=counts.astype(np.int64),
        amount=np.add.reduceat(amt[order], starts),
        first_ts=np.minimum.reduceat(t[order], starts),
        last_ts=np.maximum.reduceat(t[order], starts),
        rating_mean=rating_mean,
        five_star=np.add.reduceat((r[order] >= 5).astype(np.int64), starts),
        order_pair=order_pair,
    )


@dataclass(frozen=True)
class IdentifierValues:
    """Distinct (account, identifier value) memberships, with per-value sharing counts.

    ``account[i]`` uses value ``value[i]``; values are numbered 0..n_values-1, and
    ``kind_of_value[v]`` / ``sharers[v]`` give each value's kind and how many distinct
    accounts use it.
    """

    account: IntArray
    value: IntArray
    kind_of_value: npt.NDArray[np.object_]
    sharers: IntArray

    @property
    def n_values(self) -> int:
        return len(self.sharers)


def identifier_values(
    account: npt.ArrayLike, kind: npt.ArrayLike, value_hash: npt.ArrayLike
) -> IdentifierValues:
    """Number identifier values by (kind, hash) and drop repeated (account, value) rows."""
    import pandas as pd

    acc = np.asarray(account, dtype=np.int64)
    kind_codes, kinds = pd.factorize(pd.Series(kind), sort=True)
    hash_codes, _ = pd.factorize(pd.Series(value_hash))
    n_hashes = int(hash_codes.max(initial=0)) + 1
    pair = kind_codes.astype(np.int64) * n_hashes + hash_codes
    uniq_pair, value = np.unique(pair, return_inverse=True)
    n_values = len(uniq_pair)
    stride = int(acc.max(initial=0)) + 1
    key = unique_ints(value.astype(np.int64) * stride + acc)
    value_u = key // stride
    account_u = key % stride
    kind_of_value = np.asarray(kinds, dtype=object)[uniq_pair // n_hashes]
    sharers = np.bincount(value_u, minlength=n_values).astype(np.int64)
    return IdentifierValues(account_u, value_u, kind_of_value, sharers)

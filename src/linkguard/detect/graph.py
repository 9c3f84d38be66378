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
    order = np.argsort(key)  # order within a pair does not matter: sums, minima, maxima
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
    acc = np.asarray(account, dtype=np.int64)
    kind_codes, kinds = _factorize(kind)
    if len(kinds) > 15:
        raise ValueError("more than 15 identifier kinds")
    # The kind goes into the top 4 bits of a 64-bit value key (the hash keeps its low 60):
    # one integer sort numbers the (kind, hash) values; a second the (value, account) pairs.
    low60 = np.uint64((1 << 60) - 1)
    key = (_hash_codes(value_hash).view(np.uint64) & low60) | (
        kind_codes.astype(np.uint64) << np.uint64(60)
    )
    uniq, value = np.unique(key, return_inverse=True)
    stride = int(acc.max(initial=0)) + 1
    pairs = unique_ints(value.astype(np.int64) * stride + acc)
    value_u, account_u = pairs // stride, pairs % stride
    kind_of_value = np.asarray(kinds, dtype=object)[(uniq >> np.uint64(60)).astype(np.int64)]
    sharers = np.bincount(value_u, minlength=len(uniq)).astype(np.int64)
    return IdentifierValues(account_u, value_u, kind_of_value, sharers)


_HEX_NIBBLE = np.full(256, 255, dtype=np.uint8)
_HEX_NIBBLE[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)
_HEX_NIBBLE[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)


def _factorize(values: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
    """Codes and distinct values; Arrow's dictionary encoding when the data is Arrow text."""
    import pandas as pd
    import pyarrow as pa

    series = pd.Series(values)
    if isinstance(series.array, pd.arrays.ArrowStringArray):
        encoded = pa.chunked_array(pa.array(series.array)).combine_chunks().dictionary_encode()
        return (
            np.asarray(encoded.indices, dtype=np.int64),
            np.asarray(encoded.dictionary.to_pylist(), dtype=object),
        )
    codes, uniques = pd.factorize(series)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _hash_codes(value_hash: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """An int64 per value that is equal exactly when the hashes are equal.

    Ingest's hashes are 32 hex digits; their first 16 read as a number are as good as the
    whole (a collision among 10^8 values has odds of about 1 in 3,600), and reading them
    straight from the Arrow buffer avoids touching millions of Python strings. Other values
    are factorised.
    """
    import pyarrow as pa

    series = value_hash
    try:
        arr = pa.chunked_array(pa.array(getattr(series, "array", series), type=pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is not None and len(arr) and arr.null_count == 0:
        flat = arr.combine_chunks()
        start = flat.offset
        offsets = np.frombuffer(flat.buffers()[1], dtype=np.int32)[start : start + len(flat) + 1]
        if np.all(np.diff(offsets) == 32):
            data = np.frombuffer(flat.buffers()[2], dtype=np.uint8)
            nibbles = _HEX_NIBBLE[data[offsets[0] : offsets[-1]].reshape(-1, 32)[:, :16]]
            if not (nibbles == 255).any():
                octets = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
                big_endian = np.ascontiguousarray(octets).view(">u8").ravel()
                return big_endian.astype(np.uint64).view(np.int64)
    return _factorize(value_hash)[0]

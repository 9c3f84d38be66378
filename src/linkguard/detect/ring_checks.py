"""Second looks at the peeled rings and lockstep groups: sellers that only brush past a ring,
groups rated like everyone else.

* A peeled block's sellers pass its member test when their edges into it beat twice their own
  expectation; a small honest shop where two of a farm's accounts spent camouflage orders can
  do that (its expectation is tiny). :func:`trim_sparse_sellers` keeps a ring's sellers only
  when their edges from its buyers are improbable beyond a Bonferroni bound over every seller
  (configuration model, Poisson tail), then its buyers with two edges into what is left (one,
  for rings seen through bursts).
* Bought reputation is rated five stars. :func:`drop_ordinary_ratings` drops a ring whose
  orders are rated (``min_rated`` or more), less than uniformly five stars (under 90%) and
  not above the market's five-star rate beyond chance: a shop's regulars who order together
  at lunch, say. A group at one shop none of whose orders is rated is dropped too: only
  ratings would tell those regulars from a one-shop ring (farms around one shop are found
  through their linked, new accounts instead).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from linkguard.detect._background import poisson_log10_tail
from linkguard.detect._behaviour import binom_log10_tail
from linkguard.detect.graph import TradePairs
from linkguard.detect.rings import Ring, RingParams

__all__ = [
    "drop_ordinary_ratings",
    "rated_like_base",
    "rated_like_everyone",
    "trim_by_degrees",
    "trim_sparse_sellers",
]

IntArray = npt.NDArray[np.int64]


def trim_sparse_sellers(
    rings: list[Ring], pairs: TradePairs, n_accounts: int, params: RingParams, min_hits: int = 2
) -> list[Ring]:
    """Rings without the sellers their buyers reach no more often than chance allows.

    Buyers stay with ``min_hits`` sellers left (or all of them, when fewer are left).

    >>> import numpy as np
    >>> from linkguard.detect.graph import trade_pairs
    >>> rng = np.random.default_rng(0)
    >>> b = np.r_[np.repeat(np.arange(10), 2), 0, 1, rng.integers(20, 2000, 8000)]
    >>> s = np.r_[np.tile([2000, 2001], 10), 2002, 2002, rng.integers(2002, 2400, 8000)]
    >>> pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), np.nan))
    >>> ring = Ring(np.arange(10), np.array([2000, 2001, 2002]), 22, 0.7, 1.0, 9.0, 9.0)
    >>> trim_sparse_sellers([ring], pairs, 2400, RingParams())[0].sellers.tolist()
    [2000, 2001]
    """
    if not rings:
        return rings
    seller_deg = np.bincount(pairs.seller, minlength=n_accounts).astype(np.float64)
    buyer_deg = np.bincount(pairs.buyer, minlength=n_accounts).astype(np.float64)
    return trim_by_degrees(
        rings,
        pairs.buyer,
        pairs.seller,
        seller_deg,
        buyer_deg,
        float(len(pairs)),
        int((seller_deg > 0).sum()),
        params,
        min_hits,
    )


def trim_by_degrees(
    rings: list[Ring],
    pair_buyer: IntArray,
    pair_seller: IntArray,
    seller_deg: npt.NDArray[np.float64],
    buyer_deg: npt.NDArray[np.float64],
    total_pairs: float,
    n_sellers: int,
    params: RingParams,
    min_hits: int = 2,
) -> list[Ring]:
    """:func:`trim_sparse_sellers` given the market's statistics: its trade pairs' degrees
    (per account code), their number and the number of sellers.

    ``pair_buyer, pair_seller`` need only hold the pairs among the rings' members (an engine
    that keeps the market elsewhere passes those, in codes of its own); the degrees are the
    whole market's.
    """
    if not rings:
        return rings
    n_accounts = len(seller_deg)
    bar = math.log10(max(n_sellers, 1)) + 1.0
    groups = [(r.buyers, r.sellers) for r in rings]
    row, grp = _inside(groups, pair_buyer, pair_seller, n_accounts)
    # edges per (ring, seller), against the seller's expectation given the ring's buyers
    key = grp * n_accounts + pair_seller[row]
    ring_seller = np.concatenate([i * n_accounts + r.sellers for i, r in enumerate(rings)])
    edges = np.zeros(len(ring_seller), dtype=np.int64)
    order = np.argsort(ring_seller)
    np.add.at(edges, order[np.searchsorted(ring_seller[order], key)], 1)
    owner = ring_seller // n_accounts
    seller_of = ring_seller % n_accounts
    buyer_sum = np.array([buyer_deg[r.buyers].sum() for r in rings])
    lam = seller_deg[seller_of] * buyer_sum[owner] / total_pairs
    keep_seller = poisson_log10_tail(edges, lam) >= bar
    kept_key = ring_seller[keep_seller]
    kept_rows = np.isin(key, kept_key)
    hits_key = grp[kept_rows] * n_accounts + pair_buyer[row[kept_rows]]
    hk, hits = np.unique(hits_key, return_counts=True)
    out = []
    for i, ring in enumerate(rings):
        mine = owner == i
        if keep_seller[mine].all():
            out.append(ring)
            continue
        sellers = seller_of[mine][keep_seller[mine]]
        k = ring.buyers + i * n_accounts
        pos = np.minimum(np.searchsorted(hk, k), max(len(hk) - 1, 0))
        n_hits = np.where(hk[pos] == k, hits[pos], 0) if len(hk) else np.zeros(len(k))
        buyers = ring.buyers[n_hits >= min(min_hits, len(sellers))]
        if len(buyers) >= params.min_buyers and len(sellers) >= params.min_sellers:
            out.append(replace(ring, buyers=buyers, sellers=np.sort(sellers)))
    return out


def _inside(
    groups: list[tuple[IntArray, IntArray]],
    row_buyer: IntArray,
    row_seller: IntArray,
    n_accounts: int,
) -> tuple[IntArray, IntArray]:
    """Rows (pairs or orders) whose buyer and seller are both in a group: (row, group).

    A buyer may be in several groups; work is O(rows + memberships), not rows x groups.
    """
    g_buyer = np.concatenate([b for b, _ in groups]).astype(np.int64)
    g_of = np.repeat(np.arange(len(groups)), [len(b) for b, _ in groups])
    order = np.argsort(g_buyer, kind="stable")
    g_buyer, g_of = g_buyer[order], g_of[order]
    ptr = np.searchsorted(g_buyer, np.arange(n_accounts + 1))
    cand = np.flatnonzero(ptr[row_buyer + 1] > ptr[row_buyer])
    lengths = ptr[row_buyer[cand] + 1] - ptr[row_buyer[cand]]
    rows = np.repeat(cand, lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grp = g_of[ptr[row_buyer[rows]] + offs]
    seller_keys = np.concatenate([i * n_accounts + s for i, (_, s) in enumerate(groups)])
    inside = np.isin(grp * n_accounts + row_seller[rows], seller_keys)
    return rows[inside], grp[inside]


def drop_ordinary_ratings(
    rings: list[Ring],
    buyer: IntArray,
    seller: IntArray,
    rating: npt.NDArray[np.float64],
    n_accounts: int,
    min_rated: int = 10,
    min_log10_p: float = 1.5,
) -> list[Ring]:
    """Rings whose orders are not rated like ordinary shopping (:func:`rated_like_everyone`).

    >>> import numpy as np
    >>> b, s = np.r_[np.arange(12), np.arange(12) + 20], np.r_[np.full(12, 40), np.full(12, 41)]
    >>> r = np.r_[np.full(12, 5.0), np.tile([5.0, 4, 3, 5], 3)]
    >>> rings = [Ring(np.arange(12), np.array([40]), 12, 1.0, 1.0, 9.0, 9.0),
    ...          Ring(np.arange(12) + 20, np.array([41]), 12, 1.0, 1.0, 9.0, 9.0)]
    >>> [x.sellers.tolist() for x in drop_ordinary_ratings(rings, b, s, r, 50)]
    [[40]]
    """
    ordinary = rated_like_everyone(
        [(r.buyers, r.sellers) for r in rings],
        buyer,
        seller,
        rating,
        n_accounts,
        min_rated,
        min_log10_p,
    )
    return [r for r, o in zip(rings, ordinary, strict=True) if not o]


def rated_like_everyone(
    groups: list[tuple[IntArray, IntArray]],
    buyer: IntArray,
    seller: IntArray,
    rating: npt.NDArray[np.float64],
    n_accounts: int,
    min_rated: int = 10,
    min_log10_p: float = 1.5,
    uniform_share: float = 0.9,
) -> list[bool]:
    """Per (buyers, sellers) group: its orders have ``min_rated`` ratings or more, fewer than
    ``uniform_share`` of them are five stars, and that share is not above the market's by
    chance (-log10 p below ``min_log10_p``); or it is at one shop and none of its orders
    there is rated, which no rating can tell from a shop's regulars (see the module
    docstring).

    >>> import numpy as np
    >>> b, s = np.arange(6), np.array([9, 9, 9, 8, 8, 7])
    >>> r = np.array([np.nan, np.nan, np.nan, 5.0, np.nan, np.nan])
    >>> rated_like_everyone([(b[:3], s[:1]), (b[3:5], s[3:4]), (b[3:], s[3:])], b, s, r, 10)
    [True, False, False]
    """
    rated = ~np.isnan(rating)
    base = float((rating[rated] >= 5).mean()) if rated.any() else math.nan
    five = rated & (rating >= 5)
    return rated_like_base(
        groups,
        buyer,
        seller,
        rated.astype(np.int64),
        five.astype(np.int64),
        base,
        n_accounts,
        min_rated,
        min_log10_p,
        uniform_share,
    )


def rated_like_base(
    groups: list[tuple[IntArray, IntArray]],
    row_buyer: IntArray,
    row_seller: IntArray,
    row_rated: IntArray,
    row_five: IntArray,
    base: float,
    n_accounts: int,
    min_rated: int = 10,
    min_log10_p: float = 1.5,
    uniform_share: float = 0.9,
) -> list[bool]:
    """:func:`rated_like_everyone` given the market's five-star rate ``base`` (NaN: nothing
    is rated) and, per row (an order, or a trade pair with its counts), the rated and
    five-star orders it holds. Rows need only cover the groups' members."""
    if not groups:
        return []
    rows, grp = _inside(groups, row_buyer, row_seller, n_accounts)
    n = np.bincount(grp, weights=row_rated[rows], minlength=len(groups)).astype(np.int64)
    five = np.bincount(grp, weights=row_five[rows], minlength=len(groups)).astype(np.int64)
    return [
        bool(
            (n[i] == 0 and len(sellers) == 1)
            or (
                not math.isnan(base)
                and n[i] >= min_rated
                and five[i] < uniform_share * n[i]
                and binom_log10_tail(int(five[i]), int(n[i]), base) < min_log10_p
            )
        )
        for i, (_buyers, sellers) in enumerate(groups)
    ]

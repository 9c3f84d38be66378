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
  at lunch, say. Without ratings nothing is dropped.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from linkguard.detect._background import poisson_log10_tail
from linkguard.detect._behaviour import binom_log10_tail
from linkguard.detect.rings import Ring, RingParams
from linkguard.graph import TradePairs

__all__ = ["drop_ordinary_ratings", "rated_like_everyone", "trim_sparse_sellers"]

IntArray = npt.NDArray[np.int64]


def trim_sparse_sellers(rings: list[Ring], pairs: TradePairs, n_accounts: int,
                        params: RingParams, min_hits: int = 2) -> list[Ring]:
    """Rings without the sellers their buyers reach no more often than chance allows.

    Buyers stay with ``min_hits`` sellers left (or all of them, when fewer are left).

    >>> import numpy as np
    >>> from linkguard.graph import trade_pairs
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
    total = float(len(pairs))
    bar = math.log10(max(int((seller_deg > 0).sum()), 1)) + 1.0
    in_ring = np.zeros(n_accounts, dtype=np.bool_)
    out = []
    for ring in rings:
        in_ring[ring.buyers] = True
        sel = in_ring[pairs.buyer] & np.isin(pairs.seller, ring.sellers)
        in_ring[ring.buyers] = False
        edges = np.bincount(pairs.seller[sel], minlength=n_accounts)[ring.sellers]
        lam = seller_deg[ring.sellers] * buyer_deg[ring.buyers].sum() / total
        sellers = ring.sellers[poisson_log10_tail(edges, lam) >= bar]
        if len(sellers) == len(ring.sellers):
            out.append(ring)
            continue
        kept = sel & np.isin(pairs.seller, sellers)
        hits = np.bincount(pairs.buyer[kept], minlength=n_accounts)[ring.buyers]
        buyers = ring.buyers[hits >= min(min_hits, len(sellers))]
        if len(buyers) >= params.min_buyers and len(sellers) >= params.min_sellers:
            out.append(replace(ring, buyers=buyers, sellers=sellers))
    return out


def drop_ordinary_ratings(rings: list[Ring], buyer: IntArray, seller: IntArray,
                          rating: npt.NDArray[np.float64], n_accounts: int,
                          min_rated: int = 10, min_log10_p: float = 1.5) -> list[Ring]:
    """Rings whose orders are not rated like ordinary shopping (see the module docstring).

    >>> import numpy as np
    >>> b, s = np.r_[np.arange(12), np.arange(12) + 20], np.r_[np.full(12, 40), np.full(12, 41)]
    >>> r = np.r_[np.full(12, 5.0), np.tile([5.0, 4, 3, 5], 3)]
    >>> rings = [Ring(np.arange(12), np.array([40]), 12, 1.0, 1.0, 9.0, 9.0),
    ...          Ring(np.arange(12) + 20, np.array([41]), 12, 1.0, 1.0, 9.0, 9.0)]
    >>> [x.sellers.tolist() for x in drop_ordinary_ratings(rings, b, s, r, 50)]
    [[40]]
    """
    ordinary = rated_like_everyone([(r.buyers, r.sellers) for r in rings], buyer, seller,
                                   rating, n_accounts, min_rated, min_log10_p)
    return [r for r, o in zip(rings, ordinary, strict=True) if not o]


def rated_like_everyone(groups: list[tuple[IntArray, IntArray]], buyer: IntArray,
                        seller: IntArray, rating: npt.NDArray[np.float64], n_accounts: int,
                        min_rated: int = 10, min_log10_p: float = 1.5,
                        uniform_share: float = 0.9) -> list[bool]:
    """Per (buyers, sellers) group: its orders have ``min_rated`` ratings or more, fewer than
    ``uniform_share`` of them are five stars, and that share is not above the market's by
    chance (-log10 p below ``min_log10_p``)."""
    rated = ~np.isnan(rating)
    if not rated.any():
        return [False] * len(groups)
    base = float((rating[rated] >= 5).mean())
    b_in = np.zeros(n_accounts, dtype=np.bool_)
    s_in = np.zeros(n_accounts, dtype=np.bool_)
    out = []
    for buyers, sellers in groups:
        b_in[buyers] = True
        s_in[sellers] = True
        mine = b_in[buyer] & s_in[seller] & rated
        b_in[buyers] = False
        s_in[sellers] = False
        n = int(mine.sum())
        five = int((rating[mine] >= 5).sum())
        out.append(n >= min_rated and five < uniform_share * n
                   and binom_log10_tail(five, n, base) < min_log10_p)
    return out

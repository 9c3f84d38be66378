"""Rings found locally: a handful of shops whose buyer sets overlap far beyond chance, and
whose shared buyers came in bursts with five-star ratings.

Recruited or hijacked real accounts share nothing, and their ring (a few small shops x tens
of buyers, each buyer placing an order at a few of the shops) is too small and too sparse for
a global densest-block peel to reach. Locally it is glaring: two small shops that share ten
buyers, when their sizes predict a tenth of one. So:

1. every buyer with a few shops (at most ``max_buyer_shops``) contributes its pairs of small
   shops (popular shops, with more than ``max_shop_buyers`` buyers, take no part); a
   pair's shared buyers are compared with the configuration model (shop sizes times the
   buyers' chances of buying at two shops, ``sum d (d - 1) / E^2``), Poisson tail, and kept
   when improbable beyond a Bonferroni bound over every pair with ``min_shared`` buyers;
2. kept pairs join into groups of shops (seeds); a group of more than ``max_sellers`` shops
   is no handful and is left to the peel;
3. the buyers who bought at two or more of a seed's shops are its ring candidates; their
   orders there must come in bursts (runs with short gaps; at least ``min_bursts`` of them,
   holding ``min_burst_share`` of the orders) and, when rated, be five stars far beyond the
   market's rate;
4. the ring grows by the buyers with a single order at its shops placed inside one of its
   bursts.

A fan community that buys at a few small shops over months shares buyers as much, but at its
own times and with ordinary ratings; a joint promotion brings one burst with ordinary ratings.
When the times carry no time of day (a daily export), a burst is a day's orders: a seed then
needs its ratings to show five stars far beyond the market's as well (days of orders alone
are no evidence), and no buyer joins for a single order on one of its days. With neither
times of day nor ratings nothing is flagged.

Examples
--------
>>> import numpy as np
>>> from linkguard.detect.graph import trade_pairs
>>> rng = np.random.default_rng(1)
>>> hb = rng.integers(100, 3000, 15000); hs = rng.integers(3000, 3300, 15000)
>>> rb = np.repeat(np.arange(20), 2)                       # 20 recruited buyers, 2 shops each
>>> rs = 3300 + (rb + np.tile([0, 1], 20)) % 3
>>> rt = 30 * 86400 + (np.arange(40) % 4) * 5 * 86400 + rng.integers(0, 3600, 40)
>>> b, s = np.r_[rb, hb], np.r_[rs, hs]
>>> ts = np.r_[rt, rng.integers(0, 90 * 86400, 15000)]
>>> rating = np.r_[np.full(40, 5.0), rng.choice([2.0, 4, 5], 15000)]
>>> pairs = trade_pairs(b, s, np.ones(len(b)), ts, rating)
>>> [(r.buyers.tolist() == list(range(20)), r.sellers.tolist())
...  for r in local_rings(pairs, b, s, ts, rating, 3400)]
[(True, [3300, 3301, 3302])]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from linkguard._arrays import components, pairs_within_groups
from linkguard.detect._background import poisson_log10_tail
from linkguard.detect._behaviour import (
    UNKNOWN,
    Baseline,
    Behaviour,
    behaviour,
    coarse_times,
    market_baseline,
)
from linkguard.detect.graph import TradePairs
from linkguard.detect.rings import Ring

__all__ = ["LocalRingParams", "local_rings", "seed_ring"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LocalRingParams:
    """Seller-pair overlap, seeds and the behaviour a local ring must show."""

    #: Buyers with more distinct shops than this add no shop pairs (they add little evidence).
    max_buyer_shops: int = 30
    #: Shops with more buyers than this (and than ``max_shop_share`` of all buyers) are no
    #: small shops: they take no part in shop pairs, which keeps the pair count near O(orders).
    max_shop_buyers: int = 300
    max_shop_share: float = 0.005
    #: Shared buyers a shop pair needs to be tested at all.
    min_shared: int = 3
    #: The overlap over chance, -log10 p, beyond the Bonferroni bound over every tested pair.
    min_log10_p: float = 2.0
    #: A seed of more shops than this is no handful.
    max_sellers: int = 12
    min_buyers: int = 5
    #: Orders within this many seconds of the one before belong to one burst ...
    burst_gap_seconds: int = 3600
    #: ... of at least this many orders; this many bursts holding this share of the orders.
    min_burst_orders: int = 3
    min_bursts: int = 2
    min_burst_share: float = 0.6
    min_five_star_share: float = 0.8
    min_five_star_log10_p: float = 2.0
    #: Rated orders needed before the ratings count as evidence.
    min_rated: int = 5
    #: Without them, shops the ring must keep: two shops sharing a crowd in bursts is what a
    #: joint promotion looks like, and only ratings would tell it from bought orders.
    min_sellers_unrated: int = 3


def _significant_pairs(
    pairs: TradePairs, params: LocalRingParams
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Shop pairs sharing improbably many buyers: (shop a, shop b, shared, -log10 p)."""
    e = np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, pairs.buyer[1:] != pairs.buyer[:-1]])
    deg = np.diff(np.r_[starts, len(pairs)])
    stride = int(pairs.seller.max()) + 1
    shop_buyers = np.bincount(pairs.seller, minlength=stride).astype(np.float64)
    cap = max(params.max_shop_buyers, params.max_shop_share * len(starts))
    small = shop_buyers[pairs.seller] <= cap
    # Each buyer's small shops (pairs sort by buyer, so a buyer's pairs stay together).
    sub = np.flatnonzero(small)
    sub_buyer = pairs.buyer[sub]
    sub_starts = np.flatnonzero(np.r_[True, sub_buyer[1:] != sub_buyer[:-1]]) if len(sub) else sub
    sub_deg = np.diff(np.r_[sub_starts, len(sub)])
    light = (sub_deg >= 2) & (sub_deg <= params.max_buyer_shops)
    if not light.any():
        return e, e, e, np.zeros(0)
    sa, sb, _ = pairs_within_groups(pairs.seller[sub], sub_starts[light], sub_deg[light])
    lo, hi = np.minimum(sa, sb), np.maximum(sa, sb)
    keys, shared = np.unique(lo * stride + hi, return_counts=True)
    tested = shared >= params.min_shared
    keys, shared = keys[tested], shared[tested]
    if len(keys) == 0:
        return e, e, e, np.zeros(0)
    a, b = keys // stride, keys % stride
    d = deg[deg <= params.max_buyer_shops].astype(np.float64)
    total = float(d.sum())
    lam = shop_buyers[a] * shop_buyers[b] * float((d * (d - 1)).sum()) / max(total, 1.0) ** 2
    log10_p = poisson_log10_tail(shared, lam)
    keep = log10_p >= params.min_log10_p + math.log10(len(keys))
    return a[keep], b[keep], shared[keep], log10_p[keep]


def local_rings(
    pairs: TradePairs,
    buyer: npt.ArrayLike,
    seller: npt.ArrayLike,
    ts: npt.ArrayLike,
    rating: npt.ArrayLike,
    n_accounts: int,
    params: LocalRingParams | None = None,
    created: npt.ArrayLike | None = None,
) -> list[Ring]:
    """Rings of a handful of shops grown from shop pairs that share improbably many buyers.

    Parameters
    ----------
    pairs
        Trade pairs of the orders (:func:`linkguard.detect.graph.trade_pairs`).
    buyer, seller, ts, rating
        Per order: buyer and seller codes, time (epoch seconds), rating (NaN when unrated).
    n_accounts
        Number of account codes.
    params
        Settings.
    created
        Per account code: creation time (epoch seconds), for the evidence's account ages.

    Notes
    -----
    O(sum over buyers of d^2) for buyers of ``d <= max_buyer_shops`` shops to count pairs; each
    seed is then tested in proportion to its shops' orders.
    """
    params = params or LocalRingParams()
    b = np.asarray(buyer, dtype=np.int64)
    s = np.asarray(seller, dtype=np.int64)
    t = np.asarray(ts, dtype=np.int64)
    r = np.asarray(rating, dtype=np.float64)
    cr = (
        np.full(n_accounts, UNKNOWN, dtype=np.int64)
        if created is None
        else np.asarray(created, dtype=np.int64)
    )
    coarse = coarse_times(t)
    if len(pairs) == 0 or (coarse and np.isnan(r).all()):
        return []  # no time of day and no ratings: nothing tells a ring from a fan community
    sa, sb, shared, pair_p = _significant_pairs(pairs, params)
    if len(sa) == 0:
        return []
    shops, inv = np.unique(np.r_[sa, sb], return_inverse=True)
    comp = components(len(shops), inv[: len(sa)], inv[len(sa) :])
    seed_of = np.full(n_accounts, -1, dtype=np.int64)
    seed_of[shops] = comp
    n_seeds = int(comp.max()) + 1
    seed_size = np.bincount(comp, minlength=n_seeds)
    seed_of[shops[seed_size[comp] > params.max_sellers]] = -1
    base = market_baseline(r, pairs.buyer, pairs.first_ts, cr, 30.0)
    # Orders at seed shops, grouped by seed.
    o_seed = seed_of[s]
    at = np.flatnonzero(o_seed >= 0)
    at = at[np.argsort(o_seed[at], kind="stable")]
    bounds = np.searchsorted(o_seed[at], np.arange(n_seeds + 1))
    pair_seed = comp[inv[: len(sa)]]
    rings = []
    for seed in range(n_seeds):
        idx = at[bounds[seed] : bounds[seed + 1]]
        if len(idx) == 0:
            continue
        ring = seed_ring(idx, b, s, t, r, cr, base, params, n_accounts, coarse=coarse)
        if ring is None:
            continue
        mine = pair_seed == seed
        best = int(np.argmax(pair_p[mine]))
        ring.evidence.update(
            {
                "shop_pairs": int(mine.sum()),
                "shared_buyers_best_pair": int(shared[mine][best]),
                "best_pair_log10_p": round(float(pair_p[mine][best]), 1),
            }
        )
        rings.append(ring)
    return rings


def seed_ring(
    idx: IntArray,
    b: IntArray,
    s: IntArray,
    t: IntArray,
    r: FloatArray,
    cr: IntArray,
    base: Baseline,
    params: LocalRingParams,
    stride: int,
    *,
    coarse: bool = False,
) -> Ring | None:
    """The ring of a seed's orders ``idx`` (orders at its shops), or ``None``.

    ``b, s, t, r`` are per order (buyer and seller codes, time, rating), ``cr`` per account
    code; codes are below ``stride``. Every order of the seed's shops must be in ``idx``.
    ``coarse``: the times are dates without times of day, so a burst is a day's orders and
    the ratings must show five stars as well (bursts of days alone are not enough), and no
    buyer joins for a single order on a burst's day.
    """
    ob, os_ = b[idx], s[idx]
    buyer_shop = np.unique(ob * stride + os_)
    who, n_shops = np.unique(buyer_shop // stride, return_counts=True)
    core = who[n_shops >= 2]
    if len(core) < params.min_buyers:
        return None
    in_core = np.isin(ob, core)
    # Shops where the core bought: those in the seed it met at (two core buyers or more).
    core_idx = idx[in_core]
    beh = behaviour(core_idx, b, t, r, cr, base, params.burst_gap_seconds, params.min_burst_orders)
    if not _looks_bought(beh, base, params, coarse):
        return None
    # Per shop: the core's bursts there (runs with short gaps). A shop where the core's orders
    # did not come in bursts (a popular shop its members also use) leaves the ring; buyers
    # with a single order at a ring shop inside one of its bursts join it.
    others = idx[~in_core]
    keep_orders, sellers = [], []
    for shop in np.unique(s[core_idx]).tolist():
        ct = np.sort(t[core_idx][s[core_idx] == shop])
        breaks = np.flatnonzero(np.diff(ct) > params.burst_gap_seconds) + 1
        first, stop = np.r_[0, breaks], np.r_[breaks, len(ct)]
        big = (stop - first) >= params.min_burst_orders
        if (stop - first)[big].sum() < params.min_burst_share * len(ct):
            continue
        lo, hi = ct[first[big]], ct[stop[big] - 1]
        at = others[s[others] == shop]
        if coarse:
            at = at[:0]
        elif not math.isnan(base.five_star):  # with ratings, a brushing order has five stars
            at = at[r[at] >= 5]
        pos = np.searchsorted(lo, t[at], side="right") - 1
        inside = (pos >= 0) & (t[at] <= hi[np.maximum(pos, 0)])
        sellers.append(shop)
        keep_orders += [core_idx[s[core_idx] == shop], at[inside]]
    rated = _rated_enough(beh, base, params)
    if not sellers or (not rated and len(sellers) < params.min_sellers_unrated):
        return None
    ring_orders = np.concatenate(keep_orders)
    buyers, counts = np.unique(b[ring_orders], return_counts=True)
    buyers = buyers[np.isin(buyers, core, invert=True) | (counts >= 2)]
    if len(buyers) < params.min_buyers:
        return None
    sellers_a = np.asarray(sellers, dtype=np.int64)
    evidence: dict[str, Any] = {
        "found_by": "shared_buyers",
        "shared_buyers": len(core),
        **beh.facts(),
    }
    return Ring(
        buyers=buyers,
        sellers=sellers_a,
        edges=len(buyer_shop),
        density=float(len(ring_orders)) / max(len(buyers) * len(sellers_a), 1),
        score=min(1.0, beh.bursts / 10.0),
        lift=float(beh.burst_share),
        log10_p=float(beh.five_star_log10_p),
        evidence=evidence,
    )


def _rated_enough(beh: Behaviour, base: Baseline, params: LocalRingParams) -> bool:
    """Whether the group's ratings count as evidence: enough of them, and a market rate."""
    return beh.rated >= params.min_rated and not math.isnan(base.five_star)


def _looks_bought(
    beh: Behaviour, base: Baseline, params: LocalRingParams, coarse: bool = False
) -> bool:
    bursty = beh.bursts >= params.min_bursts and beh.burst_share >= params.min_burst_share
    if _rated_enough(beh, base, params):
        return bursty and (
            beh.five_star_share >= params.min_five_star_share
            and beh.five_star_log10_p >= params.min_five_star_log10_p
        )
    return bursty and not coarse

"""Buyer farms: a shop's orders coming from groups of new, bursty, five-star buyers that are
linked to one another (not to the shop).

A farm that sells reputation to one shop is, in the buyer x seller graph, just a star: no
dense-block detector sees it, and nobody shares anything with the seller. The evidence is on
the buyer side. For each shop, its buyers are joined when they share an identifier value that
few accounts use (a phone or device used by a handful of accounts, a proxy IP used by tens;
public Wi-Fi used by hundreds joins nobody). A joined group is a farm when

* its size is improbable by chance: the accounts behind its shared values, each buying at
  the shop with the shop's share of all buyers, would rarely give so many of the shop's
  buyers (Poisson tail, Bonferroni over every group tested), and
* its orders at the shop behave like bought reputation: five stars far beyond the market's
  rate (binomial tail), and buyers who were new when they first bought there (binomial tail
  against the market's share of new buyers) or orders that came in bursts. Without ratings
  both of the latter are needed. When half the group or more shares phones, devices or
  other strong identifiers (a few accounts on each), a five-star share of ``min_five_star_share``
  is enough if the buyers were new and came in bursts: a small farm has too few orders for a
  significant tail. Dates without times (a daily export) show no bursts; without ratings
  either, new buyers on shared phones or devices suffice.

Regulars who share a workplace Wi-Fi are old accounts rating like everyone else; a new-user
campaign's sign-ups on one campus IP rate like everyone else too.

Examples
--------
>>> import numpy as np
>>> from linkguard.detect.graph import identifier_values, trade_pairs
>>> rng = np.random.default_rng(0)
>>> hb = rng.integers(20, 600, 3000); hs = rng.integers(600, 700, 3000)     # honest trade
>>> b = np.r_[np.arange(12), hb]; s = np.r_[np.full(12, 650), hs]
>>> ts = np.r_[10 * 86400 + np.arange(12) * 600, rng.integers(0, 90 * 86400, 3000)]
>>> rating = np.r_[np.full(12, 5.0), rng.choice([1.0, 3, 4, 5], 3000)]
>>> created = np.r_[np.full(12, 9 * 86400), np.full(688, -10**9)]
>>> values = identifier_values(np.r_[np.arange(12), np.arange(12)], ["device"] * 12 + ["ip"] * 12,
...                            [f"d{i // 3}" for i in range(12)] + ["p1"] * 12)
>>> pairs = trade_pairs(b, s, np.ones(len(b)), ts, rating)
>>> [(r.buyers.tolist(), r.sellers.tolist()) for r in farm_rings(
...     pairs, values, b, ts, rating, created, 700)]
[([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [650])]
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from linkguard._arrays import components
from linkguard.detect._background import poisson_log10_tail
from linkguard.detect._behaviour import (
    Baseline,
    Behaviour,
    behaviour,
    coarse_times,
    market_baseline,
)
from linkguard.detect.graph import IdentifierValues, TradePairs
from linkguard.detect.rings import Ring
from linkguard.schema import STRONG_IDENTIFIER_KINDS

__all__ = ["FarmParams", "farm_ring", "farm_rings"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FarmParams:
    """When a group of a shop's linked buyers is a farm."""

    #: A value shared by more accounts than this (public Wi-Fi, carrier NAT) joins nobody.
    max_sharers: int = 100
    #: Linked buyers of one shop, at least.
    min_buyers: int = 4
    #: The group's size over chance, -log10 p, beyond the Bonferroni bound over all groups.
    min_log10_p: float = 2.0
    #: Five-star share, and its improbability against the market's rate (-log10 p).
    min_five_star_share: float = 0.8
    min_five_star_log10_p: float = 2.0
    #: A buyer is new when it first bought at the shop this many days after it was created.
    new_days: float = 30.0
    min_new_share: float = 0.6
    min_new_log10_p: float = 3.0
    #: Orders within this many seconds of the one before belong to one burst ...
    burst_gap_seconds: int = 7200
    #: ... of at least this many orders; this share of the group's orders in bursts.
    min_burst_orders: int = 3
    min_burst_share: float = 0.6
    #: Rated orders needed before the ratings count as evidence.
    min_rated: int = 5


def _pair_index(pairs: TradePairs, n_accounts: int) -> IntArray:
    """``ptr`` so that buyer ``a``'s pairs are ``ptr[a]:ptr[a+1]`` (pairs sort by buyer)."""
    return np.searchsorted(pairs.buyer, np.arange(n_accounts + 1)).astype(np.int64)


def _expand(acc: IntArray, ptr: IntArray) -> tuple[IntArray, IntArray]:
    """For each ``acc[i]``, every pair of that buyer: (membership row, pair index)."""
    lengths = ptr[acc + 1] - ptr[acc]
    rows = np.repeat(np.arange(len(acc)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return rows, ptr[acc][rows] + offsets


def farm_rings(
    pairs: TradePairs,
    values: IdentifierValues,
    buyer: npt.ArrayLike,
    ts: npt.ArrayLike,
    rating: npt.ArrayLike,
    created: npt.ArrayLike,
    n_accounts: int,
    params: FarmParams | None = None,
) -> list[Ring]:
    """Farms of linked buyers around single shops, as rings (one shop each).

    Parameters
    ----------
    pairs
        Trade pairs of the orders (:func:`linkguard.detect.graph.trade_pairs`).
    values
        Account-identifier memberships (:func:`linkguard.detect.graph.identifier_values`).
    buyer, ts, rating
        Per order: buyer code, time (epoch seconds), rating (NaN when unrated).
    created
        Per account code: creation time in epoch seconds (int64 minimum when unknown).
    n_accounts
        Number of account codes.
    params
        Settings.

    Notes
    -----
    O(orders + memberships of shared values x their buyers' shops); the groups are tested
    one by one, each in proportion to its orders.
    """
    params = params or FarmParams()
    b = np.asarray(buyer, dtype=np.int64)
    t = np.asarray(ts, dtype=np.int64)
    r = np.asarray(rating, dtype=np.float64)
    cr = np.asarray(created, dtype=np.int64)
    if len(pairs) == 0 or values.n_values == 0:
        return []
    shared = (values.sharers >= 2) & (values.sharers <= params.max_sharers)
    m = shared[values.value]
    acc, val = values.account[m], values.value[m]
    ptr = _pair_index(pairs, n_accounts)
    rows, pidx = _expand(acc, ptr)
    if len(pidx) == 0:
        return []
    key = val[rows] * n_accounts + pairs.seller[pidx]
    # Buyers linked to their seller are the seller's own accounts (self-dealing), not a farm.
    own = np.isin(key, val * n_accounts + acc)
    rows, pidx, key = rows[~own], pidx[~own], key[~own]
    order = np.argsort(key, kind="stable")
    key, pidx_s, val_s = key[order], pidx[order], val[rows][order]
    same = key[1:] == key[:-1]
    ea, eb, ev = pidx_s[:-1][same], pidx_s[1:][same], val_s[1:][same]
    if len(ea) == 0:
        return []
    nodes, inv = np.unique(np.r_[ea, eb], return_inverse=True)
    comp = components(len(nodes), inv[: len(ea)], inv[len(ea) :])
    size = np.bincount(comp)
    seller_buyers = np.bincount(pairs.seller, minlength=n_accounts)
    n_buyers = len(np.unique(pairs.buyer))
    edge_comp = comp[inv[: len(ea)]]
    # Each group's linking values, and the accounts behind them (its reach), in one pass.
    nv = values.n_values
    cv = np.unique(edge_comp * nv + ev)
    cv_comp, cv_val = cv // nv, cv % nv
    by_val = np.argsort(val, kind="stable")
    vptr = np.searchsorted(val[by_val], np.arange(nv + 1))
    lengths = vptr[cv_val + 1] - vptr[cv_val]
    which = np.repeat(np.arange(len(cv)), lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    holder = acc[by_val[vptr[cv_val][which] + offs]]
    held = np.unique(cv_comp[which] * n_accounts + holder)
    reach = np.bincount(held // n_accounts, minlength=len(size)).astype(np.float64)
    strong_kind = np.isin(values.kind_of_value[cv_val], list(STRONG_IDENTIFIER_KINDS))
    held_strong = np.unique((cv_comp[which] * n_accounts + holder)[strong_kind[which]])
    # Groups' members (pairs), sorted by group.
    by_comp = np.argsort(comp, kind="stable")
    cptr = np.searchsorted(comp[by_comp], np.arange(len(size) + 1))
    first_seller = pairs.seller[nodes[by_comp[cptr[:-1]]]]
    on_strong = np.isin(comp * n_accounts + pairs.buyer[nodes], held_strong)
    strong_share = np.bincount(comp[on_strong], minlength=len(size)) / np.maximum(size, 1)
    lam = reach * seller_buyers[first_seller] / max(n_buyers, 1)
    log10_p = poisson_log10_tail(size, lam)
    big = size >= params.min_buyers
    bar = params.min_log10_p + math.log10(max(int(big.sum()), 1))
    passed = np.flatnonzero(big & (log10_p >= bar))
    if len(passed) == 0:
        return []
    base = market_baseline(r, pairs.buyer, pairs.first_ts, cr, params.new_days)
    timed = not coarse_times(t)  # dates without times show no bursts
    # The orders of the groups that passed, by pair: each group is read in proportion to it.
    wanted = np.zeros(len(pairs), dtype=np.bool_)
    wanted[nodes[np.isin(comp, passed)]] = True
    chosen = np.flatnonzero(wanted[pairs.order_pair])
    by_pair = chosen[np.argsort(pairs.order_pair[chosen], kind="stable")]
    optr = np.searchsorted(pairs.order_pair[by_pair], np.arange(len(pairs) + 1))
    cv_ptr = np.searchsorted(cv_comp, np.arange(len(size) + 1))
    rings = []
    for c in passed.tolist():
        group = nodes[by_comp[cptr[c] : cptr[c + 1]]]
        idx = np.concatenate([by_pair[optr[p] : optr[p + 1]] for p in group.tolist()])
        links = cv_val[cv_ptr[c] : cv_ptr[c + 1]]
        ring = farm_ring(
            pairs.buyer[group],
            int(pairs.seller[group[0]]),
            idx,
            b,
            t,
            r,
            cr,
            base,
            params,
            strong_share=float(strong_share[c]),
            log10_p=float(log10_p[c]),
            lam=float(lam[c]),
            link_kinds=values.kind_of_value[links],
            link_sharers=values.sharers[links],
            timed=timed,
        )
        if ring is not None:
            rings.append(ring)
    return rings


def farm_ring(
    buyers: IntArray,
    seller: int,
    order_idx: IntArray,
    buyer: IntArray,
    ts: IntArray,
    rating: FloatArray,
    created: IntArray,
    base: Baseline,
    params: FarmParams,
    *,
    strong_share: float,
    log10_p: float,
    lam: float,
    link_kinds: npt.NDArray[np.object_],
    link_sharers: IntArray,
    timed: bool,
) -> Ring | None:
    """The ring of one group of a shop's linked buyers whose size passed the chance test, or
    ``None`` when its orders do not look bought.

    ``buyers`` are the group's buyer codes and ``seller`` its shop; ``order_idx`` the group's
    orders there (positions in the per-order ``buyer, ts, rating``; ``created`` is per account
    code). ``strong_share`` is the share of the group on strong linking values, ``log10_p``
    and ``lam`` its size test, ``link_kinds``/``link_sharers`` the kind and number of sharers
    of each of its linking values, ``timed`` whether the times carry a time of day.
    """
    beh = behaviour(
        order_idx,
        buyer,
        ts,
        rating,
        created,
        base,
        params.burst_gap_seconds,
        params.min_burst_orders,
    )
    if not _looks_bought(beh, base, params, strong_share >= 0.5, timed):
        return None
    kinds = Counter(str(x) for x in link_kinds)
    evidence: dict[str, Any] = {
        "found_by": "buyer_farm",
        "farm_identifiers": {
            kind: {
                "values": n,
                "max_accounts_per_value": int(link_sharers[link_kinds == kind].max()),
            }
            for kind, n in sorted(kinds.items())
        },
        "strongly_linked_share": round(strong_share, 3),
        **beh.facts(),
    }
    k = len(buyers)
    return Ring(
        buyers=np.sort(buyers),
        sellers=np.array([seller], dtype=np.int64),
        edges=k,
        density=1.0,
        score=min(1.0, log10_p / 100.0),
        lift=k / max(lam, 1e-9),
        log10_p=log10_p,
        evidence=evidence,
    )


def _looks_bought(
    beh: Behaviour, base: Baseline, params: FarmParams, strong: bool, timed: bool = True
) -> bool:
    """Five stars beyond chance (or, ``strong``-ly linked, a five-star share) and (new buyers
    or bursts); without ratings, both of those."""
    new = (
        not math.isnan(beh.new_share)
        and beh.new_share >= params.min_new_share
        and beh.new_log10_p >= params.min_new_log10_p
    )
    bursty = timed and beh.burst_share >= params.min_burst_share
    if beh.rated >= params.min_rated and not math.isnan(base.five_star):
        if beh.five_star_share < params.min_five_star_share:
            return False
        if beh.five_star_log10_p >= params.min_five_star_log10_p:
            return new or bursty
        # Too few orders for a significant tail: a farm on shared phones or devices whose
        # new accounts came in bursts. (Its camouflage at other shops is new but not bursty.)
        return strong and new and bursty
    # Without ratings: new buyers in bursts; with dates only, new buyers on shared phones or
    # devices (the bursts cannot be seen).
    return new and (bursty or (strong and not timed))

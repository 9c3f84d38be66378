"""How a group of orders behaves, each measure beside its chance baseline.

Used by the hidden-ring detectors (:mod:`linkguard.detect.farms`,
:mod:`linkguard.detect.local_rings`): whether the group's ratings are uniformly five stars
beyond the market's own rate (binomial tail), whether its buyers were new when they first
bought beyond the market's own share of new buyers (binomial tail), and how much of it came in
bursts (runs of orders with short gaps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import bdtrc

__all__ = [
    "Baseline",
    "Behaviour",
    "behaviour",
    "binom_log10_tail",
    "coarse_times",
    "market_baseline",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DAY = 86_400
#: Creation times unknown (NaT) read as this.
UNKNOWN = np.iinfo(np.int64).min


def binom_log10_tail(k: int, n: int, p: float) -> float:
    """-log10 P(X >= k) for X ~ Binomial(n, p); 0 when k <= n p.

    >>> round(binom_log10_tail(10, 10, 0.5), 2)
    3.01
    """
    if n <= 0 or k <= n * p:
        return 0.0
    p = min(max(p, 1e-9), 1 - 1e-9)
    tail = float(bdtrc(k - 1, n, p))  # the ufunc: scipy.stats' wrapper costs a millisecond
    if tail > 0.0:
        return -math.log10(tail)
    # Beyond double precision: the Chernoff bound n KL(k/n || p), a lower bound of the same.
    q = k / n
    kl = q * math.log(q / p) + ((1 - q) * math.log((1 - q) / (1 - p)) if q < 1 else 0.0)
    return n * kl / math.log(10)


def coarse_times(ts: IntArray, share: float = 0.5) -> bool:
    """Whether the times carry no time of day: ``share`` or more of them fall on one second
    of the day (daily exports stamp every order at midnight or noon), so bursts of hours
    cannot be seen.

    >>> coarse_times(np.array([0, 86400, 2 * 86400 + 5]) + 43200)
    True
    """
    if len(ts) == 0:
        return False
    sample = ts[:: max(1, len(ts) // 100_000)] % DAY
    return bool(np.bincount(sample).max() >= share * len(sample))


@dataclass(frozen=True)
class Baseline:
    """Market-wide rates the groups are compared with."""

    #: Share of rated orders that are five stars (NaN when nothing is rated).
    five_star: float
    #: Share of (buyer, shop) pairs whose buyer was at most ``new_days`` old at its first order.
    new_buyer: float
    new_days: float


def market_baseline(
    rating: FloatArray,
    pair_buyer: IntArray,
    pair_first_ts: IntArray,
    created: IntArray,
    new_days: float,
) -> Baseline:
    """The market's five-star rate and share of new buyers per pair."""
    rated = ~np.isnan(rating)
    five = float((rating[rated] >= 5).mean()) if rated.any() else math.nan
    c = created[pair_buyer]
    known = c != UNKNOWN
    young = (pair_first_ts[known] - c[known]) <= new_days * DAY
    return Baseline(five, float(young.mean()) if known.any() else math.nan, new_days)


@dataclass(frozen=True)
class Behaviour:
    """One group's orders: ratings, buyer ages, bursts, each with its chance test."""

    orders: int
    rated: int
    five_star_share: float
    five_star_log10_p: float
    new_share: float
    new_log10_p: float
    median_age_days: float
    bursts: int
    burst_share: float
    burst_hours: float

    def facts(self) -> dict[str, Any]:
        """Evidence for the flag (JSON-able)."""
        return {
            "rated_orders": self.rated,
            "five_star_share": round(self.five_star_share, 3),
            "new_buyer_share": round(self.new_share, 3),
            "median_account_age_days": round(self.median_age_days, 1),
            "bursts": self.bursts,
            "burst_share": round(self.burst_share, 3),
            "longest_burst_hours": round(self.burst_hours, 1),
        }


def behaviour(
    order_idx: IntArray,
    buyer: IntArray,
    ts: IntArray,
    rating: FloatArray,
    created: IntArray,
    base: Baseline,
    burst_gap: int,
    min_burst: int,
) -> Behaviour:
    """Measure the orders ``order_idx`` (order positions) against ``base``.

    A burst is a run of at least ``min_burst`` orders, each within ``burst_gap`` seconds of
    the one before.
    """
    r = rating[order_idx]
    rated = ~np.isnan(r)
    n_rated = int(rated.sum())
    n_five = int((r[rated] >= 5).sum())
    five_share = n_five / n_rated if n_rated else math.nan
    five_p = (
        binom_log10_tail(n_five, n_rated, base.five_star)
        if n_rated and not math.isnan(base.five_star)
        else 0.0
    )
    # Age of each buyer at its first order in the group.
    b, t = buyer[order_idx], ts[order_idx]
    order = np.lexsort((t, b))
    first = order[np.r_[True, b[order][1:] != b[order][:-1]]]
    c = created[b[first]]
    known = c != UNKNOWN
    ages = (t[first][known] - c[known]) / DAY
    n_new = int((ages <= base.new_days).sum())
    new_share = n_new / len(ages) if len(ages) else math.nan
    new_p = (
        binom_log10_tail(n_new, len(ages), base.new_buyer)
        if len(ages) and not math.isnan(base.new_buyer)
        else 0.0
    )
    st = np.sort(t)
    breaks = np.flatnonzero(np.diff(st) > burst_gap) + 1
    starts, ends = np.r_[0, breaks], np.r_[breaks, len(st)]
    big = (ends - starts) >= min_burst
    in_bursts = int((ends - starts)[big].sum())
    longest = float(((st[ends[big] - 1] - st[starts[big]]) / 3600).max()) if big.any() else 0.0
    return Behaviour(
        orders=len(order_idx),
        rated=n_rated,
        five_star_share=five_share,
        five_star_log10_p=five_p,
        new_share=new_share,
        new_log10_p=new_p,
        median_age_days=float(np.median(ages)) if len(ages) else math.nan,
        bursts=int(big.sum()),
        burst_share=in_bursts / max(len(st), 1),
        burst_hours=longest,
    )

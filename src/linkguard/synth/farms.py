"""Rings that hide (``--difficulty realistic``): small device farms and recruited real accounts.

* **Small farms.** One to three shops buy their reputation from a farm of 5-60 brand-new
  accounts: a few accounts per phone or device (chained into one owner or not), one to five
  proxy IPs shared by many of them, small five-star orders in bursts of half an hour to five
  hours, and one to a few camouflage orders each at ordinary shops. A third of the ring shops
  are busy honest shops that bought a little reputation on top of their real trade.
* **Recruited rings.** 15-60 old accounts with ordinary histories, sharing nothing with one
  another or with the shops, each place one small five-star order at one to three of a handful
  (3-6) of small shops, in three to eight bursts of 45 minutes to two hours.

Every parameter is drawn per ring from a wide range, so no two rings look alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder, Ring, Style
from linkguard.synth.plan import DAY, HOUR, SynthConfig

__all__ = ["HiddenPlan", "plant_recruited_rings", "plant_small_farms"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class HiddenPlan:
    """How many hidden rings of each shape, and their sizes."""

    farm_buyers: IntArray = field(repr=False)
    farm_shops: IntArray = field(repr=False)
    farm_busy: BoolArray = field(repr=False)
    recruited_buyers: IntArray = field(repr=False)
    recruited_shops: IntArray = field(repr=False)

    @classmethod
    def draw(cls, rng: np.random.Generator, cfg: SynthConfig) -> HiddenPlan:
        n = cfg.accounts
        farms = max(2, round(0.0008 * n))
        recruited = max(2, round(0.0004 * n))
        return cls(
            farm_buyers=np.exp(rng.uniform(np.log(5), np.log(61), farms)).astype(np.int64),
            farm_shops=rng.choice([1, 2, 3], farms, p=[0.55, 0.3, 0.15]),
            farm_busy=rng.random(farms) < 0.35,
            recruited_buyers=rng.integers(15, 61, recruited),
            recruited_shops=rng.integers(3, 7, recruited),
        )

    @property
    def new_accounts(self) -> int:
        """Accounts these rings create (recruited buyers and busy shops already exist)."""
        return int(
            self.farm_buyers.sum()
            + (self.farm_shops * ~self.farm_busy).sum()
            + self.recruited_shops.sum()
        )


def _new_shops(
    b: MarketBuilder, count: int, opened_before: int, popularity: tuple[float, float]
) -> IntArray:
    rng = b.rng
    shops = b.allocate(count)
    b.make_shops(shops, rng.uniform(*popularity, count))
    b.created[shops] = opened_before - rng.integers(5 * DAY, 90 * DAY, count)
    b.active_from[shops] = np.maximum(b.created[shops], b.start)
    b.give_identifiers(shops)
    return shops


def _record(b: MarketBuilder, kind: str, fraud: str, buyers: IntArray, sellers: IntArray) -> None:
    ring = len(b.rings)
    members = np.r_[buyers, sellers]
    b.rings.append(Ring(kind, members, ["buyer"] * len(buyers) + ["seller"] * len(sellers)))
    b.ring[members] = ring
    b.mark_fraud(members, fraud)


def _burst_orders(
    b: MarketBuilder,
    buyer: IntArray,
    shop: IntArray,
    shops: IntArray,
    window: tuple[int, int],
    n_bursts: int,
    minutes: tuple[int, int],
    price: IntArray,
) -> None:
    """One five-star order per (``buyer[i]``, ``shop[i]``), each inside a burst of its shop."""
    rng = b.rng
    n_bursts = max(n_bursts, len(shops))
    starts = np.sort(rng.integers(window[0], max(window[1], window[0] + HOUR), n_bursts))
    length = rng.integers(minutes[0] * 60, minutes[1] * 60 + 1, n_bursts)
    burst_shop = np.r_[
        rng.permutation(len(shops)), rng.integers(0, len(shops), n_bursts - len(shops))
    ]
    order = np.argsort(shops)
    shop_pos = order[np.searchsorted(shops[order], shop)]
    burst = np.empty(len(buyer), dtype=np.int64)
    for s in range(len(shops)):
        mine = np.flatnonzero(burst_shop == s)
        at = np.flatnonzero(shop_pos == s)
        burst[at] = mine[rng.integers(0, len(mine), len(at))]
    t = starts[burst] + (rng.random(len(buyer)) * length[burst]).astype(np.int64)
    cents = price[shop_pos] * np.where(rng.random(len(buyer)) < 0.85, 1, 2)
    b.add_orders(
        buyer, shop, np.minimum(t, b.end - 60), cents, label="brushing", style=Style.PRAISE
    )


def _busy_shops(b: MarketBuilder, shops: IntArray, count: int) -> IntArray:
    """Busy honest shops outside every structure and ring: above-median popularity."""
    free = shops[(b.structure[shops] == 0) & (b.ring[shops] < 0) & (b.fraud[shops] == 0)]
    pop = b.popularity[free]
    busy = free[(pop >= np.median(pop)) & (pop <= np.quantile(pop, 0.98))]
    return np.asarray(b.rng.choice(busy, count, replace=False), dtype=np.int64)


def plant_small_farms(b: MarketBuilder, hp: HiddenPlan, shops: IntArray) -> None:
    """Farms of new accounts around one to three shops; camouflage at ``shops``."""
    rng, ids = b.rng, b.ids
    weight = b.popularity[shops] / b.popularity[shops].sum()
    for r in range(len(hp.farm_buyers)):
        nb, ns = int(hp.farm_buyers[r]), int(hp.farm_shops[r])
        t0 = int(rng.integers(b.start + 10 * DAY, b.end - 20 * DAY))
        if hp.farm_busy[r]:
            sellers = _busy_shops(b, shops, ns)
        else:
            sellers = _new_shops(b, ns, t0, (0.3, 1.5))
        sellers = np.sort(sellers)
        price = (rng.integers(3, 25, ns) * 100 - 1).astype(np.int64)
        buyers = b.allocate(nb)
        batch = t0 - int(rng.integers(DAY, 20 * DAY))
        b.created[buyers] = batch + rng.integers(0, int(rng.integers(2, 72)) * HOUR, nb)
        b.active_from[buyers] = b.created[buyers]
        b.region[buyers] = b.region[buyers[0]]
        b.give_identifiers(buyers)
        # A few accounts per phone or device; chained into one owner, or one owner per value.
        kind = "device" if rng.random() < 0.6 else "phone"
        per = rng.uniform(2, 8)
        k = max(1, int(np.ceil(nb / per)))
        pool = ids.new_values(kind, k)
        ids.has[kind][buyers] = False
        ids.add_rows(kind, buyers, pool[np.arange(nb) % k])
        chained = rng.random() < 0.5
        if chained and k > 1:
            ids.add_rows(kind, buyers[: k - 1], pool[np.arange(1, k)])
            b.new_owner(buyers)
        else:
            for v in range(k):
                group = buyers[np.arange(nb) % k == v]
                if len(group) >= 2:
                    b.new_owner(group)
        proxies = ids.new_values("ip", int(rng.integers(1, 1 + min(5, max(1, nb // 4)))))
        ids.has["ip"][buyers] = False
        ids.add_rows("ip", buyers, proxies[rng.permutation(nb) % len(proxies)])
        if rng.random() < 0.5:
            ids.point("email", buyers, ids.new_values("email", nb, style="disposable_email"))
        # Each buyer at each of the farm's shops (at least one), once or twice.
        hits = rng.random((nb, ns)) < 0.8
        hits[np.arange(nb), rng.integers(0, ns, nb)] = True
        who, at = np.nonzero(hits)
        twice = rng.random(len(who)) < rng.uniform(0.0, 0.4)
        who, at = np.r_[who, who[twice]], np.r_[at, at[twice]]
        span = int(rng.integers(5, 40)) * DAY
        _burst_orders(
            b,
            buyers[who],
            sellers[at],
            sellers,
            (t0, min(t0 + span, b.end - DAY)),
            int(rng.integers(2, 9)),
            (30, int(rng.integers(60, 301))),
            price,
        )
        camo = np.repeat(buyers, rng.integers(1, int(rng.integers(2, 5)), nb))
        camo_shops = rng.choice(shops, len(camo), p=weight)
        b.add_orders(
            camo,
            camo_shops,
            b.times(b.created[camo], b.end, camo),
            b.prices(camo_shops),
            label="camouflage",
        )
        _record(b, "small_farm", "farm_ring", buyers, sellers)


def plant_recruited_rings(b: MarketBuilder, hp: HiddenPlan, victims: IntArray) -> None:
    """Rings of recruited old ``victims`` around a handful of new small shops."""
    rng = b.rng
    pool = rng.permutation(victims)
    used = 0
    for r in range(len(hp.recruited_buyers)):
        nb, ns = int(hp.recruited_buyers[r]), int(hp.recruited_shops[r])
        buyers = pool[used : used + nb]
        used += nb
        t_r = int(rng.integers(b.start + 20 * DAY, b.end - 15 * DAY))
        sellers = np.sort(_new_shops(b, ns, t_r, (0.2, 1.0)))
        price = (rng.integers(3, 20, ns) * 100 - 1).astype(np.int64)
        b.created[buyers] = b.created_hint[buyers]
        per = rng.choice([1, 2, 3], nb, p=[0.15, 0.5, 0.35])
        at = np.concatenate([rng.choice(ns, min(int(k), ns), replace=False) for k in per])
        who = np.repeat(np.arange(nb), np.minimum(per, ns))
        span = int(rng.integers(3, 21)) * DAY
        _burst_orders(
            b,
            buyers[who],
            sellers[at],
            sellers,
            (t_r, min(t_r + span, b.end - DAY)),
            int(rng.integers(3, 9)),
            (45, 120),
            price,
        )
        _record(b, "recruited", "recruited_ring", buyers, sellers)

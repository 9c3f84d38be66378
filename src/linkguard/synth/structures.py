"""Honest structures that a naive detector mistakes for fraud.

* households: 2-5 people at one address behind one home router, one in five sharing a tablet;
* family shops: 2-4 relatives each running their own shop from one home (one address, one
  router) and sharing nothing strong: not one owner, not one borrower;
* hub IPs: public Wi-Fi and carrier NAT addresses used by hundreds of strangers;
* offices: one building (one registered address) housing many unrelated shops;
* flash sales: hundreds of distinct buyers at one shop within minutes, once;
* wholesale shops: a handful of business buyers placing large orders every week or two;
* loyal clubs: a stable group of regulars buying at one shop every few weeks, never together;
* popular shops: the head of the popularity distribution (camouflage lands there).

Every structure is made only of honest accounts and is recorded in ``structure`` bits.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder, Style
from linkguard.synth.plan import DAY, HOUR
from linkguard.synth.vocab import REGIONS

__all__ = ["plant_structures"]

IntArray = npt.NDArray[np.int64]


def plant_structures(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> IntArray:
    """Plant every honest structure; returns the popular shops (camouflage targets)."""
    rng = b.rng
    order = np.argsort(-b.popularity[shops], kind="stable")
    n_popular = max(3, len(shops) // 100)
    popular = shops[order[:n_popular]]
    b.mark_structure(popular, "popular_shop", popular)
    # Structures take their own shops from the rest, disjointly, in a random order.
    rest = rng.permutation(shops[order[n_popular:]])
    plan = b.plan
    take = np.cumsum([0, plan.wholesale, plan.loyal_clubs, plan.flash_sales])
    wholesale, loyal, flash = (rest[take[i] : take[i + 1]] for i in range(3))
    office_pool = rest[take[3] :]

    _wholesale(b, wholesale, np.setdiff1d(shops, wholesale), buyers)
    _loyal_clubs(b, loyal, buyers)
    _flash_sales(b, flash, buyers)
    _offices(b, office_pool)
    _family_shops(b, office_pool[b.structure[office_pool] == 0])
    _households(b, buyers)
    _hub_ips(b, np.concatenate([shops, buyers]))
    return popular


def _regular_times(
    b: MarketBuilder, who: IntArray, every: tuple[float, float]
) -> tuple[IntArray, IntArray]:
    """Orders every ``every`` days per member, each at its own phase: ``(member, time)``."""
    rng = b.rng
    period = rng.uniform(*every, len(who)) * DAY
    phase = rng.random(len(who)) * period
    span = b.end - b.start
    count = np.maximum(1, ((span - phase) // period).astype(np.int64))
    member = np.repeat(who, count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    base = b.start + np.repeat(phase, count) + k * np.repeat(period, count)
    jitter = rng.normal(0, 1.5 * DAY, len(base))
    lo = np.clip(base + jitter - 12 * HOUR, b.start, b.end - DAY).astype(np.int64)
    return member, b.times(lo, lo + DAY, member)


def _wholesale(b: MarketBuilder, shops: IntArray, retailers: IntArray, buyers: IntArray) -> None:
    """Wholesale shops: no retail traffic, 8-15 regular business buyers with large orders.

    Shares stay even (volume factors 0.6-1.6 over 8+ buyers), so HHI stays near 1,200 and the
    top buyer near a quarter: ``HIGH_CONCENTRATION`` on them is a false positive.
    """
    rng = b.rng
    for shop in shops:
        b.popularity[shop] = 0.0
        b.price[shop] = rng.lognormal(np.log(60_000), 0.5)
        k = int(rng.integers(8, 16))
        # Mostly other shops buying stock, some individual resellers.
        n_shops = min(len(retailers), round(0.6 * k))
        regulars = np.concatenate(
            [
                rng.choice(retailers, n_shops, replace=False),
                rng.choice(buyers, k - n_shops, replace=False),
            ]
        )
        volume = rng.uniform(0.6, 1.6, k)
        member, t = _regular_times(b, regulars, (6, 14))
        vol = _lookup(regulars, volume, member)
        cents = (b.price[shop] * vol * rng.lognormal(0, 0.2, len(member))).astype(np.int64)
        b.add_orders(member, shop, t, cents // 100 * 100, style=Style.BULK)
        b.mark_structure(np.r_[shop, regulars], "wholesale", [shop])


def _lookup(
    keys: IntArray, values: npt.NDArray[np.float64], query: IntArray
) -> npt.NDArray[np.float64]:
    """``values[i]`` for each ``query`` equal to ``keys[i]`` (keys distinct)."""
    order = np.argsort(keys)
    return values[order[np.searchsorted(keys[order], query)]]


def _loyal_clubs(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    """Loyal clubs: 15-30 regulars buying every 12-25 days at random, unsynchronised times."""
    rng = b.rng
    for shop in shops:
        b.popularity[shop] = max(b.popularity[shop], 2.0)
        members = rng.choice(buyers, int(rng.integers(15, 31)), replace=False)
        member, t = _regular_times(b, members, (12, 25))
        b.add_orders(member, shop, t, b.prices(np.full(len(member), shop)))
        b.mark_structure(np.r_[shop, members], "loyal_club", [shop])


def _flash_sales(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    """Flash sales: hundreds of distinct buyers (120 at least) within 25 minutes, once."""
    rng = b.rng
    for shop in shops:
        n = int(min(max(120, 0.07 * len(buyers)), 600, 0.5 * len(buyers)))
        n = int(rng.integers(n, int(n * 1.25) + 1))
        who = rng.choice(buyers, min(n, len(buyers)), replace=False)
        day = rng.integers(10, b.cfg.days - 5)
        # 19:00-21:00 local time of the shop's region.
        local = int(rng.integers(19, 21)) * HOUR - REGIONS[int(b.region[shop])].utc_offset * HOUR
        start = b.start + int(day) * DAY + local
        t = start + np.minimum(rng.exponential(240, len(who)), 1500).astype(np.int64)
        deal = int(max(b.price[shop] * 0.6, 300)) // 100 * 100 - 1
        qty = rng.choice([1, 2], len(who), p=[0.85, 0.15])
        b.add_orders(who, shop, t, deal * qty)
        b.mark_structure(np.r_[shop, who], "flash_sale", [shop])


def _offices(b: MarketBuilder, pool: IntArray) -> None:
    """Office buildings: 10-60 shops registered at one address and online behind one IP."""
    rng = b.rng
    per = int(np.clip(len(pool) // (8 * max(b.plan.offices, 1)), 10, 60))
    chosen = rng.permutation(pool)
    for i in range(b.plan.offices):
        shops = chosen[i * per : (i + 1) * per]
        if len(shops) < 2:
            break
        head_region = b.region[shops[:1]]
        b.region[shops] = head_region[0]
        address = b.ids.new_values("address", 1, region=head_region)
        b.ids.point("address", shops, address[0])
        b.ids.add_rows("ip", shops, b.ids.new_values("ip", 1)[0])
        b.mark_structure(shops, "office", shops)


def _one_home(b: MarketBuilder, group: IntArray) -> None:
    """One household: the region, address and home IP of its first member, and a number."""
    head = int(group[0])
    b.region[group] = b.region[head]
    b.share("address", group, head)
    b.share("ip", group, head)
    b.household[group] = b.n_households
    b.n_households += 1


def _households(b: MarketBuilder, buyers: IntArray) -> None:
    """Households: 2-5 buyers sharing address and home IP; one in five shares a device."""
    rng = b.rng
    sizes = rng.choice([2, 3, 4, 5], b.plan.households, p=[0.45, 0.3, 0.15, 0.1])
    sizes = sizes[np.cumsum(sizes) <= len(buyers) // 2]
    members = rng.choice(buyers, int(sizes.sum()), replace=False)
    bounds = np.cumsum(np.r_[0, sizes])
    for i in range(len(sizes)):
        group = members[bounds[i] : bounds[i + 1]]
        _one_home(b, group)
        if rng.random() < 0.2:
            b.share("device", group, int(group[0]), as_row=True)
    b.mark_structure(members, "household")


def _family_shops(b: MarketBuilder, pool: IntArray) -> None:
    """Family shops: relatives with a shop each, sharing their home's address and router."""
    # A generator of its own: the main stream, and everything drawn from it, stays as it was.
    rng = np.random.default_rng((b.cfg.seed, 0xFA51))
    count = max(2, b.plan.households // 20)
    sizes = rng.choice([2, 3, 4], count, p=[0.55, 0.3, 0.15])
    sizes = sizes[np.cumsum(sizes) <= len(pool) // 4]
    members = rng.choice(pool, int(sizes.sum()), replace=False)
    bounds = np.cumsum(np.r_[0, sizes])
    for i in range(len(sizes)):
        _one_home(b, members[bounds[i] : bounds[i + 1]])
    b.mark_structure(members, "household")


def _hub_ips(b: MarketBuilder, accounts: IntArray) -> None:
    """Hub IPs: each a cafe, campus or carrier NAT address seen on hundreds of accounts."""
    rng = b.rng
    hi = int(min(600, max(300, 0.003 * b.cfg.accounts), 0.2 * len(accounts)))
    for _ in range(b.plan.hub_ips):
        users = rng.choice(accounts, int(rng.integers(max(hi // 2, 100), hi + 1)), replace=False)
        b.ids.add_rows("ip", users, b.ids.new_values("ip", 1)[0])
        b.mark_structure(users, "public_wifi")

"""Honest look-alikes of hidden rings (``--difficulty realistic``).

* workplace Wi-Fi: a shop's 8-30 regulars who work in one building, share its IP and often
  order at lunchtime, week after week;
* fan communities: 20-60 fans who each buy at two to four of a few (3-5) small shops, at
  their own times, with ordinary ratings;
* promotions: bursts of 25-120 buyers at a shop within one to three hours, one to three times;
  a third of them joint promotions where many also buy at a partner shop in the same hours;
* new-user campaigns: 20-80 accounts opened in a day or three that place their first orders
  at the shop that signed them up; in some campaigns they all use a campus IP.

All members are honest accounts outside every other structure; each is recorded in the
``structure`` bits and its shops are labelled with it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder
from linkguard.synth.plan import DAY, HOUR
from linkguard.synth.vocab import REGIONS

__all__ = ["plant_lookalikes"]

IntArray = npt.NDArray[np.int64]


def _free(b: MarketBuilder, accounts: IntArray) -> IntArray:
    keep = (
        (b.structure[accounts] == 0)
        & (b.fraud[accounts] == 0)
        & (b.ring[accounts] < 0)
        & (b.owner[accounts] < 0)
    )
    return np.asarray(accounts[keep], dtype=np.int64)


def plant_lookalikes(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    """Plant every look-alike once or more, scaled to the market."""
    n = b.cfg.accounts
    count = max(2, round(0.0003 * n))
    for _ in range(count):
        _workplace(b, shops, buyers)
        _fans(b, shops, buyers)
        _campaign(b, shops, buyers)
    for _ in range(max(3, round(0.0005 * n))):
        _promotion(b, shops, buyers)


def _pick_shops(b: MarketBuilder, shops: IntArray, k: int, small: bool = False) -> IntArray:
    free = _free(b, shops)
    if small:
        free = free[b.popularity[free] <= np.quantile(b.popularity[free], 0.6)]
    return np.asarray(b.rng.choice(free, k, replace=False), dtype=np.int64)


def _old(b: MarketBuilder, buyers: IntArray) -> IntArray:
    free = _free(b, buyers)
    return free[b.created_hint[free] < b.start - 60 * DAY]


def _workplace(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    rng = b.rng
    shop = _pick_shops(b, shops, 1)[0]
    members = rng.choice(_old(b, buyers), int(rng.integers(8, 31)), replace=False)
    b.region[members] = b.region[shop]
    b.ids.add_rows("ip", members, b.ids.new_values("ip", 1)[0])
    # Every 5-20 days each, at lunchtime (11:30-13:30 local) on the day.
    period = rng.uniform(5, 20, len(members)) * DAY
    count = np.maximum(1, ((b.end - b.start) // period).astype(np.int64))
    who = np.repeat(members, count)
    day = b.start + (rng.random(len(who)) * (b.end - b.start - DAY)).astype(np.int64)
    offset = REGIONS[int(b.region[shop])].utc_offset * HOUR
    local_day = (day + offset) // DAY * DAY - offset
    t = local_day + int(11.5 * HOUR) + rng.integers(0, 2 * HOUR, len(who))
    t = np.clip(t, b.start, b.end - HOUR)
    b.add_orders(who, shop, t, b.prices(np.full(len(who), shop)))
    b.mark_structure(np.r_[shop, members], "workplace_wifi", [shop])


def _fans(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    rng = b.rng
    ns = int(rng.integers(3, 6))
    fan_shops = _pick_shops(b, shops, ns, small=True)
    fans = rng.choice(_free(b, buyers), int(rng.integers(20, 61)), replace=False)
    per = rng.integers(2, min(4, ns) + 1, len(fans))
    who = np.repeat(fans, per)
    at = np.concatenate([rng.choice(fan_shops, int(k), replace=False) for k in per])
    reps = rng.integers(1, 4, len(who))
    who, at = np.repeat(who, reps), np.repeat(at, reps)
    b.add_orders(who, at, b.times(b.start, b.end, who), b.prices(at))
    b.mark_structure(np.r_[fan_shops, fans], "fan_community", fan_shops)


def _promotion(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    rng = b.rng
    joint = rng.random() < 0.35
    promo = _pick_shops(b, shops, 2 if joint else 1)
    pool = _free(b, buyers)
    for _ in range(int(rng.integers(1, 4))):
        who = rng.choice(pool, int(rng.integers(25, 121)), replace=False)
        start = int(rng.integers(b.start + DAY, b.end - 2 * DAY))
        t = start + rng.integers(0, int(rng.integers(1, 4)) * HOUR, len(who))
        b.add_orders(who, promo[0], t, b.prices(np.full(len(who), promo[0]), 0.3))
        if joint:
            also = who[rng.random(len(who)) < rng.uniform(0.3, 0.6)]
            t2 = start + rng.integers(0, 3 * HOUR, len(also))
            b.add_orders(also, promo[1], t2, b.prices(np.full(len(also), promo[1]), 0.3))
        b.mark_structure(who, "promotion")
    b.mark_structure(promo, "promotion", promo)


def _campaign(b: MarketBuilder, shops: IntArray, buyers: IntArray) -> None:
    rng = b.rng
    shop = _pick_shops(b, shops, 1)[0]
    free = _free(b, buyers)
    users = rng.choice(free, int(rng.integers(20, 81)), replace=False)
    t0 = int(rng.integers(b.start + 10 * DAY, b.end - 10 * DAY))
    days = int(rng.integers(1, 4))
    created = t0 + rng.integers(0, days * DAY, len(users))
    b.created_hint[users] = created
    b.created[users] = created
    b.active_from[users] = created
    first = created + rng.integers(10 * 60, 6 * HOUR, len(users))
    b.add_orders(users, shop, first, b.prices(np.full(len(users), shop)))
    again = users[rng.random(len(users)) < 0.3]
    b.add_orders(
        again,
        shop,
        b.times(b.created[again] + DAY, b.end, again),
        b.prices(np.full(len(again), shop)),
    )
    if rng.random() < 0.4:
        campus = b.ids.new_values("ip", 1)[0]
        others = rng.choice(free, int(rng.integers(30, 120)), replace=False)
        b.ids.add_rows("ip", np.union1d(users, others), campus)
    b.mark_structure(np.r_[shop, users], "new_user_campaign", [shop])

"""Fake-reputation rings: device farms of new accounts, and hijacked old accounts.

A device farm registers 10-60 accounts in one batch, runs them on a few phones behind a few
proxy IPs and ships to a couple of drop addresses. In bursts of 15-30 minutes a random part of
the farm buys the ring sellers' cheapest item and leaves five stars. Each farm account also
places a few camouflage orders at popular shops, as brushing services do to look normal.

A hijacked ring uses old accounts with real history and nothing in common: taken over late
in the history, they suddenly buy from the ring sellers in the same short bursts. Only the
proxy IP the hijacker logs in from (a weak identifier) and the timing give them away.

Ring sellers are new, little-known shops that bought the fake reputation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder, Ring, Style
from linkguard.synth.plan import DAY, HOUR
from linkguard.synth.vocab import STATUS_CODE

__all__ = ["plant_device_farms", "plant_hijacked_rings"]

IntArray = npt.NDArray[np.int64]
#: Bursts every ring buyer joins at least (the lockstep detector needs three shared windows).
MIN_BURSTS = 3
_CAUGHT = [STATUS_CODE["frozen"], STATUS_CODE["blacklisted"]]


def _ring_sellers(b: MarketBuilder, count: int, opened_before: int) -> IntArray:
    """New low-popularity shops, opened 5-60 days before ``opened_before``."""
    rng = b.rng
    sellers = b.allocate(count)
    b.make_shops(sellers, 1.0 + 0.5 * rng.random(count))
    b.created[sellers] = opened_before - rng.integers(5 * DAY, 60 * DAY, count)
    b.active_from[sellers] = np.maximum(b.created[sellers], b.start)
    b.give_identifiers(sellers)
    # The item they push through the ring: cheap, priced like $3.99-$14.99.
    b.price[sellers] = rng.integers(4, 16, count) * 100 - 1
    return sellers


def _bursts(
    b: MarketBuilder,
    buyers: IntArray,
    sellers: IntArray,
    n_bursts: int,
    window: tuple[int, int],
    share: tuple[float, float],
    repeat: float,
    minutes: tuple[int, int] = (15, 30),
) -> None:
    """Ring orders: in each burst a share of ``buyers`` buys from that burst's ring seller.

    Sellers take turns burst by burst (each gets two bursts at least); a second order in the
    same burst goes to the next seller. Every buyer joins at least three bursts (what makes a
    group lockstep rather than a coincidence), and a burst lasts ``minutes`` (15-30 by default:
    half an hour always fits inside one bucket of two hour-long grids laid half an hour apart;
    a longer one spills over).
    """
    rng = b.rng
    n_bursts = max(n_bursts, 2 * len(sellers))
    starts = np.sort(rng.integers(window[0], window[1], n_bursts))
    joins = rng.random((n_bursts, len(buyers))) < rng.uniform(*share, (n_bursts, 1))
    for col in np.flatnonzero(joins.sum(axis=0) < MIN_BURSTS):
        joins[rng.choice(n_bursts, MIN_BURSTS, replace=False), col] = True
    burst, member = np.nonzero(joins)
    twice = rng.random(len(member)) < repeat
    turn = (burst + int(rng.integers(len(sellers)))) % len(sellers)
    seller = np.r_[sellers[turn], sellers[(turn[twice] + 1) % len(sellers)]]
    burst, member = np.r_[burst, burst[twice]], np.r_[member, member[twice]]
    length = rng.integers(minutes[0] * 60, minutes[1] * 60, n_bursts)
    t = starts[burst] + (rng.random(len(burst)) * length[burst]).astype(np.int64)
    cents = b.price[seller].astype(np.int64) * np.where(rng.random(len(seller)) < 0.8, 1, 2)
    b.add_orders(buyers[member], seller, t, cents, label="brushing", style=Style.PRAISE)


def _record(b: MarketBuilder, kind: str, buyers: IntArray, sellers: IntArray) -> None:
    ring = len(b.rings)
    members = np.r_[buyers, sellers]
    b.rings.append(Ring(kind, members, ["buyer"] * len(buyers) + ["seller"] * len(sellers)))
    b.ring[members] = ring
    b.mark_fraud(members, "brushing_ring" if kind == "device_farm" else "hijacked_ring")


def plant_device_farms(b: MarketBuilder, popular: IntArray) -> None:
    """Device-farm rings with camouflage at ``popular`` shops; each farm is one owner."""
    rng, ids = b.rng, b.ids
    for r in range(b.plan.device_rings):
        nb, ns = int(b.plan.ring_buyers[r]), int(b.plan.ring_sellers[r])
        t0 = int(rng.integers(b.start + 3 * DAY, b.end - 35 * DAY))
        sellers = _ring_sellers(b, ns, t0)
        buyers = b.allocate(nb)
        # Registered in one batch during the week before the ring starts.
        batch = t0 - int(rng.integers(DAY, 7 * DAY))
        b.created[buyers] = batch + rng.integers(0, 6 * HOUR, nb)
        b.active_from[buyers] = b.created[buyers]
        b.region[buyers] = b.region[buyers[0]]
        b.give_identifiers(buyers)
        ids.has["device"][buyers] = False
        ids.has["ip"][buyers] = False
        ids.point("email", buyers, ids.new_values("email", nb, style="disposable_email"))
        # A few phones, chained so that the farm is one connected owner: buyer i uses phone
        # i mod k, and the first k-1 buyers also use the next phone.
        disguise = b.cfg.disguise
        k = int(np.clip(nb // disguise.phones_divisor, *disguise.phones_clip))
        pool = ids.new_values("device", k)
        ids.add_rows("device", buyers, pool[np.arange(nb) % k])
        ids.add_rows("device", buyers[: k - 1], pool[np.arange(1, k)])
        spare = buyers[rng.random(nb) < 0.3]
        ids.add_rows("device", spare, pool[rng.integers(0, k, len(spare))])
        proxies = ids.new_values("ip", int(rng.integers(1, 4)))
        ids.add_rows("ip", buyers, proxies[np.arange(nb) % len(proxies)])
        n_drops = int(rng.integers(1, 3))
        drops = ids.new_values("address", n_drops, region=np.repeat(b.region[buyers[:1]], n_drops))
        ids.point("address", buyers, drops[np.arange(nb) % len(drops)])

        _bursts(
            b,
            buyers,
            sellers,
            int(rng.integers(4, 11)),
            (t0, b.end - DAY),
            disguise.burst_share,
            0.3,
            disguise.burst_minutes,
        )
        camo = np.repeat(buyers, rng.integers(*disguise.camouflage_orders, nb))
        weight = b.popularity[popular] / b.popularity[popular].sum()
        shops = rng.choice(popular, len(camo), p=weight)
        b.add_orders(
            camo, shops, b.times(b.created[camo], b.end, camo), b.prices(shops), label="camouflage"
        )
        _record(b, "device_farm", buyers, sellers)
        b.new_owner(buyers)
        if rng.random() < 0.25:
            # The platform caught one or two of the farm's accounts.
            caught = rng.choice(buyers, int(rng.integers(1, 3)), replace=False)
            b.status[caught] = rng.choice(_CAUGHT, len(caught))


def plant_hijacked_rings(b: MarketBuilder, candidates: IntArray, shops: IntArray) -> None:
    """Hijacked rings over old honest ``candidates``; their history is bought at ``shops``."""
    rng = b.rng
    pool = rng.permutation(candidates)
    used = 0
    weight = b.popularity[shops] / b.popularity[shops].sum()
    for r in range(b.plan.hijacked_rings):
        nb, ns = int(b.plan.hijacked_buyers[r]), int(b.plan.hijacked_sellers[r])
        buyers = pool[used : used + nb]
        used += nb
        t_h = int(rng.integers(b.end - 28 * DAY, b.end - 10 * DAY))
        sellers = _ring_sellers(b, ns, t_h)
        b.created[buyers] = b.created_hint[buyers]
        # Real history before the takeover: 3-6 ordinary orders each.
        hist = np.repeat(buyers, rng.integers(3, 7, nb))
        at = rng.choice(shops, len(hist), p=weight)
        b.add_orders(hist, at, b.times(b.start, t_h, hist), b.prices(at))
        proxies = b.ids.new_values("ip", int(rng.integers(1, 3)))
        b.ids.add_rows("ip", buyers, proxies[np.arange(nb) % len(proxies)], seen_from=t_h)
        disguise = b.cfg.disguise
        _bursts(
            b,
            buyers,
            sellers,
            int(rng.integers(*disguise.hijacked_bursts)),
            (t_h, b.end - 12 * HOUR),
            disguise.hijacked_share,
            0.0,
            disguise.burst_minutes,
        )
        _record(b, "hijacked", buyers, sellers)

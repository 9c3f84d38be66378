"""Lockstep groups: bursts of the same buyers versus a one-off flash sale."""

import numpy as np

from linkguard.detect.lockstep import lockstep_groups

HOUR = 3600


def test_flash_sale_is_not_lockstep():
    # 400 distinct buyers at one shop within 20 minutes, once
    rng = np.random.default_rng(0)
    b = np.arange(400)
    res = lockstep_groups(b, np.full(400, 999), 10 * HOUR + rng.integers(0, 1200, 400))
    assert res.groups == []


def test_repeated_bursts_are_lockstep_and_name_their_sellers():
    rng = np.random.default_rng(1)
    ring = np.arange(20)
    b, s, t = [], [], []
    for burst, seller in enumerate([500, 501, 500, 502, 501, 500]):
        start = burst * 30 * HOUR
        b.append(ring)
        s.append(np.full(20, seller))
        t.append(start + rng.integers(0, 1500, 20))
    # background: 2000 orders from other buyers spread over the same period
    b.append(rng.integers(100, 400, 2000))
    s.append(rng.integers(500, 520, 2000))
    t.append(rng.integers(0, 200 * HOUR, 2000))
    res = lockstep_groups(np.concatenate(b), np.concatenate(s), np.concatenate(t))
    assert len(res.groups) == 1
    grp = res.groups[0]
    assert grp.buyers.tolist() == ring.tolist()
    assert set(grp.sellers.tolist()) == {500, 501}  # 502 was hit once only
    assert grp.windows >= 6


def test_loyal_regulars_spread_in_time_are_not_lockstep():
    rng = np.random.default_rng(2)
    regulars = np.repeat(np.arange(30), 12)
    t = rng.integers(0, 90 * 24 * HOUR, len(regulars))
    res = lockstep_groups(regulars, np.full(len(regulars), 7), t)
    assert res.groups == []


RING = np.arange(12)


def ring_beside_a_busy_shop(regulars: int, hours: int, extra=()):
    """Orders (buyer, seller, time): a ring of 12 buying at its shop 700 in five bursts, and a
    busy shop 800 with 20,000 orders from ``regulars`` buyers over ``hours`` hours, where each
    ring buyer also places ten camouflage orders; ``extra`` adds (buyers, hours) at 800."""
    rng = np.random.default_rng(3)
    b, s, t = [], [], []
    for burst in range(5):
        b.append(RING)
        s.append(np.full(12, 700))
        t.append(burst * 40 * HOUR + rng.integers(0, 1500, 12))
    b.append(rng.integers(1000, 1000 + regulars, 20_000))
    s.append(np.full(20_000, 800))
    t.append(rng.integers(0, hours * HOUR, 20_000))
    b.append(np.repeat(RING, 10))
    s.append(np.full(120, 800))
    t.append(rng.integers(0, hours * HOUR, 120))
    for buyers, at in extra:
        b.append(np.asarray(buyers))
        s.append(np.full(len(buyers), 800))
        t.append(np.asarray(at) * HOUR + 60)
    return np.concatenate(b), np.concatenate(s), np.concatenate(t)


def test_a_busy_shop_where_ring_buyers_meet_by_chance_is_not_a_ring_shop():
    # 10 orders an hour at 800 from 20,000 regulars; ring buyers 0 and 1 meet there three times.
    res = lockstep_groups(
        *ring_beside_a_busy_shop(
            20_000, 2000, extra=[([0, 1, 0, 1, 0, 1], [3, 3, 70, 70, 150, 150])]
        )
    )
    assert len(res.groups) == 1
    assert res.groups[0].buyers.tolist() == RING.tolist()
    assert res.groups[0].sellers.tolist() == [700]


def test_active_buyers_who_only_ever_meet_at_a_busy_shop_are_no_group():
    rng = np.random.default_rng(4)
    # A busy shop (30,000 orders) among twenty others (3,500 each); three active buyers shop
    # around (ten orders each elsewhere) and happen to meet at the busy one in four hours.
    crowd = rng.integers(1000, 60_000, 100_000)
    shops = np.r_[np.full(30_000, 800), rng.integers(801, 821, 70_000)]
    around = np.repeat([0, 1, 2], 10)
    b = np.r_[crowd, np.tile([0, 1, 2], 4), around]
    s = np.r_[shops, np.full(12, 800), rng.integers(801, 821, 30)]
    t = np.r_[
        rng.integers(0, 300 * HOUR, 100_000),
        np.repeat([5, 60, 120, 250], 3) * HOUR,
        rng.integers(0, 300 * HOUR, 30),
    ]
    assert lockstep_groups(b, s, t).groups == []


def test_a_ring_is_still_named_when_chance_meetings_at_a_crowded_shop_join_its_group():
    # 100 orders an hour at 800 from 5,000 regulars: over 200 hours some regulars share three
    # hours with a ring buyer, or with each other, and chance pairs link most of them into the
    # ring's group.
    res = lockstep_groups(*ring_beside_a_busy_shop(5000, 200))
    # The ring's shop is tested on the orders of the buyers who bought there (the ring), not
    # on the whole swept-up group, so it is still named; groups of regulars who only met at
    # the crowded shop are dropped.
    assert len(res.groups) == 1
    assert set(RING.tolist()) <= set(res.groups[0].buyers.tolist())
    assert res.groups[0].sellers.tolist() == [700]

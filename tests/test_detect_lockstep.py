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


def test_a_busy_shop_where_ring_buyers_meet_by_chance_is_not_a_ring_shop():
    rng = np.random.default_rng(3)
    ring = np.arange(12)
    b, s, t = [], [], []
    for burst in range(5):  # the ring's own shop, 700, in five bursts
        b.append(ring)
        s.append(np.full(12, 700))
        t.append(burst * 40 * HOUR + rng.integers(0, 1500, 12))
    # A busy shop, 800: 20,000 orders over 2,000 hours, and the ring buyers' camouflage there:
    # 10 orders each, two of them in the same hour three times.
    b.append(rng.integers(1000, 21_000, 20_000))
    s.append(np.full(20_000, 800))
    t.append(rng.integers(0, 2000 * HOUR, 20_000))
    b.append(np.repeat(ring, 10))
    s.append(np.full(120, 800))
    t.append(rng.integers(0, 2000 * HOUR, 120))
    b.append(np.array([0, 1, 0, 1, 0, 1]))
    s.append(np.full(6, 800))
    t.append(np.repeat([3, 70, 150], 2) * HOUR + 60)
    res = lockstep_groups(np.concatenate(b), np.concatenate(s), np.concatenate(t))
    assert len(res.groups) == 1
    assert res.groups[0].buyers.tolist() == ring.tolist()
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
    t = np.r_[rng.integers(0, 300 * HOUR, 100_000), np.repeat([5, 60, 120, 250], 3) * HOUR,
              rng.integers(0, 300 * HOUR, 30)]
    assert lockstep_groups(b, s, t).groups == []


def test_a_ring_is_still_named_when_chance_meetings_at_a_crowded_shop_join_its_group():
    rng = np.random.default_rng(3)
    ring = np.arange(12)
    b, s, t = [], [], []
    for burst in range(5):  # the ring's own shop, 700, in five bursts
        b.append(ring)
        s.append(np.full(12, 700))
        t.append(burst * 40 * HOUR + rng.integers(0, 1500, 12))
    # A crowded shop, 800: 100 orders an hour from 5,000 regulars, ten from each ring buyer.
    # Over 200 hours some regulars share three hours with a ring buyer, or with each other,
    # and chance pairs link most of them into the ring's group.
    b.append(rng.integers(1000, 6000, 20_000))
    s.append(np.full(20_000, 800))
    t.append(rng.integers(0, 200 * HOUR, 20_000))
    b.append(np.repeat(ring, 10))
    s.append(np.full(120, 800))
    t.append(rng.integers(0, 200 * HOUR, 120))
    res = lockstep_groups(np.concatenate(b), np.concatenate(s), np.concatenate(t))
    # The ring's shop is tested on the orders of the buyers who bought there (the ring), not
    # on the whole swept-up group, so it is still named; groups of regulars who only met at
    # the crowded shop are dropped.
    assert len(res.groups) == 1
    assert set(ring.tolist()) <= set(res.groups[0].buyers.tolist())
    assert res.groups[0].sellers.tolist() == [700]

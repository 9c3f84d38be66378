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

"""Dates without times: granularity is measured and the time-cell detectors stay bounded."""

import numpy as np
import pandas as pd

from linkguard.detect.bursts import burst_rings, bursts_visible
from linkguard.detect.lockstep import LockstepParams, lockstep_groups, timestamp_granularity
from linkguard.market import Market
from linkguard.pipeline.analysis import analyze_market
from linkguard.rules.ruleset import load_ruleset

HOUR = 3600
DAY = 86_400


def test_granularity_of_dates_noon_stamps_hours_and_seconds():
    rng = np.random.default_rng(0)
    days = rng.integers(20_000, 20_090, 5000) * DAY
    assert timestamp_granularity(days) == DAY
    assert timestamp_granularity(days + 12 * HOUR) == DAY
    assert timestamp_granularity(days + rng.integers(0, 24, 5000) * HOUR) == HOUR
    assert timestamp_granularity(days + rng.integers(0, 1440, 5000) * 60) == 60
    assert timestamp_granularity(days + rng.integers(0, DAY, 5000)) == 1
    # a few stray rows with a time do not make daily data fine-grained
    mixed = days.copy()
    mixed[:20] += rng.integers(1, DAY, 20)
    assert timestamp_granularity(mixed) == DAY


def _ring_bursts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """12 ring buyers hit shop 700 in five 25-minute bursts; 3,000 background orders."""
    ring = np.arange(12)
    b = [np.tile(ring, 5), rng.integers(100, 600, 3000)]
    s = [np.full(60, 700), rng.integers(701, 720, 3000)]
    t = [
        np.repeat(np.arange(5) * 40 * HOUR, 12) + rng.integers(0, 1500, 60),
        rng.integers(0, 300 * HOUR, 3000),
    ]
    return np.concatenate(b), np.concatenate(s), np.concatenate(t)


def test_lockstep_is_not_looked_for_on_dates_and_says_why():
    b, s, t = _ring_bursts(np.random.default_rng(1))
    fine = lockstep_groups(b, s, t)
    assert [g.buyers.tolist() for g in fine.groups] == [list(range(12))]
    assert fine.notes == []
    dated = lockstep_groups(b, s, t // DAY * DAY + 12 * HOUR)
    assert dated.groups == []
    assert dated.granularity == DAY
    assert "dates without times" in dated.notes[0]


def test_crowded_cells_are_left_out_past_the_pair_budget():
    rng = np.random.default_rng(2)
    b, s, t = _ring_bursts(rng)
    # 1,500 shoppers at shop 900 in the same three hours: 3.4M pairs, past the 1M floor
    crowd = np.arange(10_000, 11_500)
    b = np.r_[b, np.tile(crowd, 3)]
    s = np.r_[s, np.full(4500, 900)]
    t = np.r_[t, np.repeat(np.array([10, 90, 170]) * HOUR, 1500) + rng.integers(0, 600, 4500)]
    unbounded = lockstep_groups(b, s, t, LockstepParams(pair_budget=1e9))
    assert unbounded.cells_skipped == 0
    bounded = lockstep_groups(b, s, t)
    assert bounded.cells_skipped >= 3
    assert "crowded" in bounded.notes[0]
    # the ring's own small cells are kept: it is still found
    assert [g.buyers.tolist() for g in bounded.groups] == [list(range(12))]
    assert [g.sellers.tolist() for g in bounded.groups] == [[700]]


def test_burst_view_is_not_built_on_dates():
    b, s, t = _ring_bursts(np.random.default_rng(3))
    assert bursts_visible(t)
    assert [r.buyers.tolist() for r in burst_rings(b, s, t, 1000)] == [list(range(12))]
    dated = t // DAY * DAY
    assert not bursts_visible(dated)
    assert burst_rings(b, s, dated, 1000) == []


def test_summary_notes_what_date_only_orders_kept_from_view():
    rng = np.random.default_rng(4)
    n = 400
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "buyer_id": [f"b{i}" for i in rng.integers(0, 80, n)],
            "seller_id": [f"s{i}" for i in rng.integers(0, 10, n)],
            "amount": np.full(n, 20.0),
            "created_at": [f"2026-01-{d:02d}" for d in rng.integers(1, 29, n)],
        }
    )
    summary = analyze_market(Market.from_frames(orders), load_ruleset()).summary
    assert summary["time_granularity_seconds"] == DAY
    assert any("lockstep not looked for" in note for note in summary["notes"])
    assert any("burst view" in note for note in summary["notes"])

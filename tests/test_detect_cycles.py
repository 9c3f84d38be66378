"""Circular trade on tiny payment graphs."""

import numpy as np
import pytest

from linkguard.detect.cycles import CycleParams, circular_trades

DAY = 86400


def cycles(edges, params=None):
    b, s, amt, t = (np.array(x) for x in zip(*edges, strict=True))
    return circular_trades(b, s, amt, t, params)


def test_three_cycle_with_matching_amounts_is_found():
    res = cycles([(0, 1, 100.0, 0), (1, 2, 99.0, DAY), (2, 0, 101.0, 2 * DAY)])
    assert [c.accounts.tolist() for c in res.cycles] == [[0, 1, 2]]
    assert res.cycles[0].rounds == 1
    assert res.order_mask(3).all()


def test_wildly_different_amounts_are_not_a_cycle():
    res = cycles([(0, 1, 100.0, 0), (1, 2, 3.0, DAY), (2, 0, 800.0, 2 * DAY)])
    assert res.cycles == []


def test_out_of_time_order_is_not_a_cycle():
    res = cycles([(0, 1, 100.0, 2 * DAY), (1, 2, 100.0, DAY), (2, 0, 100.0, 3 * DAY)])
    # read from any starting order, some later hop happens before the one it follows
    assert res.cycles == []


def test_outside_window_is_not_a_cycle():
    res = cycles([(0, 1, 100.0, 0), (1, 2, 100.0, DAY), (2, 0, 100.0, 30 * DAY)])
    assert res.cycles == []


@pytest.mark.parametrize("length", [3, 4, 5, 6])
def test_lengths_three_to_six_are_found(length):
    edges = [(i, (i + 1) % length, 50.0, i * 3600) for i in range(length)]
    assert [c.accounts.tolist() for c in cycles(edges).cycles] == [list(range(length))]


def test_seven_cycle_is_beyond_the_bound():
    edges = [(i, (i + 1) % 7, 50.0, i * 3600) for i in range(7)]
    assert cycles(edges).cycles == []
    assert len(cycles(edges, CycleParams(max_length=7)).cycles) == 1


def test_two_way_trade_is_not_a_cycle_and_repeats_group():
    edges = [(0, 1, 10.0, 0), (1, 0, 10.0, 60)]
    assert cycles(edges).cycles == []
    rounds = [
        [(0, 1, 10.0, d * DAY), (1, 2, 10.0, d * DAY + 60), (2, 0, 10.0, d * DAY + 120)]
        for d in (0, 10, 20)
    ]
    res = cycles([e for r in rounds for e in r])
    assert len(res.cycles) == 1
    assert res.cycles[0].rounds == 3
    assert res.cycles[0].amount == pytest.approx(90.0)


def test_honest_star_traffic_has_no_cycles():
    rng = np.random.default_rng(3)
    n = 5000
    edges = list(
        zip(
            rng.integers(10, 2000, n),
            rng.integers(0, 10, n),
            rng.uniform(5, 50, n),
            rng.integers(0, 90 * DAY, n),
            strict=True,
        )
    )
    assert cycles(edges).cycles == []


def test_paths_sharing_orders_count_once_in_rounds_orders_and_amount():
    # Two orders from 0 to 1 close two paths through the same later orders 1->2 and 2->0:
    # the money went round once, over four distinct orders.
    res = cycles(
        [
            (0, 1, 100.0, 0),
            (0, 1, 102.0, 1),
            (1, 2, 99.0, DAY),
            (2, 0, 101.0, 2 * DAY),
        ]
    )
    (cyc,) = res.cycles
    assert len(cyc.orders) == 2  # both paths are kept for the order mask
    assert cyc.rounds == 1
    assert cyc.distinct_orders.tolist() == [0, 1, 2, 3]
    assert cyc.amount == pytest.approx(100.0 + 102.0 + 99.0 + 101.0)


def test_disjoint_rounds_each_count():
    week = 8 * DAY
    res = cycles(
        [
            (0, 1, 100.0, 0),
            (1, 2, 99.0, DAY),
            (2, 0, 101.0, 2 * DAY),
            (0, 1, 50.0, week),
            (1, 2, 51.0, week + DAY),
            (2, 0, 49.0, week + 2 * DAY),
        ]
    )
    (cyc,) = res.cycles
    assert cyc.rounds == 2
    assert len(cyc.distinct_orders) == 6
    assert cyc.amount == pytest.approx(450.0)


def test_dates_without_times_find_a_cycle_made_within_one_day_once():
    # A daily export: every hop stamped with the same date. Each order starts the same
    # cycle, and the three paths found are one path of one cycle.
    day = 40 * DAY
    res = cycles([(0, 1, 100.0, day), (1, 2, 99.0, day), (2, 0, 101.0, day), (5, 6, 10.0, day)])
    assert [c.accounts.tolist() for c in res.cycles] == [[0, 1, 2]]
    (cycle,) = res.cycles
    assert len(cycle.orders) == 1
    assert cycle.rounds == 1
    assert cycle.distinct_orders.tolist() == [0, 1, 2]


def test_dates_without_times_still_need_later_days_in_order():
    day = 40 * DAY
    res = cycles([(0, 1, 100.0, day + DAY), (1, 2, 100.0, day), (2, 0, 100.0, day + 3 * DAY)])
    assert res.cycles == []


def test_times_to_the_second_keep_hops_in_strict_order():
    # The same day, but with times: 1 -> 2 was paid before 0 -> 1, so nothing went round.
    day = 40 * DAY
    edges = [(0, 1, 100.0, day + 5_000), (1, 2, 100.0, day + 4_000), (2, 0, 100.0, day + 6_000)]
    edges += [(7, 8, 10.0, day + 17 + k * 3_607) for k in range(20)]  # times to the second
    assert cycles(edges).cycles == []

"""Without ratings, a shop's regulars lunching together are not a lockstep group."""

import numpy as np
import pandas as pd
import pytest

from linkguard.market import Market
from linkguard.pipeline.detection import detect
from linkguard.rules.ruleset import load_ruleset

HOUR = 3600
DAY = 86_400


def _market(group: int, rated: bool, shops: int = 1) -> Market:
    """``group`` buyers order at shop ``s0`` (and ``s100``, ... with ``shops``) in the same
    hour on five days, beside ordinary trade at forty other shops."""
    rng = np.random.default_rng(3)
    rows = []
    for day in range(5):
        lunch = (10 + day * 3) * DAY + 12 * HOUR
        for k in range(shops):
            rows += [(f"w{i}", f"s{100 * k}", lunch + 60 * i + 7 * k) for i in range(group)]
    for _ in range(3000):
        t = int(rng.integers(0, 40 * DAY))
        rows.append((f"b{rng.integers(0, 900)}", f"s{rng.integers(1, 41)}", t))
    orders = pd.DataFrame(rows, columns=["buyer_id", "seller_id", "ts"])
    orders.insert(0, "order_id", [f"o{i}" for i in range(len(orders))])
    orders["amount"] = 12.5
    orders["created_at"] = pd.to_datetime(orders.pop("ts"), unit="s", utc=True)
    if rated:
        # the group gives five stars every time; the rest of the market now and then
        orders["rating"] = rng.choice([3.0, 4.0, 5.0], len(orders))
        orders.loc[orders["buyer_id"].str.startswith("w"), "rating"] = 5.0
    return Market.from_frames(orders)


def _lockstep_buyers(market: Market) -> list[list[str]]:
    found = detect(market, load_ruleset()).lockstep.groups
    return [sorted(market.account_ids[g.buyers].astype(str).tolist()) for g in found]


@pytest.mark.parametrize("group", [3, 6])
def test_unrated_co_workers_at_one_shop_are_not_lockstep(group):
    assert _lockstep_buyers(_market(group, rated=False)) == []


def test_an_unrated_group_at_two_shops_still_is():
    assert _lockstep_buyers(_market(4, rated=False, shops=2)) == [["w0", "w1", "w2", "w3"]]


def test_co_workers_who_always_give_five_stars_are_lockstep():
    # the rule needs ratings to be absent: rated like bought reviews, the group stays
    assert _lockstep_buyers(_market(3, rated=True)) == [["w0", "w1", "w2"]]

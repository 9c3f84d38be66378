"""Hidden rings on tiny hand-built markets: one-shop farms, recruited accounts, and the honest
groups that look like them (workplace regulars, new-user campaigns, fans, joint promotions)."""

import json

import numpy as np
import pandas as pd

from linkguard.detect.farms import farm_rings
from linkguard.detect.graph import identifier_values, trade_pairs
from linkguard.detect.local_rings import local_rings
from linkguard.detect.ring_checks import drop_ordinary_ratings, trim_sparse_sellers
from linkguard.detect.rings import Ring, RingParams, merge_rings
from linkguard.market import Market as LiveMarket
from linkguard.pipeline.analysis import analyze_market
from linkguard.rules.ruleset import load_ruleset

DAY, HOUR = 86_400, 3_600
N = 5000  # account codes: buyers 0-3999, shops 4000-4999
OLD = -400 * DAY


class Market:
    """Honest background trade plus planted groups, as detector inputs."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        n = 20000
        pop = 1.0 / np.arange(1, 901) ** 1.1
        self.b = [rng.integers(0, 4000, n)]
        self.s = [4000 + rng.choice(900, n, p=pop / pop.sum())]
        self.t = [rng.integers(0, 90 * DAY, n)]
        self.r = [rng.choice([1.0, 2, 3, 4, 5, np.nan], n, p=[0.03, 0.02, 0.06, 0.2, 0.39, 0.3])]
        self.created = np.full(N, OLD, dtype=np.int64)
        self.id_acc, self.id_kind, self.id_val = [], [], []

    def orders(self, b, s, t, r):
        n = len(b)
        self.b.append(np.asarray(b))
        self.s.append(np.broadcast_to(s, n))
        self.t.append(np.asarray(t))
        self.r.append(np.broadcast_to(np.asarray(r, dtype=float), n))

    def ordinary_ratings(self, n):
        return self.rng.choice([1.0, 3, 4, 5], n, p=[0.1, 0.15, 0.35, 0.4])

    def share(self, accounts, kind, value):
        self.id_acc += list(accounts)
        self.id_kind += [kind] * len(accounts)
        self.id_val += [value] * len(accounts)

    def arrays(self):
        b, s = np.concatenate(self.b), np.concatenate(self.s)
        t, r = np.concatenate(self.t), np.concatenate(self.r)
        values = identifier_values(
            np.asarray(self.id_acc, dtype=np.int64), self.id_kind, self.id_val
        )
        return b, s, t, r, values, trade_pairs(b, s, np.ones(len(b)), t, r)

    def farms(self):
        b, _s, t, r, values, pairs = self.arrays()
        return farm_rings(pairs, values, b, t, r, self.created, N)

    def local(self):
        b, s, t, r, _, pairs = self.arrays()
        return local_rings(pairs, b, s, t, r, N, created=self.created)


def _plant_farm(m, buyers, shop, start=30 * DAY):
    """New accounts, three per phone, two proxy IPs; five-star orders in three bursts."""
    rng = m.rng
    m.created[buyers] = start - 5 * DAY + rng.integers(0, 6 * HOUR, len(buyers))
    for i, acc in enumerate(buyers):
        m.share([acc], "phone", f"farm-phone-{shop}-{i // 3}")
        m.share([acc], "ip", f"proxy-{shop}-{i % 2}")
    burst = rng.integers(0, 3, len(buyers))
    m.orders(buyers, shop, start + burst * 3 * DAY + rng.integers(0, 2 * HOUR, len(buyers)), 5.0)
    # camouflage: one ordinary order each at a busy shop
    m.orders(
        buyers,
        4000,
        start + rng.integers(0, 30 * DAY, len(buyers)),
        m.ordinary_ratings(len(buyers)),
    )


def test_one_shop_farm_is_found_with_its_evidence():
    m = Market(1)
    farm = np.arange(3900, 3918)
    _plant_farm(m, farm, 4950)
    rings = m.farms()
    assert len(rings) == 1
    ring = rings[0]
    assert ring.buyers.tolist() == farm.tolist()
    assert ring.sellers.tolist() == [4950]
    ev = ring.evidence
    assert ev["farm_identifiers"]["phone"]["values"] == 6
    assert ev["farm_identifiers"]["ip"]["values"] == 2
    assert ev["five_star_share"] == 1.0
    assert ev["new_buyer_share"] == 1.0
    assert ev["bursts"] >= 2
    assert ev["median_account_age_days"] < 10


def test_farm_at_a_busy_honest_shop_takes_only_the_farm():
    m = Market(2)
    farm = np.arange(3900, 3912)
    _plant_farm(m, farm, 4003)  # the fourth most popular shop
    rings = m.farms()
    assert [r.buyers.tolist() for r in rings] == [farm.tolist()]
    assert rings[0].sellers.tolist() == [4003]


def test_two_shop_farm_merges_into_one_ring():
    m = Market(3)
    farm = np.arange(3900, 3915)
    _plant_farm(m, farm, 4950)
    m.orders(farm, 4951, 50 * DAY + m.rng.integers(0, HOUR, len(farm)), 5.0)
    b, _s, t, r, values, pairs = m.arrays()
    merged = merge_rings([farm_rings(pairs, values, b, t, r, m.created, N)], pairs, N)
    assert len(merged.rings) == 1
    assert merged.rings[0].sellers.tolist() == [4950, 4951]


def test_workplace_regulars_and_new_user_campaign_are_not_farms():
    m = Market(4)
    rng = m.rng
    # 20 old regulars on one office IP, ordering at lunch every week, rated like everyone
    office = np.arange(3000, 3020)
    m.share(office, "ip", "office-wifi")
    who = np.repeat(office, 12)
    day = rng.integers(0, 88, len(who)) * DAY
    m.orders(
        who,
        4960,
        day + 12 * HOUR + rng.integers(0, 2 * HOUR, len(who)),
        m.ordinary_ratings(len(who)),
    )
    # 40 brand-new sign-ups on a campus IP, first orders within hours, rated like everyone
    users = np.arange(3100, 3140)
    m.share(users, "ip", "campus")
    m.created[users] = 40 * DAY + rng.integers(0, DAY, len(users))
    m.orders(
        users,
        4961,
        m.created[users] + rng.integers(600, 4 * HOUR, len(users)),
        m.ordinary_ratings(len(users)),
    )
    assert m.farms() == []


def test_public_wifi_users_at_a_popular_shop_are_not_a_farm():
    m = Market(5)
    # an IP of 90 accounts; its users buy at the most popular shop as often as everyone
    cafe = np.arange(2000, 2090)
    m.share(cafe, "ip", "cafe")
    m.created[cafe] = 10 * DAY
    m.orders(cafe[:30], 4000, 11 * DAY + np.arange(30) * 60, 5.0)
    assert m.farms() == []


def _plant_recruited(m, buyers, shops, start=40 * DAY):
    """Old accounts, each with one five-star order at two of the shops, in 1-2 hour bursts."""
    rng = m.rng
    bursts = start + np.arange(5) * 2 * DAY
    for _i, acc in enumerate(buyers):
        for shop in rng.choice(shops, 2, replace=False):
            k = rng.integers(0, 5)
            m.orders([acc], shop, [bursts[k] + rng.integers(0, 90 * 60)], 5.0)


def test_recruited_ring_is_found_by_its_shared_buyers():
    m = Market(6)
    ring_buyers = np.arange(100, 130)
    shops = np.array([4900, 4901, 4902, 4903])
    _plant_recruited(m, ring_buyers, shops)
    rings = m.local()
    assert len(rings) == 1
    assert rings[0].buyers.tolist() == ring_buyers.tolist()
    assert rings[0].sellers.tolist() == shops.tolist()
    assert rings[0].evidence["shared_buyers"] == 30
    assert rings[0].evidence["bursts"] >= 2


def test_fans_and_joint_promotions_are_not_rings():
    m = Market(7)
    rng = m.rng
    # 40 fans each buying at 2-3 of four small shops, at their own times, ordinary ratings
    fans = np.arange(200, 240)
    fan_shops = np.array([4910, 4911, 4912, 4913])
    for acc in fans:
        for shop in rng.choice(fan_shops, rng.integers(2, 4), replace=False):
            n = rng.integers(1, 3)
            m.orders([acc] * n, shop, rng.integers(0, 90 * DAY, n), m.ordinary_ratings(n))
    # a joint promotion: 60 buyers within two hours at one shop, half of them at its partner
    promo = np.arange(300, 360)
    m.orders(promo, 4920, 50 * DAY + rng.integers(0, 2 * HOUR, 60), m.ordinary_ratings(60))
    m.orders(promo[:30], 4921, 50 * DAY + rng.integers(0, 2 * HOUR, 30), m.ordinary_ratings(30))
    assert m.local() == []


def test_peeled_ring_loses_sellers_reached_by_chance_and_ordinary_rings_go():
    m = Market(8)
    b, s, _t, r, _, pairs = m.arrays()
    core = np.arange(10)
    ring = Ring(core, np.array([4000, 4899]), 10, 0.5, 1.0, 9.0, 9.0)  # 4000: the busiest shop
    trimmed = trim_sparse_sellers([ring], pairs, N, RingParams())
    assert all(4000 not in x.sellers for x in trimmed)
    ordinary = Ring(np.arange(4000), np.arange(4000, 4900), 1, 0.1, 1.0, 9.0, 9.0)
    assert drop_ordinary_ratings([ordinary], b, s, r, N) == []


def test_farm_raises_brushing_ring_with_evidence_through_the_ruleset():
    m = Market(9)
    farm = np.arange(3900, 3916)
    _plant_farm(m, farm, 4950)
    b, s, t, r, _, _ = m.arrays()
    name = np.array([f"a{i}" for i in range(N)])
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(b))],
            "buyer_id": name[b],
            "seller_id": name[s],
            "amount": 10.0,
            "created_at": pd.to_datetime(t, unit="s", utc=True),
            "rating": r,
        }
    )
    accounts = pd.DataFrame(
        {"account_id": name, "created_at": pd.to_datetime(m.created, unit="s", utc=True)}
    )
    ids = pd.DataFrame(
        {"account_id": name[np.asarray(m.id_acc)], "kind": m.id_kind, "value_hash": m.id_val}
    )
    snap = analyze_market(LiveMarket.from_frames(orders, accounts, ids), load_ruleset())
    flags = snap.flags[snap.flags["code"] == "BRUSHING_RING"]
    assert set(flags["account_id"]) == set(name[farm]) | {"a4950"}
    shop = flags[flags["account_id"] == "a4950"].iloc[0]
    assert shop["severity"] in ("review", "decline")
    ev = json.loads(shop["evidence"])
    assert ev["found_by"] == "buyer_farm"
    # 16 accounts, three per phone: five phones shared (the sixth has one account)
    assert ev["farm_identifiers"]["phone"]["values"] == 5
    assert set(snap.rings["account_id"]) == set(name[farm]) | {"a4950"}


def _at_noon(m):
    """The market as a daily export: every order at noon of its day."""
    b, s, t, r, _, _ = m.arrays()
    return b, s, t // DAY * DAY + 12 * HOUR, r


def test_dates_without_times_find_a_recruited_ring_by_its_days_and_five_stars():
    m = Market(6)
    ring_buyers = np.arange(100, 130)
    shops = np.array([4900, 4901, 4902, 4903])
    _plant_recruited(m, ring_buyers, shops)
    b, s, noon, r = _at_noon(m)
    rings = local_rings(
        trade_pairs(b, s, np.ones(len(b)), noon, r), b, s, noon, r, N, created=m.created
    )
    assert [(x.buyers.tolist(), x.sellers.tolist()) for x in rings] == [
        (ring_buyers.tolist(), shops.tolist())
    ]
    # without ratings, days of orders alone are no evidence
    unrated = np.full(len(b), np.nan)
    pairs = trade_pairs(b, s, np.ones(len(b)), noon, unrated)
    assert local_rings(pairs, b, s, noon, unrated, N, created=m.created) == []


def test_dates_without_times_leave_fans_and_joint_promotions_alone():
    m = Market(7)
    rng = m.rng
    fans = np.arange(200, 240)
    for acc in fans:
        for shop in rng.choice([4910, 4911, 4912, 4913], rng.integers(2, 4), replace=False):
            n = rng.integers(1, 3)
            m.orders([acc] * n, shop, rng.integers(0, 90 * DAY, n), m.ordinary_ratings(n))
    promo = np.arange(300, 360)
    m.orders(promo, 4920, 50 * DAY + rng.integers(0, 2 * HOUR, 60), m.ordinary_ratings(60))
    m.orders(promo[:30], 4921, 50 * DAY + rng.integers(0, 2 * HOUR, 30), m.ordinary_ratings(30))
    # five-star fans too: they buy on their own days, not on a handful of shared ones
    keen = np.arange(400, 440)
    for acc in keen:
        for shop in rng.choice([4930, 4931, 4932], 2, replace=False):
            m.orders([acc], shop, rng.integers(0, 90 * DAY, 1), 5.0)
    b, s, noon, r = _at_noon(m)
    pairs = trade_pairs(b, s, np.ones(len(b)), noon, r)
    assert local_rings(pairs, b, s, noon, r, N, created=m.created) == []


def test_farm_without_ratings_or_times_is_found_by_its_new_shared_phones():
    m = Market(10)
    farm = np.arange(3900, 3918)
    _plant_farm(m, farm, 4950)
    users = np.arange(3100, 3140)  # a campaign's sign-ups on one campus IP
    m.share(users, "ip", "campus")
    m.created[users] = 40 * DAY
    m.orders(users, 4961, 40 * DAY + m.rng.integers(600, 4 * HOUR, len(users)), np.nan)
    b, s, t, _, values, _ = m.arrays()
    noon, unrated = t // DAY * DAY + 12 * HOUR, np.full(len(b), np.nan)
    pairs = trade_pairs(b, s, np.ones(len(b)), noon, unrated)
    rings = farm_rings(pairs, values, b, noon, unrated, m.created, N)
    assert [(r.buyers.tolist(), r.sellers.tolist()) for r in rings] == [(farm.tolist(), [4950])]


def test_without_ratings_one_shop_rings_go_and_joint_promotions_are_not_rings():
    unrated = np.full(24, np.nan)
    b, s = np.r_[np.arange(12), np.arange(12) + 20], np.r_[np.full(12, 40), np.full(12, 41)]
    s[12::2] = 42  # the second ring spans two shops
    one = Ring(np.arange(12), np.array([40]), 12, 1.0, 1.0, 9.0, 9.0)
    two = Ring(np.arange(12) + 20, np.array([41, 42]), 12, 1.0, 1.0, 9.0, 9.0)
    kept = drop_ordinary_ratings([one, two], b, s, unrated, 50)
    assert [r.sellers.tolist() for r in kept] == [[41, 42]]

    m = Market(7)
    rng = m.rng
    # three waves of a joint promotion: 60 buyers in two hours at one shop, half at its partner
    for wave in range(3):
        promo = np.arange(300, 360) + 60 * wave
        start = (20 + 15 * wave) * DAY
        m.orders(promo, 4920, start + rng.integers(0, 2 * HOUR, 60), np.nan)
        m.orders(promo[:30], 4921, start + rng.integers(0, 2 * HOUR, 30), np.nan)
    ring_buyers = np.arange(100, 130)
    _plant_recruited(m, ring_buyers, np.array([4900, 4901, 4902, 4903]))
    b, s, t, r, _, _ = m.arrays()
    r = np.full(len(b), np.nan)
    rings = local_rings(trade_pairs(b, s, np.ones(len(b)), t, r), b, s, t, r, N, created=m.created)
    assert [x.sellers.tolist() for x in rings] == [[4900, 4901, 4902, 4903]]

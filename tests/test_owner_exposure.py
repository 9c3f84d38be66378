"""One owner behind several shops: LINKED_ACCOUNTS at review with the owner's exposure.

A tiny hand-built market: two shops and a borrower bound by an id number and a phone (one
owner), a family of two shops sharing only their home IP and address, a household of buyers
sharing a tablet, and an office of shops at one address.
"""

import json

import numpy as np
import pandas as pd
import pytest

from linkguard.detect.graph import identifier_values
from linkguard.detect.linked import linked_accounts, owner_groups
from linkguard.market import Market
from linkguard.pipeline.analysis import analyze_market
from linkguard.rules.ruleset import load_ruleset

SHOPS = ["own1", "own2", "fam1", "fam2", "off1", "off2", "off3", "solo"]


def _market() -> Market:
    rows = []
    # 12 retail buyers at every shop, so no shop is concentrated.
    for s in SHOPS:
        for i in range(12):
            rows.append((f"{s}-{i}", f"r{i}", s, 10.0 if s != "own2" else 20.0))
    # The household of buyers shares a tablet; they buy at the solo shop.
    rows += [(f"hh-{i}", f"hh{i}", "solo", 5.0) for i in range(3)]
    orders = pd.DataFrame(rows, columns=["order_id", "buyer_id", "seller_id", "amount"])
    orders["created_at"] = pd.date_range("2026-01-01", periods=len(orders), freq="37min", tz="UTC")
    ids = [
        ("own1", "id_number", "N1"),
        ("own2", "id_number", "N1"),
        ("own3", "phone", "P1"),
        ("own2", "phone", "P1"),
        ("fam1", "ip", "home"),
        ("fam2", "ip", "home"),
        ("fam1", "address", "elm"),
        ("fam2", "address", "elm"),
        ("off1", "address", "tower"),
        ("off2", "address", "tower"),
        ("off3", "address", "tower"),
        ("off1", "ip", "office"),
        ("off2", "ip", "office"),
        ("off3", "ip", "office"),
    ]
    ids += [(f"hh{i}", "device", "tablet") for i in range(3)]
    ids += [(f"hh{i}", k, f"hh-{k}") for i in range(3) for k in ("ip", "address")]
    identifiers = pd.DataFrame(ids, columns=["account_id", "kind", "value_hash"])
    loans = pd.DataFrame(
        {
            "loan_id": ["L1", "L2", "L3"],
            "account_id": ["own1", "own3", "fam1"],
            "applied_at": ["2026-01-10T00:00:00Z"] * 3,
            "amount": [1000.0, 500.0, 800.0],
        }
    )
    return Market.from_frames(orders, None, identifiers, loans)


@pytest.fixture(scope="module")
def flags() -> pd.DataFrame:
    snap = analyze_market(_market(), load_ruleset())
    return snap.flags


def _linked(flags: pd.DataFrame, account: str) -> pd.Series:
    hit = flags[(flags["account_id"] == account) & (flags["code"] == "LINKED_ACCOUNTS")]
    assert len(hit) == 1, f"{account}: {len(hit)} LINKED_ACCOUNTS flags"
    return hit.iloc[0]


@pytest.mark.parametrize("account", ["own1", "own2", "own3"])
def test_owner_of_two_shops_and_a_loan_is_flagged_for_review(flags, account):
    assert _linked(flags, account)["severity"] == "review"


def test_owner_evidence_carries_the_combined_exposure(flags):
    flag = _linked(flags, "own1")
    ev = json.loads(flag["evidence"])
    assert ev["owner_sellers"] == ["own1", "own2"]
    assert ev["owner_borrowers"] == ["own1", "own3"]
    assert ev["lending_parties"] == 3
    assert ev["owner_gmv"] == pytest.approx(12 * 10.0 + 12 * 20.0)
    assert ev["owner_adjusted_gmv"] == pytest.approx(360.0)
    assert ev["owner_loans"] == 2
    assert ev["owner_loan_amount"] == pytest.approx(1500.0)
    assert "2 shop(s)" in flag["reason"]
    assert "1,500.00" in flag["reason"]


@pytest.mark.parametrize("account", ["fam1", "fam2", "off1", "off2", "off3", "solo"])
def test_family_and_office_shops_stay_unflagged(flags, account):
    assert flags[flags["account_id"] == account].empty


@pytest.mark.parametrize("account", ["hh0", "hh1", "hh2"])
def test_household_sharing_a_tablet_stays_at_info(flags, account):
    flag = _linked(flags, account)
    assert flag["severity"] == "info"
    assert json.loads(flag["evidence"])["lending_parties"] == 0


def test_owner_groups_count_only_strong_links():
    # 0-1 share a card; 2-3 share a home IP and an address and a loyalty number ("other",
    # 0.5): linked, but by no strong kind.
    iv = identifier_values(
        [0, 1, 2, 3, 2, 3, 2, 3],
        ["card", "card", "ip", "ip", "address", "address", "loyalty", "loyalty"],
        ["c", "c", "h", "h", "a", "a", "l", "l"],
    )
    res = linked_accounts(iv, 4)
    assert res.n_clusters == 2
    assert res.edge_strong.tolist() == [True, False]
    groups = owner_groups(res, np.ones(4, dtype=bool))
    assert [g.members.tolist() for g in groups] == [[0, 1]]
    assert owner_groups(res, [True, False, True, True]) == []

"""A seller buying from itself (``buyer_id == seller_id``) is self-dealing, and not revenue."""

import json

import pytest

from linkguard.io import read_market
from linkguard.pipeline.analysis import analyze_market
from linkguard.rules.ruleset import load_ruleset


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    d = tmp_path_factory.mktemp("self")
    lines = ["order_id,buyer_id,seller_id,amount,created_at"]
    for i in range(9):
        lines.append(f"self{i},shop,shop,500.00,2026-01-0{i + 1}T10:00:00Z")
        lines.append(f"real{i},buyer{i},shop,20.00,2026-01-0{i + 1}T12:00:00Z")
    (d / "orders.csv").write_text("\n".join(lines) + "\n")
    market = read_market(d, pepper=b"k")
    assert market.reports["orders"].rows_loaded == 18
    return analyze_market(market, load_ruleset())


def test_self_orders_raise_self_dealing_with_evidence_and_reason(snapshot):
    flags = snapshot.flags[snapshot.flags["code"] == "SELF_DEALING"]
    assert flags["account_id"].tolist() == ["shop"]
    flag = flags.iloc[0]
    evidence = json.loads(flag["evidence"])
    assert evidence["self_orders"] == 9
    assert evidence["self_amount"] == 4500.0
    assert evidence["n_puppets"] == 0
    assert evidence["gmv_share"] == pytest.approx(4500 / 4680, abs=1e-4)
    assert "bought from itself in 9 order(s)" in flag["reason"]
    assert "96% of its sales" in flag["reason"]
    assert flag["severity"] == "decline"


def test_self_orders_are_taken_out_of_adjusted_gmv(snapshot):
    row = snapshot.concentration.set_index("seller_id").loc["shop"]
    assert row["gmv"] == pytest.approx(4680.0)
    assert row["adjusted_gmv"] == pytest.approx(180.0)
    adjustments = snapshot.extra["adjustments"]
    assert sorted(adjustments["order_id"]) == [f"self{i}" for i in range(9)]
    assert set(adjustments["reason"]) == {"self_dealing"}


def test_buyers_are_not_flagged_for_the_shop_buying_from_itself(snapshot):
    flagged = set(snapshot.flags.loc[snapshot.flags["code"] == "SELF_DEALING", "account_id"])
    assert not any(a.startswith("buyer") for a in flagged)

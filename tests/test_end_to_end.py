"""End to end on synthetic markets: detection scored against the planted ground truth."""

import pytest

from linkguard.pipeline.analysis import run_analysis
from linkguard.synth import generate_market, write_market
from linkguard.synth.evaluate import FRAUD_CODES, evaluate_snapshot

pytestmark = pytest.mark.slow


@pytest.fixture(
    scope="module",
    params=[(11, "standard"), (23, "standard"), (11, "hard"), (23, "hard")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def scored(request, tmp_path_factory):
    seed, difficulty = request.param
    root = tmp_path_factory.mktemp(f"market-{seed}-{difficulty}")
    write_market(generate_market(accounts=8000, seed=seed, difficulty=difficulty), root / "data")
    snapshot = run_analysis(root / "data", root / "snapshot")
    evaluation = evaluate_snapshot(snapshot, root / "data")
    print(f"\n--- synth seed {seed}, {difficulty} rings, 8,000 accounts ---")
    print("\n".join(evaluation.lines()))
    return evaluation


def test_seller_level_fraud_f1(scored):
    assert scored.seller_fraud.f1 >= 0.9
    for code in (*FRAUD_CODES, "HIGH_CONCENTRATION"):
        score = scored.seller_by_code[code]
        if score.actual:
            assert score.f1 >= 0.9, f"{code}: {score}"


def test_ring_buyers_f1(scored):
    assert scored.ring_buyers.f1 >= 0.85
    assert scored.ring_sellers.f1 >= 0.9


def test_linked_account_pairs_f1(scored):
    assert scored.linked_pairs.actual > 0
    assert scored.linked_pairs.f1 >= 0.95


def test_honest_look_alike_shops_raise_no_fraud_code(scored):
    assert scored.honest_shops_flagged == []


def test_adjusted_gmv_removes_fake_and_keeps_honest_revenue(scored):
    assert scored.fake_gmv_removed >= 0.9
    assert scored.honest_gmv_removed <= 0.01


def test_sellers_of_multi_shop_owners_are_flagged_for_review(scored):
    assert scored.owner_sellers > 0
    assert scored.owner_sellers_flagged >= 0.9 * scored.owner_sellers


def test_family_and_office_shops_stay_clean(scored):
    assert scored.look_alike_sellers > 0
    assert scored.look_alike_sellers_flagged == []

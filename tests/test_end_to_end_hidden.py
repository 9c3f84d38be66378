"""End to end on realistic synth markets: hidden rings (one-shop farms, recruited accounts)
beside their honest look-alikes, on seeds the detectors were not tuned on."""

import pandas as pd
import pytest

from linkguard.pipeline.analysis import run_analysis
from linkguard.synth import generate_market, write_market
from linkguard.synth.evaluate import FRAUD_CODES, evaluate_snapshot

pytestmark = pytest.mark.slow

#: Tuning used seeds 5, 7 and 31 (31 was first held out; it failed and was then tuned on),
#: and hard seed 11; these were never looked at while tuning.
HELD_OUT_SEEDS = [61, 83]


@pytest.fixture(scope="module", params=HELD_OUT_SEEDS, ids=lambda s: f"realistic-{s}")
def scored(request, tmp_path_factory):
    seed = request.param
    root = tmp_path_factory.mktemp(f"realistic-{seed}")
    write_market(generate_market(accounts=8000, seed=seed, difficulty="realistic"), root / "data")
    snapshot = run_analysis(root / "data", root / "snapshot")
    evaluation = evaluate_snapshot(snapshot, root / "data")
    truth = pd.read_csv(root / "data" / "truth" / "accounts.csv", dtype=str, keep_default_na=False)
    buyers = set(
        pd.read_csv(root / "data" / "orders.csv", usecols=["buyer_id"], dtype=str)["buyer_id"]
    )
    honest = set(truth.loc[truth["fraud_types"] == "", "account_id"]) & buyers
    flags = snapshot.flags
    fraud_flagged = set(flags.loc[flags["code"].isin(FRAUD_CODES), "account_id"])
    rings = pd.read_csv(root / "data" / "truth" / "rings.csv", dtype=str)
    kinds = set(rings["kind"])
    print(f"\n--- synth seed {seed}, realistic, 8,000 accounts; ring kinds {sorted(kinds)} ---")
    print("\n".join(evaluation.lines()))
    share = len(honest & fraud_flagged) / len(honest)
    print(f"honest buyers with a fraud code: {len(honest & fraud_flagged)} of {len(honest)}")
    return evaluation, share, kinds


def test_market_holds_the_hidden_shapes(scored):
    _, _, kinds = scored
    assert {"small_farm", "recruited"} <= kinds


def test_fraud_sellers_f1(scored):
    assert scored[0].seller_fraud.f1 >= 0.9


def test_ring_buyers_f1(scored):
    assert scored[0].ring_buyers.f1 >= 0.85


def test_fake_gmv_removed_honest_gmv_kept(scored):
    assert scored[0].fake_gmv_removed >= 0.9
    assert scored[0].honest_gmv_removed <= 0.01


def test_look_alikes_stay_clean(scored):
    evaluation, honest_share, _ = scored
    assert evaluation.honest_shops_flagged == []
    assert honest_share <= 0.01

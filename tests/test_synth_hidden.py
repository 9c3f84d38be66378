"""The realistic difficulty: hidden rings and honest look-alikes, recorded in the truth."""

import pytest

from linkguard.synth import generate_market


@pytest.fixture(scope="module")
def realistic():
    return generate_market(4000, 13, difficulty="realistic")


def test_hidden_rings_are_planted_and_recorded(realistic):
    rings = realistic.truth["rings"].to_pandas()
    kinds = set(rings["kind"])
    assert {"small_farm", "recruited", "device_farm", "hijacked"} <= kinds
    planted = realistic.manifest["planted"]
    assert planted["small_farm_rings"] >= 2
    assert planted["recruited_rings"] >= 2
    accounts = realistic.truth["accounts"].to_pandas().set_index("account_id")
    farm_buyers = rings.loc[(rings.kind == "small_farm") & (rings.role == "buyer"), "account_id"]
    assert accounts.loc[farm_buyers, "fraud_types"].str.contains("farm_ring").all()
    # hidden rings are rings, not lockstep: their buyers do not meet again and again
    codes = accounts.loc[farm_buyers, "expected_codes"]
    assert codes.str.contains("BRUSHING_RING").all()
    assert not codes.str.contains("LOCKSTEP").any()


def test_farm_sizes_and_shops_vary(realistic):
    rings = realistic.truth["rings"].to_pandas()
    farms = rings[rings.kind == "small_farm"].groupby(["ring_id", "role"]).size().unstack()
    assert farms["buyer"].nunique() > 1
    recruited = rings[rings.kind == "recruited"].groupby(["ring_id", "role"]).size().unstack()
    assert (recruited["seller"] >= 3).all()


def test_look_alikes_are_recorded_as_honest_shops(realistic):
    sellers = realistic.truth["sellers"].to_pandas()
    labels = set(sellers["label"])
    assert {"workplace_wifi", "fan_community", "promotion", "new_user_campaign"} <= labels
    accounts = realistic.truth["accounts"].to_pandas()
    look = accounts[accounts.honest_structures.str.contains("workplace_wifi|fan_community")]
    assert (look.fraud_types == "").all()


def test_standard_markets_hold_no_hidden_shapes():
    m = generate_market(1000, 13)
    kinds = set(m.truth["rings"].to_pandas()["kind"])
    assert kinds <= {"device_farm", "hijacked"}
    labels = set(m.truth["sellers"].to_pandas()["label"])
    assert not labels & {"workplace_wifi", "fan_community", "promotion", "new_user_campaign"}
    assert (
        not m.truth["accounts"].to_pandas().honest_structures.str.contains("workplace_wifi").any()
    )


def test_realistic_only_words_occur_at_realistic(realistic):
    from linkguard.synth.vocab import REALISTIC_ONLY

    accounts = realistic.truth["accounts"].to_pandas()
    used = set()
    for column in ("fraud_types", "honest_structures"):
        used |= {w for cell in accounts[column] for w in cell.split(";") if w}
    assert set(REALISTIC_ONLY) <= used

"""linkguard against ``bench/_plain.py``, the same steps written plainly in pandas + networkx.

The plain steps are the oracle where they compute the same quantity as linkguard: the ingest
counts (rows in, loaded and quarantined per table and reason), the pseudonymised identifier
values (``hmac`` per value) and the revenue concentration of each seller (orders, distinct
buyers, GMV, HHI, top-1 and top-5 shares: pandas groupbys). Its linked accounts, rings,
lockstep and cycles are simplified versions (no identifier weights, one peel, no background
test), so they are no oracle for linkguard's and are not compared.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkguard import config
from linkguard.io import pseudonymise
from linkguard.pipeline.analysis import run_analysis
from linkguard.synth import generate_market, write_market

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import _plain

PEPPER = "oracle-pepper"

#: The data directory's root, the plain ingest and linkguard's concentration table.
Runs = tuple[Path, dict[str, Any], pd.DataFrame]


@pytest.fixture(scope="module", params=[3, 11])
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """A small synthetic market, linkguard's snapshot of it and the plain ingest."""
    seed = request.param
    root = tmp_path_factory.mktemp(f"oracle-{seed}")
    write_market(generate_market(600, seed, dirty_fraction=0.01), root / "data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINKGUARD_PEPPER", PEPPER)
        config.get_settings.cache_clear()
        try:
            run_analysis(root / "data", root / "out")
        finally:
            config.get_settings.cache_clear()
    plain = _plain._ingest(root / "data", PEPPER.encode())
    concentration = pd.read_parquet(root / "out" / "concentration.parquet")
    return root, plain, concentration


def test_ingest_counts_match_the_plain_checks(runs: Runs) -> None:
    root, plain, _ = runs
    inputs = json.loads((root / "out" / "summary.json").read_text())["inputs"]
    for name, rows_in in plain["rows_in"].items():
        assert inputs[name]["rows_in"] == rows_in, name
        assert inputs[name]["rows_loaded"] == len(plain["tables"][name]), name
        assert inputs[name]["rows_quarantined"] == len(plain["quarantine"][name]), name
    assert sum(len(q) for q in plain["quarantine"].values()) > 0  # the dirty rows were seen


def test_pseudonyms_match_plain_hmac(runs: Runs) -> None:
    _, plain, _ = runs
    sample = plain["sample"]
    assert len(sample) > 100
    for kind, rows in sample.groupby("kind"):
        got = pseudonymise(rows["value"].tolist(), str(kind), PEPPER.encode())
        assert got.tolist() == rows["value_hash"].tolist(), kind


def test_concentration_matches_plain_groupbys(runs: Runs) -> None:
    _, plain, concentration = runs
    orders = plain["tables"]["orders"]
    no = pd.Series(False, index=orders.index)
    clusters = pd.DataFrame(
        {"cluster_id": pd.Series(dtype=int), "account_id": pd.Series(dtype=str)}
    )
    expected = _plain._concentration(orders, clusters, no, no, no).set_index("seller_id")
    got = concentration.set_index("seller_id")
    assert len(got) > 20
    assert set(got.index) <= set(expected.index)
    expected = expected.loc[got.index]
    for column in ("orders", "buyers"):
        assert got[column].tolist() == expected[column].astype(int).tolist(), column
    for column in ("gmv", "hhi", "top1_share", "top5_share"):
        np.testing.assert_allclose(
            got[column].to_numpy(float),
            expected[column].to_numpy(float),
            rtol=1e-9,
            atol=1e-9,
            err_msg=column,
        )

"""Absurd amounts are quarantined, and no snapshot ever holds a non-finite number."""

from importlib import resources

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linkguard.errors import LinkguardError
from linkguard.io import read_market
from linkguard.pipeline.analysis import run_analysis
from linkguard.pipeline.snapshot import write_snapshot

ORDERS = (
    "order_id,buyer_id,seller_id,amount,created_at\n"
    "o1,b1,s1,1e308,2026-01-01T10:00:00Z\n"
    "o2,b2,s1,1e41,2026-01-01T11:00:00Z\n"
    "o3,b3,s1,20.00,2026-01-01T12:00:00Z\n"
    "o4,b4,s1,150,2026-01-01T13:00:00Z\n"
    "o5,b5,s1,1e400,2026-01-01T14:00:00Z\n"
)


def _data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "orders.csv").write_text(ORDERS)
    return d


def _reasons(market):
    q = market.quarantine["orders"]
    return dict(zip(q["order_id"], q["reason"], strict=True))


def test_amounts_beyond_the_maximum_are_quarantined_with_a_reason(tmp_path):
    market = read_market(_data(tmp_path), pepper=b"k")
    assert _reasons(market) == {
        "o1": "amount_too_large",
        "o2": "amount_too_large",
        "o5": "bad_amount",
    }
    assert market.orders["order_id"].tolist() == ["o3", "o4"]
    assert np.isfinite(market.orders["amount"]).all()


def test_the_maximum_comes_from_the_ruleset(tmp_path):
    text = (
        resources.files("linkguard.rules")
        .joinpath("default.toml")
        .read_text("utf-8")
        .replace("max_amount = 1e12", "max_amount = 100")
    )
    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    snap = run_analysis(_data(tmp_path), tmp_path / "out", ruleset_path=rules)
    rep = snap.summary["inputs"]["orders"]
    assert rep["by_reason"] == {"bad_amount": 1, "amount_too_large": 3}
    assert rep["rows_in"] == rep["rows_loaded"] + rep["rows_quarantined"] == 5
    row = snap.concentration.set_index("seller_id").loc["s1"]
    assert row["gmv"] == 20.0


def test_every_numeric_column_of_every_snapshot_file_is_finite(tmp_path):
    out = tmp_path / "out"
    run_analysis(_data(tmp_path), out)
    checked = 0
    for file in sorted(out.glob("*.parquet")):
        frame = pq.read_table(file).to_pandas()
        for col in frame.columns:
            if frame[col].dtype.kind in "fiuc":
                assert np.isfinite(frame[col].to_numpy(dtype=np.float64)).all(), (file, col)
                checked += 1
    assert checked >= 10
    gmv = pd.read_parquet(out / "concentration.parquet").set_index("seller_id").loc["s1", "gmv"]
    assert gmv == 170.0


def test_a_non_finite_figure_never_reaches_a_snapshot(tmp_path, sample_snapshot):
    snap = sample_snapshot
    bad = snap.concentration.copy()
    bad.loc[0, "hhi"] = np.nan
    from dataclasses import replace

    with pytest.raises(LinkguardError, match=r"concentration\.parquet.*'hhi'.*non-finite"):
        write_snapshot(replace(snap, concentration=bad), tmp_path / "s")
    assert not (tmp_path / "s").exists()

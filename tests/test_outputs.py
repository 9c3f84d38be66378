"""What a snapshot of the bundled sample holds: no raw PII, figures that match direct sums."""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from linkguard.pipeline.snapshot import SNAPSHOT_COLUMNS, read_snapshot


def _all_text(snapshot_dir):
    """Every string in every output file of a snapshot."""
    texts = [(snapshot_dir / "summary.json").read_text()]
    for file in snapshot_dir.glob("*.parquet"):
        frame = pq.read_table(file).to_pandas()
        for col in frame.columns:
            texts.extend(frame[col].map(str).tolist())
    for file in (snapshot_dir / "quarantine").glob("*.csv"):
        texts.append(file.read_text())
    return "\n".join(texts)


def test_no_raw_identifier_value_in_any_output(sample_dir, sample_snapshot):
    raw = pd.read_csv(sample_dir / "identifiers.csv", dtype=str, keep_default_na=False)
    values = {v for v in raw["value"] if len(v) >= 6}
    assert len(values) > 1000
    haystack = _all_text(sample_snapshot.path)
    leaked = [v for v in values if v in haystack]
    assert leaked == []


def test_snapshot_reads_back_with_the_contract_columns(sample_snapshot):
    again = read_snapshot(sample_snapshot.path)
    for name, columns in SNAPSHOT_COLUMNS.items():
        assert set(columns) <= set(again.table(name).columns)
    assert len(again.flags) == len(sample_snapshot.flags) > 0
    assert again.summary["snapshot_id"] == sample_snapshot.summary["snapshot_id"]
    levels = set(again.accounts["risk_level"])
    assert levels <= {"info", "review", "decline"}
    assert again.accounts["reason_codes"].map(len).max() <= 4


def test_hhi_and_shares_equal_a_direct_computation(sample_dir, sample_snapshot):
    orders = pd.read_csv(sample_dir / "orders.csv", dtype=str, keep_default_na=False)
    orders["amount"] = pd.to_numeric(orders["amount"], errors="coerce")
    # the rows ingest keeps: parseable, non-negative, first of each order id, with ids
    ok = (orders["amount"] >= 0) & (orders["order_id"] != "") & (orders["buyer_id"] != "")
    ok &= (orders["seller_id"] != "") & pd.to_datetime(
        orders["created_at"], utc=True, errors="coerce", format="ISO8601"
    ).notna()
    ok &= orders["rating"].isin(["", "1", "2", "3", "4", "5"])
    ok &= orders.apply(lambda r: max(len(str(x)) for x in r) <= 256, axis=1)
    quarantined_lines = set(
        sample_snapshot.quarantine.get("orders", pd.DataFrame({"line": []}))["line"].astype(int)
    )
    kept = orders[ok & ~(orders.index + 2).isin(quarantined_lines)]
    kept = kept[~kept["status"].isin(["cancelled", "refunded"])]
    per_pair = kept.groupby(["seller_id", "buyer_id"])["amount"].sum()
    gmv = per_pair.groupby(level=0).sum()
    share = per_pair / gmv.reindex(per_pair.index.get_level_values(0)).to_numpy()
    hhi = (share * 100).pow(2).groupby(level=0).sum()
    top1 = share.groupby(level=0).max()
    conc = sample_snapshot.concentration.set_index("seller_id")
    assert len(conc) == len(hhi)
    np.testing.assert_allclose(conc.loc[hhi.index, "hhi"], hhi, rtol=1e-9)
    np.testing.assert_allclose(conc.loc[hhi.index, "top1_share"], top1, rtol=1e-9)
    np.testing.assert_allclose(conc.loc[gmv.index, "gmv"], gmv.round(2), atol=0.005)
    assert (conc["adjusted_gmv"] <= conc["gmv"] + 1e-9).all()


def test_summary_reports_counts_and_stage_times(sample_snapshot):
    summary = json.loads((sample_snapshot.path / "summary.json").read_text())
    assert summary["ruleset_version"]
    assert summary["inputs"]["orders"]["rows_quarantined"] > 0  # the sample has dirty rows
    quarantined = sum(len(q) for q in sample_snapshot.quarantine.values())
    assert quarantined == sum(t["rows_quarantined"] for t in summary["inputs"].values())
    assert set(summary["stage_seconds"]) >= {"ingest", "rings", "flags"}
    assert all(v >= 0 for v in summary["stage_seconds"].values())


@pytest.mark.parametrize("reason", ["negative_amount", "duplicate_id", "bad_timestamp"])
def test_sample_dirty_rows_land_in_quarantine_with_their_line(sample_dir, sample_snapshot, reason):
    dirty = pd.read_csv(sample_dir / "truth" / "dirty.csv", dtype=str)
    expected = dirty[dirty["reason"] == reason]
    if expected.empty:
        pytest.skip(f"this sample plants no {reason} row")
    q = pd.concat(sample_snapshot.quarantine.values())
    got = set(zip(q["file"], q["line"].astype(str), q["reason"], strict=True))
    for row in expected.itertuples():
        assert (row.file, row.line, reason) in got

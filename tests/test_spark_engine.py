"""The Spark engine against the in-memory engine, on local[2] with one shared session.

The session (``spark`` in ``conftest.py``) runs with ``spark.driver.maxResultSize=1m``: every
engine run below happens under that limit; ``test_spark_inputs.py`` shows, on a market whose
orders table is larger than the limit, that collecting it breaks the limit while the engine
runs through.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark")

from linkguard.pipeline.analysis import run_analysis  # noqa: E402
from linkguard.rules.findings import MAX_EVIDENCE_IDS  # noqa: E402
from linkguard.synth import generate_market, write_market  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PEPPER = "spark-parity-test-key"


def _both(spark, data: Path, root: Path):
    from linkguard.spark.engine import run_spark_analysis

    old = os.environ.get("LINKGUARD_PEPPER")
    os.environ["LINKGUARD_PEPPER"] = PEPPER
    try:
        mem = run_analysis(data, root / "memory")
        spk = run_spark_analysis(str(data), root / "spark", spark=spark)
    finally:
        if old is None:
            os.environ.pop("LINKGUARD_PEPPER", None)
        else:
            os.environ["LINKGUARD_PEPPER"] = old
    return root / "memory", root / "spark", mem, spk, data


@pytest.fixture(scope="module", params=["sample", "synth-3", "synth-17"])
def pair(request, spark, sample_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"spark-{request.param}")
    if request.param == "sample":
        data = sample_dir
    else:
        seed = int(request.param.split("-")[1])
        data = root / "data"
        write_market(generate_market(accounts=1500, seed=seed), data)
    return _both(spark, data, root)


def _read(path: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(path / f"{name}.parquet")


def _flags(path: Path, code: str) -> pd.DataFrame:
    f = _read(path, "flags")
    return f[f["code"] == code].sort_values("account_id").reset_index(drop=True)


def _jaccard(a: set[str], b: set[str]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def test_summary_names_the_engine_and_application(pair):
    _, spk_dir, _, spk, _ = pair
    summary = json.loads((spk_dir / "summary.json").read_text())
    assert summary["engine"] == "spark"
    assert summary["spark_application_id"].startswith("local-")
    assert summary == {**summary, "flags": spk.summary["flags"]}


def test_input_counts_and_quarantine_match(pair):
    mem_dir, spk_dir, mem, spk, _ = pair
    assert spk.summary["inputs"] == mem.summary["inputs"]
    for rep in spk.summary["inputs"].values():
        assert rep["rows_in"] == rep["rows_loaded"] + rep["rows_quarantined"]
    mem_q = sorted(p.name for p in (mem_dir / "quarantine").iterdir())
    assert sorted(p.name for p in (spk_dir / "quarantine").iterdir()) == mem_q
    for name in mem_q:
        a = pd.read_csv(mem_dir / "quarantine" / name, dtype=str, keep_default_na=False)
        b = pd.read_csv(spk_dir / "quarantine" / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(a, b)
    assert spk.summary["accounts"] == mem.summary["accounts"]


def test_linked_clusters_identical(pair):
    mem_dir, spk_dir, _, _, _ = pair
    cols = ["cluster_id", "account_id", "size"]
    a = _read(mem_dir, "clusters").sort_values(["cluster_id", "account_id"])
    b = _read(spk_dir, "clusters").sort_values(["cluster_id", "account_id"])
    assert len(a) > 0
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))
    assert [list(k) for k in a["identifier_kinds"]] == [list(k) for k in b["identifier_kinds"]]
    pd.testing.assert_frame_equal(
        _flags(mem_dir, "LINKED_TO_BAD"), _flags(spk_dir, "LINKED_TO_BAD")
    )


def _in_owner_group(flags: pd.DataFrame) -> pd.Series:
    return flags["evidence"].map(lambda e: json.loads(e).get("lending_parties", 0) >= 2)


def test_owner_groups_escalated_like_the_memory_engine(pair):
    # Several shops or borrowers bound by strong identifiers are one owner: LINKED_ACCOUNTS at
    # review with the owner's combined GMV and loans in the reason, word for word.
    mem_dir, spk_dir, _, _, _ = pair
    mem, spk = _flags(mem_dir, "LINKED_ACCOUNTS"), _flags(spk_dir, "LINKED_ACCOUNTS")
    owned = _in_owner_group(mem)
    print(
        f"\nLINKED_ACCOUNTS: {len(mem)} in-memory, {len(spk)} spark, "
        f"{int(owned.sum())} in one-owner groups"
    )
    assert owned.any()
    assert (mem[owned]["reason"].str.contains("one owner behind")).all()
    pd.testing.assert_frame_equal(mem, spk)


def test_self_dealing_identical(pair):
    mem_dir, spk_dir, _, _, _ = pair
    a, b = _flags(mem_dir, "SELF_DEALING"), _flags(spk_dir, "SELF_DEALING")
    pd.testing.assert_frame_equal(a, b)


def test_cycles_identical(pair):
    mem_dir, spk_dir, mem, spk, _ = pair
    a, b = _flags(mem_dir, "CIRCULAR_TRADE"), _flags(spk_dir, "CIRCULAR_TRADE")
    cols = ["account_id", "severity", "score", "reason"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    for ea, eb in zip(a["evidence"], b["evidence"], strict=True):
        ja, jb = json.loads(ea), json.loads(eb)
        oa, ob = ja.pop("orders"), jb.pop("orders")
        assert ja == jb
        # evidence lists at most 50 orders; which 50 follows each engine's round order
        assert len(oa) == len(ob)
        if len(oa) < MAX_EVIDENCE_IDS:
            assert set(oa) == set(ob)
    assert spk.summary["cycles"] == mem.summary["cycles"]


def _ring_of_seller(path: Path) -> dict[str, frozenset[str]]:
    rings = _read(path, "rings")
    members = rings.groupby("ring_id")["account_id"].agg(frozenset)
    sellers = rings[rings["role"] == "seller"]
    return {s: members[r] for s, r in zip(sellers["account_id"], sellers["ring_id"], strict=True)}


#: Concentration columns that do not depend on which rings were found.
RING_FREE = ["orders", "buyers", "gmv", "hhi", "top1_share", "top5_share", "linked_buyer_share"]


def test_concentration_and_adjusted_gmv_identical(pair):
    # Every column is identical for every seller whose ring (if any) both engines found
    # with the same members; the columns that do not depend on rings, for every seller.
    mem_dir, spk_dir, _, _, _ = pair
    a = _read(mem_dir, "concentration")
    b = _read(spk_dir, "concentration")
    assert list(a.columns) == list(b.columns)
    assert a["seller_id"].tolist() == b["seller_id"].tolist()
    ra, rb = _ring_of_seller(mem_dir), _ring_of_seller(spk_dir)
    same = np.array([ra.get(s) == rb.get(s) for s in a["seller_id"]])
    print(f"\nsellers whose ring differs between engines: {int((~same).sum())} of {len(a)}")
    assert same.mean() >= 0.95
    for col in a.columns[1:]:
        rows = slice(None) if col in RING_FREE else same
        np.testing.assert_allclose(
            a[col].to_numpy(float)[rows],
            b[col].to_numpy(float)[rows],
            rtol=1e-9,
            atol=1e-9,
            err_msg=col,
        )
    pd.testing.assert_frame_equal(
        _flags(mem_dir, "HIGH_CONCENTRATION"), _flags(spk_dir, "HIGH_CONCENTRATION")
    )
    keep_a = set(a["seller_id"][same])
    adj_a = _read(mem_dir, "adjustments")
    adj_b = _read(spk_dir, "adjustments")
    adj_a = adj_a[adj_a["seller_id"].isin(keep_a)].sort_values("order_id").reset_index(drop=True)
    adj_b = adj_b[adj_b["seller_id"].isin(keep_a)].sort_values("order_id").reset_index(drop=True)
    assert len(adj_a) > 0
    pd.testing.assert_frame_equal(adj_a, adj_b)


@pytest.mark.parametrize("code", ["BRUSHING_RING", "LOCKSTEP"])
def test_ring_and_lockstep_flags_on_the_same_accounts(pair, code):
    mem_dir, spk_dir, _, _, _ = pair
    a = set(_flags(mem_dir, code)["account_id"])
    b = set(_flags(spk_dir, code)["account_id"])
    j = _jaccard(a, b)
    print(
        f"\n{code}: in-memory {len(a)}, spark {len(b)}, Jaccard {j:.3f}; "
        f"only in-memory: {sorted(a - b)}; only spark: {sorted(b - a)}"
    )
    assert a, f"the market should raise {code} at all"
    assert j >= 0.95


def test_large_star_small_star_components(spark):
    from linkguard.spark.components import connected_components

    # a path whose labels run against the order (the slow case for label propagation),
    # a separate triangle and a pair
    path = [(f"n{i:02d}", f"n{i + 1:02d}") for i in range(20)][::-1]
    edges = [*path, ("x", "y"), ("y", "z"), ("z", "x"), ("p", "q")]
    df = spark.createDataFrame(edges, "src string, dst string")
    got = {r["node"]: r["component"] for r in connected_components(df).collect()}
    assert {n for n, c in got.items() if c == "n00"} == {f"n{i:02d}" for i in range(21)}
    assert got["x"] == got["y"] == got["z"] == "x"
    assert got["p"] == got["q"] == "p"
    assert len(got) == 21 + 3 + 2


def test_cli_rejects_a_malformed_spark_setting(tmp_path, sample_dir):
    from typer.testing import CliRunner

    from linkguard.cli import _register, app

    _register()
    result = CliRunner().invoke(
        app,
        [
            "analyze",
            str(sample_dir),
            "--out",
            str(tmp_path / "o"),
            "--engine",
            "spark",
            "--spark-conf",
            "no-equals-sign",
        ],
    )
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output
    assert not (tmp_path / "o").exists()


def test_cycles_on_dates_without_times_match_the_memory_engine(spark):
    from linkguard.detect.cycles import CycleParams
    from linkguard.detect.cycles import circular_trades as memory_cycles
    from linkguard.detect.lockstep import granularity_of_seconds_of_day
    from linkguard.spark.behaviour import seconds_of_day
    from linkguard.spark.cycles import circular_trades

    day = 86_400
    # A cycle made within one day, a cycle over three days, and a chain that never closes;
    # every order is stamped with its date only.
    rows = [
        ("o1", "a", "b", 100.0, 40 * day),
        ("o2", "b", "c", 99.0, 40 * day),
        ("o3", "c", "a", 101.0, 40 * day),
        ("o4", "d", "e", 50.0, 41 * day),
        ("o5", "e", "f", 50.0, 42 * day),
        ("o6", "f", "d", 50.0, 43 * day),
        ("o7", "g", "h", 10.0, 40 * day),
    ]
    orders = spark.createDataFrame(
        rows, "order_id string, buyer_id string, seller_id string, amount double, ts long"
    )
    unit = granularity_of_seconds_of_day(seconds_of_day(orders))
    assert unit == day
    found = circular_trades(orders, CycleParams(), tie=unit).collect()
    spark_rounds = sorted(sorted(r["order_ids"]) for r in found)
    assert spark_rounds == [["o1", "o2", "o3"], ["o4", "o5", "o6"]]
    assert circular_trades(orders, CycleParams(), tie=0).count() == 1  # only the later days

    names = sorted({r[1] for r in rows} | {r[2] for r in rows})
    code = {n: i for i, n in enumerate(names)}
    b, s, amt, ts = zip(*[(code[r[1]], code[r[2]], r[3], r[4]) for r in rows], strict=True)
    memory = memory_cycles(np.array(b), np.array(s), np.array(amt), np.array(ts))
    memory_rounds = sorted(sorted(rows[i][0] for i in p) for c in memory.cycles for p in c.orders)
    assert memory_rounds == spark_rounds

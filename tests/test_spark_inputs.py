"""The Spark engine's inputs: Parquet tables as a cluster holds them, and a market whose orders
table is larger than what the driver may collect.

Both run in the shared local[2] session (``spark`` in ``conftest.py``), whose
``spark.driver.maxResultSize`` is 1 MiB.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from linkguard.pipeline.analysis import run_analysis
from linkguard.synth import generate_market, write_market

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PEPPER = "spark-inputs-test-key"
LIMIT = 1 << 20  # the session's spark.driver.maxResultSize


def _flags(path: Path, code: str) -> pd.DataFrame:
    f = pd.read_parquet(path / "flags.parquet")
    return f[f["code"] == code].sort_values("account_id").reset_index(drop=True)


def _same_quarantine(a: Path, b: Path) -> None:
    names = sorted(p.name for p in (a / "quarantine").iterdir())
    assert sorted(p.name for p in (b / "quarantine").iterdir()) == names
    for name in names:
        pd.testing.assert_frame_equal(
            pd.read_csv(a / "quarantine" / name, dtype=str, keep_default_na=False),
            pd.read_csv(b / "quarantine" / name, dtype=str, keep_default_na=False),
        )


def test_parquet_tables_in_files_and_folders_read_like_the_memory_engine(
    spark, tmp_path, monkeypatch
):
    from linkguard.spark.engine import run_spark_analysis

    monkeypatch.setenv("LINKGUARD_PEPPER", PEPPER)
    market = generate_market(accounts=1500, seed=17, dirty_fraction=0.01)
    single = tmp_path / "single"
    write_market(market, single, format="parquet")
    # As a cluster writes a table: a folder of part files (rows in order across the parts),
    # with the marker files Spark and Hive leave beside them.
    folder = tmp_path / "folder"
    shutil.copytree(single, folder)
    orders = pq.read_table(single / "orders.parquet")
    (folder / "orders.parquet").unlink()
    parts = folder / "orders.parquet"
    parts.mkdir()
    step = -(-orders.num_rows // 3)
    for i in range(3):
        pq.write_table(orders.slice(i * step, step), parts / f"part-{i:05d}.parquet")
    (parts / "_SUCCESS").write_bytes(b"")
    mem = run_analysis(single, tmp_path / "memory")
    spk = run_spark_analysis(str(folder), tmp_path / "spark", spark=spark)
    rep = spk.summary["inputs"]["orders"]
    print(f"\norders: {rep}")
    assert rep["rows_quarantined"] > 0
    assert rep["file"] == "orders.parquet"
    assert spk.summary["inputs"] == mem.summary["inputs"]
    _same_quarantine(tmp_path / "memory", tmp_path / "spark")
    for code in ("LINKED_ACCOUNTS", "SELF_DEALING", "CIRCULAR_TRADE"):
        a, b = _flags(tmp_path / "memory", code), _flags(tmp_path / "spark", code)
        assert len(a) > 0, code
        pd.testing.assert_frame_equal(a, b)


def test_a_parquet_table_without_a_required_column_is_refused(spark, tmp_path):
    import pyarrow as pa

    from linkguard.errors import SchemaError
    from linkguard.spark.ingest import read_input

    pq.write_table(pa.table({"order_id": ["o1"]}), tmp_path / "orders.parquet")
    with pytest.raises(SchemaError, match=r"orders\.parquet.*'buyer_id'"):
        read_input(spark, str(tmp_path), PEPPER.encode())


@pytest.fixture(scope="module")
def big_market(tmp_path_factory) -> Path:
    data: Path = tmp_path_factory.mktemp("big") / "data"
    write_market(generate_market(accounts=6000, seed=11), data)
    return data


def test_whole_orders_table_breaks_the_result_limit(spark, big_market):
    # The control: this market's orders table is larger than the limit, on disk and as the
    # rows a collect brings back (compressed), so a run that passes collected no whole table.
    from linkguard.spark.ingest import read_input

    assert spark.sparkContext.getConf().get("spark.driver.maxResultSize") == "1m"
    assert (big_market / "orders.csv").stat().st_size > LIMIT
    orders = read_input(spark, str(big_market), PEPPER.encode()).tables["orders"].loaded
    with pytest.raises(Exception, match=r"maxResultSize"):
        orders.collect()


def test_engine_runs_under_a_result_limit_below_its_orders_table(
    spark, big_market, tmp_path, monkeypatch
):
    from linkguard.spark.engine import run_spark_analysis

    monkeypatch.setenv("LINKGUARD_PEPPER", PEPPER)
    spk = run_spark_analysis(str(big_market), tmp_path / "spark", spark=spark)
    mem = run_analysis(big_market, tmp_path / "memory")
    print(
        f"\norders: {spk.summary['inputs']['orders']['rows_loaded']:,}; flags (in-memory, "
        f"spark): {[(c, mem.summary['flags'][c], n) for c, n in spk.summary['flags'].items()]}"
    )
    assert spk.summary["inputs"] == mem.summary["inputs"]
    for code in ("LINKED_ACCOUNTS", "SELF_DEALING", "CIRCULAR_TRADE", "HIGH_CONCENTRATION"):
        assert spk.summary["flags"][code] == mem.summary["flags"][code], code

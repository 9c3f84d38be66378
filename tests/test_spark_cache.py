"""A Spark run leaves no table of its own cached in a shared session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

pytest.importorskip("pyspark")
pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_a_run_releases_what_it_persisted_and_leaves_the_callers_tables(
    spark, sample_dir, tmp_path, monkeypatch
):
    from linkguard.spark.engine import run_spark_analysis

    monkeypatch.setenv("LINKGUARD_PEPPER", "a test pepper of enough length")
    mine = spark.range(10).persist()
    mine.count()
    jsc = spark.sparkContext._jsc
    before = set(jsc.getPersistentRDDs().keys())
    run_spark_analysis(sample_dir, tmp_path / "snap", spark=spark)
    after = set(jsc.getPersistentRDDs().keys())
    assert after <= before, f"{len(after - before)} cached tables outlived the run"
    assert mine.is_cached


def test_released_unpersists_even_when_the_block_fails(spark):
    from linkguard.spark.cache import released, run_cached

    held: list[DataFrame] = []

    def failing_stage() -> None:
        with released() as inside:
            held.extend(inside)
            df = spark.range(5).transform(run_cached)
            df.count()
            held.append(df)
            raise RuntimeError("stage failed")

    with pytest.raises(RuntimeError, match="stage failed"):
        failing_stage()
    assert len(held) == 1
    (df,) = held
    assert not df.is_cached

"""Shared fixtures: the bundled sample and a snapshot of it, analysed once per session."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "market"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    assert (SAMPLE / "orders.csv").is_file(), f"the bundled sample is missing: {SAMPLE}"
    return SAMPLE


@pytest.fixture(scope="session")
def sample_snapshot(sample_dir, tmp_path_factory):
    from linkguard.pipeline.analysis import run_analysis

    out = tmp_path_factory.mktemp("sample") / "snapshot"
    return run_analysis(sample_dir, out)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local[2] Spark session for every Spark test, with a 1 MiB limit on what a job may
    bring back to the driver (``spark.driver.maxResultSize``)."""
    pytest.importorskip("pyspark")
    from linkguard.spark.session import spark_session

    # local mode runs the executors inside the driver's JVM: give it room for the whole suite
    monkeypatch_env = pytest.MonkeyPatch()
    monkeypatch_env.setenv(
        "PYSPARK_SUBMIT_ARGS",
        os.environ.get("PYSPARK_SUBMIT_ARGS", "--driver-memory 2g pyspark-shell"),
    )

    session = spark_session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.driver.maxResultSize": "1m",
            "spark.sql.adaptive.coalescePartitions.enabled": "true",
            # a broadcast join's small side passes through the driver and counts against the
            # limit: keep broadcasts well below it
            "spark.sql.autoBroadcastJoinThreshold": "256k",
            "spark.sql.adaptive.autoBroadcastJoinThreshold": "256k",
        },
    )
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()
    monkeypatch_env.undo()


@pytest.fixture(autouse=True)
def _spark_caches_released(request):
    """Tables a Spark test persisted are dropped when it ends, so the shared JVM's heap holds
    one test's working set, not the suite's."""
    yield
    if "spark" in request.fixturenames:
        request.getfixturevalue("spark").catalog.clearCache()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the Spark session is a ``spark`` test, marked or not, so that
    ``-m "not spark"`` never starts a JVM."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)

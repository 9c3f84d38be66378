"""Shared fixtures: the bundled sample and a snapshot of it, analysed once per session."""

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

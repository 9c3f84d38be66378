"""``linkguard analyze --engine neo4j`` end to end through the command line."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.pipeline.snapshot import read_snapshot

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]

_register()


def test_engine_neo4j_writes_the_snapshot_the_memory_engine_writes(
    sample_dir, sample_snapshot, tmp_path
):
    out = tmp_path / "neo4j-snapshot"
    result = CliRunner().invoke(
        app,
        ["analyze", str(sample_dir), "--out", str(out), "--engine", "neo4j", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["engine"] == "neo4j"
    assert summary["inputs"] == sample_snapshot.summary["inputs"]
    graph = read_snapshot(out)
    for name, key in (
        ("flags", ["account_id", "code"]),
        ("rings", ["account_id"]),
        ("clusters", ["account_id"]),
        ("concentration", ["seller_id"]),
    ):
        ours = graph.table(name).sort_values(key).reset_index(drop=True)
        reference = sample_snapshot.table(name).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(ours, reference, check_like=True)
    assert len(graph.flags) > 0

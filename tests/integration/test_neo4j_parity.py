"""Engine parity: ``analyze --engine neo4j`` finds exactly what the in-memory engine finds.

The Neo4j path is the one ``linkguard analyze DATA --engine neo4j`` takes: ingest the
committed sample, load it into Neo4j, read the graph back into a market, analyse that. Every
snapshot table must equal the in-memory reference on the same sample, row for row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkguard.io import read_market as ingest
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.engine import analyze_with_neo4j, read_market
from linkguard.neo4j.loader import load_market
from linkguard.pipeline.analysis import analyze_market
from linkguard.pipeline.snapshot import Snapshot
from linkguard.rules.ruleset import load_ruleset
from linkguard.schema import FLAG_CODES

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]

PEPPER = b"linkguard-parity"
COLUMNS = {
    "flags": ["account_id", "code", "severity", "score", "reason", "evidence"],
    "accounts": ["account_id", "risk_level", "risk_score", "reason_codes", "cluster_id"],
    "clusters": ["cluster_id", "account_id", "size", "identifier_kinds"],
    "rings": ["ring_id", "account_id", "role", "ring_score", "density"],
    "concentration": [
        "seller_id",
        "orders",
        "buyers",
        "gmv",
        "hhi",
        "top1_share",
        "top5_share",
        "linked_buyer_share",
        "ring_buyer_share",
        "adjusted_gmv",
    ],
}


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame[columns].copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("str", "string")):
            out[col] = out[col].map(_hashable).astype(object)
    return out.sort_values(
        columns, key=lambda s: s.map(repr) if s.dtype == object else s
    ).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(sample_dir: Any) -> Snapshot:
    return analyze_market(ingest(sample_dir, pepper=PEPPER), load_ruleset(None))


@pytest.fixture(scope="module")
def via_neo4j(sample_dir: Any, graph: GraphRunner) -> Snapshot:
    # The steps of `analyze --engine neo4j`, one by one.
    market = ingest(sample_dir, pepper=PEPPER)
    load_market(market, runner=graph, replace=True)
    from_graph = read_market(runner=graph, reports=market.reports, quarantine=market.quarantine)
    return analyze_market(from_graph, load_ruleset(None), engine="neo4j")


@pytest.mark.parametrize("table", list(COLUMNS))
def test_snapshot_tables_are_identical(
    reference: Snapshot, via_neo4j: Snapshot, table: str
) -> None:
    want = _sorted(reference.table(table), COLUMNS[table])
    got = _sorted(via_neo4j.table(table), COLUMNS[table])
    assert len(want) > 0, f"the sample must exercise {table}"
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)


def test_every_flag_code_is_compared(reference: Snapshot) -> None:
    assert set(reference.flags["code"]) == set(FLAG_CODES)


def test_summary_keeps_ingest_counts(reference: Snapshot, via_neo4j: Snapshot) -> None:
    assert via_neo4j.summary["engine"] == "neo4j"
    assert via_neo4j.summary["inputs"] == reference.summary["inputs"]
    assert via_neo4j.summary["flags"] == reference.summary["flags"]
    for name, rows in reference.quarantine.items():
        pd.testing.assert_frame_equal(via_neo4j.quarantine[name], rows)


def test_analyze_with_neo4j_is_the_same_path(
    reference: Snapshot, sample_dir: Any, graph: GraphRunner
) -> None:
    snapshot = analyze_with_neo4j(
        ingest(sample_dir, pepper=PEPPER), load_ruleset(None), runner=graph
    )
    for table, columns in COLUMNS.items():
        pd.testing.assert_frame_equal(
            _sorted(snapshot.table(table), columns),
            _sorted(reference.table(table), columns),
            check_dtype=False,
            check_exact=True,
        )
    assert {"neo4j load", "neo4j read"} <= set(snapshot.summary["stage_seconds"])

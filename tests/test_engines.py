"""The engine choice (``linkguard.engines``): names checked, Neo4j's round trip handed to the flow.

The Neo4j engine's own load and read-back are tested against a server in
``tests/integration/test_neo4j_parity.py``; here its round trip is replaced by a stand-in so
that what the dispatch does with it can be seen without one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkguard import engines
from linkguard.errors import InputError
from linkguard.io import read_market
from linkguard.market import Market
from linkguard.neo4j import engine as neo4j_engine
from linkguard.pipeline.analysis import activity_table, analyze_market, run_analysis
from linkguard.pipeline.snapshot import read_snapshot
from linkguard.pipeline.timing import StageTimer
from linkguard.rules.ruleset import load_ruleset


def test_an_unknown_engine_is_refused_before_anything_is_written(
    sample_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match="unknown engine 'networkx'"):
        engines.analyze_with_engine(sample_dir, out, engine="networkx")
    assert not out.exists()


def _without_last_orders(market: Market, drop: int) -> Market:
    o = market.orders.iloc[:-drop]
    ids = market.account_ids
    return Market.from_frames(
        pd.DataFrame(
            {
                "order_id": o["order_id"].to_numpy(),
                "buyer_id": ids[o["buyer"].to_numpy()],
                "seller_id": ids[o["seller"].to_numpy()],
                "amount": o["amount"].to_numpy(),
                "created_at": o["created_at"],
            }
        ),
        reports=market.reports,
        quarantine=market.quarantine,
    )


def test_neo4j_analyses_the_market_read_back(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = read_market(sample_dir)
    seen: list[Market] = []
    returned: list[Market] = []

    def read_back(loaded: Market, timer: StageTimer) -> Market:
        # Stands in for load + read back, returning a different market (fewer orders, no
        # accounts table) so that the snapshot shows which market the detectors saw.
        seen.append(loaded)
        with timer.stage("neo4j read"):
            returned.append(_without_last_orders(loaded, 500))
        return returned[-1]

    monkeypatch.setattr(neo4j_engine, "load_and_read_back", read_back)
    snap = engines.analyze_with_engine(
        sample_dir, tmp_path / "neo4j", engine="neo4j", market=market
    )
    assert seen == [market]
    assert snap.summary["engine"] == "neo4j"
    assert "neo4j read" in snap.summary["stage_seconds"]
    # Input counts are ingest's; the analysis is of the market read back.
    assert snap.summary["inputs"]["orders"]["rows_loaded"] == len(market.orders)
    expected = analyze_market(returned[0], load_ruleset(None), engine="neo4j")
    assert not expected.extra["activity"].equals(activity_table(market))
    pd.testing.assert_frame_equal(snap.extra["activity"], expected.extra["activity"])
    pd.testing.assert_frame_equal(snap.flags, expected.flags)
    assert read_snapshot(tmp_path / "neo4j").summary["engine"] == "neo4j"


def test_the_in_memory_engine_is_the_flow_itself(sample_dir: Path, tmp_path: Path) -> None:
    via = engines.analyze_with_engine(sample_dir, tmp_path / "a")
    flow = run_analysis(sample_dir, tmp_path / "b")
    assert via.summary["engine"] == flow.summary["engine"] == "igraph"
    pd.testing.assert_frame_equal(via.flags, flow.flags)
    pd.testing.assert_frame_equal(via.accounts, flow.accounts)

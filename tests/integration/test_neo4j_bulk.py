"""The bulk importer path builds the same graph as the batched MERGE load.

The batched load runs on the test server (``NEO4J_URI``). A bulk load stops its server,
replaces the database and starts it again, which would pull the store from under the other
tests' connections, so it runs on a scratch dev server of its own (built from the same
``neo4j-server/`` project, on free ports, in a temporary folder). Fails, never skips.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from neo4j import GraphDatabase

from linkguard.config import Neo4jSettings as LinkguardNeo4jSettings
from linkguard.market import Market
from linkguard.neo4j import devserver
from linkguard.neo4j.bulk_load import bulk_load_dev_server
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.loader import load_market
from linkguard.neo4j.writeback import write_findings
from linkguard.pipeline.snapshot import Snapshot

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Scratch:
    home: Path
    settings: LinkguardNeo4jSettings


@pytest.fixture(scope="module")
def scratch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    """A dev server of its own for the bulk load, stopped after the module."""
    home = tmp_path_factory.mktemp("bulk-server")
    info = devserver.start(
        home, bolt_port=_free_port(), http_port=_free_port(), heap="768m", pagecache="128m"
    )
    assert info.ready, info
    assert info.bolt_uri, info
    try:
        settings = LinkguardNeo4jSettings(NEO4J_URI=info.bolt_uri)  # type: ignore[call-arg]
        yield Scratch(home, settings)
    finally:
        devserver.stop(home)


@pytest.fixture(scope="module")
def sample_findings(sample_market: Market, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    from linkguard.pipeline.analysis import analyze_market
    from linkguard.pipeline.snapshot import read_snapshot, write_snapshot
    from linkguard.rules.ruleset import load_ruleset

    out = tmp_path_factory.mktemp("bulk") / "snapshot"
    write_snapshot(analyze_market(sample_market, load_ruleset(None)), out)
    return read_snapshot(out)


def test_bulk_import_equals_the_batched_load(
    graph: GraphRunner,
    state: Callable[[], dict[str, Any]],
    sample_market: Market,
    sample_findings: Snapshot,
    scratch_server: Scratch,
) -> None:
    load_market(sample_market, runner=graph, replace=True)
    write_findings(sample_findings, runner=graph)
    merged = state()
    assert merged["counts"]["BOUGHT_FROM"] > 0

    steps: list[str] = []
    report = bulk_load_dev_server(
        sample_market,
        scratch_server.home,
        snapshot=sample_findings,
        settings=scratch_server.settings,
        progress=steps.append,
    )
    from conftest_graph import graph_state  # the plugin module, already loaded (and rewritten)

    with GraphDatabase.driver(scratch_server.settings.uri, auth=None) as driver:
        bulk = graph_state(driver, "neo4j")
        records, _, _ = driver.execute_query(
            "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names", database_="neo4j"
        )
    assert bulk == merged
    # the server imported in its own JVM: no stop and start of a new JVM around the import
    assert steps == ["files", "import", "schema", "findings"]
    assert report.step_seconds["server_import"] > 0
    ids = sample_market.identifiers
    assert report.counts["Account"] == sample_market.n_accounts
    assert report.counts["USES"] == len(ids[["account", "kind", "value_hash"]].drop_duplicates())
    assert (
        report.relationships
        == bulk["counts"]["USES"] + bulk["counts"]["BOUGHT_FROM"] + bulk["counts"]["APPLIED_FOR"]
    )
    # constraints exist after the import, created by the schema step
    assert {"linkguard_account_id", "linkguard_identifier_key", "linkguard_loan_id"} <= set(
        records[0]["names"]
    )

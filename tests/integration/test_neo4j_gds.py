"""Graph Data Science on the dev server: the guide's WCC, Louvain and node-similarity queries.

Runs the named ``gds_*`` queries on the loaded sample with its findings written back, with
numbers passed as floats the way Neo4j Browser's ``:params`` passes them. Fails, never skips,
when the server (or its GDS plugin) is missing.
"""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import Driver

from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.loader import load_market
from linkguard.neo4j.queries import bind_params, load_query
from linkguard.neo4j.writeback import write_findings
from linkguard.pipeline.snapshot import Snapshot

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]


@pytest.fixture(scope="module")
def loaded(
    graph: GraphRunner, sample_market: Market, tmp_path_factory: pytest.TempPathFactory
) -> Snapshot:
    from linkguard.pipeline.analysis import analyze_market
    from linkguard.pipeline.snapshot import read_snapshot, write_snapshot
    from linkguard.rules.ruleset import load_ruleset

    out = tmp_path_factory.mktemp("gds") / "snapshot"
    write_snapshot(analyze_market(sample_market, load_ruleset(None)), out)
    snap = read_snapshot(out)
    load_market(sample_market, runner=graph, replace=True)
    write_findings(snap, runner=graph)
    return snap


def _run(driver: Driver, database: str, name: str, **given: Any) -> list[dict[str, Any]]:
    # Browser's :params turns every number into a float: the queries must take them as such.
    floats = {k: float(v) if isinstance(v, int) else v for k, v in given.items()}
    params = {
        k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in bind_params(name, floats).items()
    }
    records, _, _ = driver.execute_query(load_query(name), params, database_=database)
    return [r.data() for r in records]


def test_gds_is_installed(neo4j_driver: Driver, neo4j_database: str) -> None:
    records, _, _ = neo4j_driver.execute_query(
        "RETURN gds.version() AS v", database_=neo4j_database
    )
    assert str(records[0]["v"]).startswith("2.13")


def test_wcc_lumps_what_hub_weighting_keeps_apart(
    neo4j_driver: Driver, neo4j_database: str, loaded: Snapshot
) -> None:
    components = _run(neo4j_driver, neo4j_database, "gds_wcc", limit=5)
    assert 0 < len(components) <= 5
    sizes = [c["accounts"] for c in components]
    assert sizes == sorted(sizes, reverse=True)
    largest_cluster = int(loaded.clusters["size"].max())
    # a hub value glues more accounts into one component than any linkguard cluster holds,
    # and most of them are in no linkguard cluster at all
    top = components[0]
    assert top["accounts"] > largest_cluster
    assert top["in_linkguard_clusters"] < top["accounts"]
    communities = _run(neo4j_driver, neo4j_database, "gds_louvain", limit=5)
    assert 0 < len(communities) <= 5
    assert all(c["accounts"] <= top["accounts"] for c in communities)


def test_node_similarity_pairs_and_their_clusters(
    neo4j_driver: Driver, neo4j_database: str, loaded: Snapshot
) -> None:
    pairs = _run(neo4j_driver, neo4j_database, "gds_node_similarity", cutoff=0.2, limit=25)
    assert pairs, "the sample has accounts sharing a good part of their identifiers"
    assert all(0.2 <= p["jaccard"] <= 1.0 for p in pairs)
    assert all(p["account"] < p["similar_account"] for p in pairs)
    # the sample's planted owners share devices and phones: some pairs are linkguard clusters
    assert any(p["same_linkguard_cluster"] for p in pairs)


def test_hub_picture_draws_the_busiest_identifier(
    neo4j_driver: Driver, neo4j_database: str, loaded: Snapshot
) -> None:
    rows = _run(neo4j_driver, neo4j_database, "gds_hub_picture", limit=20)
    assert 1 < len(rows) <= 20
    hubs = {tuple(sorted(r["p"][0].items())) for r in rows}
    assert len(hubs) == 1

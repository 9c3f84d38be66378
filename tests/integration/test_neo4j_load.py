"""Loading a market into a real Neo4j: counts, idempotence, resuming, hostile ids.

Runs against NEO4J_URI (default: the dev server, ``linkguard neo4j dev-server start``) and
fails when it is unreachable. The database is emptied at the start of the module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from neo4j import Driver

from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.engine import read_market
from linkguard.neo4j.loader import load_market

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]

HOSTILE_IDS = [
    "x'}) DETACH DELETE n //",
    'y"}) MATCH (m) DETACH DELETE m RETURN 1 //',
    "`backtick` MATCH (n) DELETE n",
    "{brace}; DROP CONSTRAINT linkguard_account_id;",
    "new\nline\r\n",
    "CREATE (x:Pwned) RETURN x",
    "back\\slash \\' \\\"",
    "$rows",
    "MERGE",
    "ünïcødé 账户 🚩",
]


def _count(driver: Driver, database: str, query: str) -> int:
    records, _, _ = driver.execute_query(query, database_=database)
    return int(records[0][0])


def test_counts_match_the_input(
    graph: GraphRunner, neo4j_driver: Driver, neo4j_database: str, sample_market: Market
) -> None:
    m = sample_market
    report = load_market(m, runner=graph, replace=True)
    ids = m.identifiers
    expected = {
        "MATCH (a:Account) RETURN count(a)": m.n_accounts,
        "MATCH (i:Identifier) RETURN count(i)": len(ids[["kind", "value_hash"]].drop_duplicates()),
        "MATCH ()-[u:USES]->() RETURN count(u)": len(
            ids[["account", "kind", "value_hash"]].drop_duplicates()
        ),
        "MATCH ()-[r:BOUGHT_FROM]->() RETURN count(r)": len(
            m.orders[["buyer", "seller"]].drop_duplicates()
        ),
        "MATCH ()-[r:BOUGHT_FROM]->() RETURN sum(r.orders)": len(m.orders),
        "MATCH ()-[r:BOUGHT_FROM]->() RETURN sum(size(r.order_ids))": len(m.orders),
        "MATCH (l:Loan) RETURN count(l)": len(m.loans),
        "MATCH (:Account)-[r:APPLIED_FOR]->(:Loan) RETURN count(r)": len(m.loans),
    }
    for query, value in expected.items():
        assert _count(neo4j_driver, neo4j_database, query) == value, query
    assert report.accounts == m.n_accounts
    assert report.orders == len(m.orders)
    assert report.counters["nodes_created"] == (m.n_accounts + report.identifiers + report.loans)
    assert report.counters["relationships_created"] == report.relationships
    # the GMV the graph holds is the input's, to the cent
    gmv = _count(
        neo4j_driver,
        neo4j_database,
        "MATCH ()-[r:BOUGHT_FROM]->() RETURN round(sum(r.amount) * 100)",
    )
    assert gmv == round(float(m.orders["amount"].sum()) * 100)


State = Callable[[], dict[str, Any]]


def test_loading_twice_changes_nothing(
    graph: GraphRunner, state: State, sample_market: Market
) -> None:
    load_market(sample_market, runner=graph, replace=True)
    first = state()
    again = load_market(sample_market, runner=graph)
    second = state()
    assert again.counters["nodes_created"] == 0
    assert again.counters["relationships_created"] == 0
    assert second == first


def test_interrupted_load_then_rerun_gives_the_clean_graph(
    graph: GraphRunner, state: State, wipe: Callable[[], None], sample_market: Market
) -> None:
    batch_size = 1000
    load_market(sample_market, runner=graph, replace=True, batch_size=batch_size)
    clean = state()
    wipe()

    class Killed(Exception):
        pass

    batches: list[str] = []

    def kill_halfway(stage: str, done: int, total: int) -> None:
        if stage in ("delete", "schema"):
            return
        batches.append(stage)
        if len(batches) == 12:  # of about 25 batches: inside the identifiers stage
            raise Killed

    with pytest.raises(Killed):
        load_market(sample_market, runner=graph, batch_size=batch_size, progress=kill_halfway)
    partial = state()
    assert partial["counts"].get("BOUGHT_FROM", 0) == 0
    assert 0 < partial["counts"].get("USES", 0) < clean["counts"]["USES"]

    load_market(sample_market, runner=graph, batch_size=batch_size)
    assert state() == clean


def _hostile_market() -> Market:
    ids = HOSTILE_IDS
    n = 60
    rng = np.random.default_rng(11)
    buyer = rng.integers(0, len(ids), n)
    seller = (buyer + 1 + rng.integers(0, len(ids) - 1, n)) % len(ids)
    orders = pd.DataFrame(
        {
            "order_id": [f"{ids[i % len(ids)]}#{i}" for i in range(n)],
            "buyer_id": [ids[b] for b in buyer],
            "seller_id": [ids[s] for s in seller],
            "amount": np.round(rng.uniform(1, 500, n), 2),
            "created_at": pd.date_range("2026-01-01T00:00:00.123456Z", periods=n, freq="53min"),
            "status": ["confirmed", "refunded", ""] * (n // 3),
            "rating": [5.0, np.nan, 4.0] * (n // 3),
            "confirmed_at": [pd.Timestamp("2026-03-01", tz="UTC"), pd.NaT, pd.NaT] * (n // 3),
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "created_at": ["1969-12-31T23:59:59.5Z", *["2020-05-05T05:05:05Z"] * (len(ids) - 1)],
            "kind": ["both"] * len(ids),
            "region": ["x'}) //"] * len(ids),
            "status": ["active"] * (len(ids) - 1) + ["blacklisted"],
        }
    )
    identifiers = pd.DataFrame(
        {
            "account_id": [ids[0], ids[1], ids[2], ids[0], ids[1], ids[3]],
            "kind": ["device", "device", "device", "card", "card", "phone"],
            "value_hash": ["d'}) DETACH DELETE n //"] * 3 + ["c`;{}"] * 2 + ["p\n"],
        }
    )
    loans = pd.DataFrame(
        {
            "loan_id": [f"L{ids[0]}", f"L{ids[4]}"],
            "account_id": [ids[0], ids[4]],
            "applied_at": ["2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"],
            "amount": [100.0, 250.5],
            "product": ["credit", ""],
            "decision": ["approved", ""],
            "first_overdue": [1.0, np.nan],
            "defaulted": [0.0, np.nan],
        }
    )
    return Market.from_frames(orders, accounts, identifiers, loans)


def test_hostile_ids_round_trip_unchanged(
    graph: GraphRunner, wipe: Callable[[], None], neo4j_driver: Driver, neo4j_database: str
) -> None:
    market = _hostile_market()
    wipe()
    load_market(market, runner=graph, batch_size=7)
    back = read_market(runner=graph)

    assert back.account_ids.tolist() == market.account_ids.tolist()
    for name, columns in (
        ("orders", None),
        ("identifiers", ["account", "kind", "value_hash"]),
        ("loans", None),
        ("accounts", None),
    ):
        want, got = getattr(market, name), getattr(back, name)
        cols = columns or list(want.columns)
        pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    # nothing an id tried to run ran: all nodes are there, no stray label, schema intact
    assert _count(neo4j_driver, neo4j_database, "MATCH (a:Account) RETURN count(a)") == len(
        HOSTILE_IDS
    )
    pwned = "MATCH (x) WHERE 'Pwned' IN labels(x) RETURN count(x)"
    assert _count(neo4j_driver, neo4j_database, pwned) == 0
    constraints, _, _ = neo4j_driver.execute_query(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties RETURN labelsOrTypes, properties",
        database_=neo4j_database,
    )
    assert ("Account", "id") in {(r[0][0], r[1][0]) for r in constraints}
    # a named query finds a hostile id by parameter
    rows = graph.run_named("account_identifiers", {"account_id": HOSTILE_IDS[0], "limit": 10})
    shared = {r["kind"]: r["accounts"] for r in rows.records}
    assert shared == {"device": sorted(HOSTILE_IDS[1:3]), "card": [HOSTILE_IDS[1]]}


def test_hostile_findings_write_back(graph: GraphRunner, wipe: Callable[[], None]) -> None:
    from linkguard.neo4j.writeback import write_findings
    from linkguard.pipeline.analysis import analyze_market
    from linkguard.rules.ruleset import load_ruleset

    market = _hostile_market()
    wipe()
    load_market(market, runner=graph)
    snapshot = analyze_market(market, load_ruleset(None))
    assert len(snapshot.clusters), "the shared device and card link accounts"
    report = write_findings(snapshot, runner=graph)
    assert report.missing_accounts == 0
    for cluster_id, part in snapshot.clusters.groupby("cluster_id"):
        rows = graph.run_named("cluster_members", {"cluster_id": cluster_id}).records
        assert [r["account_id"] for r in rows] == sorted(part["account_id"])
    flagged: Any = graph.run_named("flagged_accounts", {"level": None, "limit": 100}).records
    assert {r["account_id"] for r in flagged} == set(
        snapshot.accounts.loc[snapshot.accounts["risk_level"] != "none", "account_id"]
    )

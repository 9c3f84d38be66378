"""Fixtures for tests of linkguard's graph in a real Neo4j (loaded by ``pytest_plugins``).

Builds on the connection fixtures of ``conftest.py`` (``neo4j_driver``, ``neo4j_database``),
which fail, never skip, when the server is unreachable.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "market"
#: Identifier values are hashed with this key in these tests (no DevPepperWarning).
PEPPER = b"linkguard-neo4j-tests"


def wipe_database(driver: Driver, database: str, batch: int = 10_000) -> None:
    """``MATCH (n) DETACH DELETE n`` in transactions of ``batch`` nodes."""
    while True:
        _, summary, _ = driver.execute_query(
            "MATCH (n) WITH n LIMIT $batch DETACH DELETE n", batch=batch, database_=database
        )
        if summary.counters.nodes_deleted == 0:
            return


@pytest.fixture(scope="module")
def clean_graph(neo4j_driver: Driver, neo4j_database: str) -> None:
    """An empty database at the start of the module that asks for it."""
    wipe_database(neo4j_driver, neo4j_database)


@pytest.fixture(scope="module")
def wipe(neo4j_driver: Driver, neo4j_database: str) -> Callable[[], None]:
    """Empties the database when called."""
    return lambda: wipe_database(neo4j_driver, neo4j_database)


@pytest.fixture(scope="module")
def state(neo4j_driver: Driver, neo4j_database: str) -> Callable[[], dict[str, Any]]:
    """:func:`graph_state` of the test database when called."""
    return lambda: graph_state(neo4j_driver, neo4j_database)


@pytest.fixture(scope="module")
def graph(neo4j_driver: Driver, neo4j_database: str) -> GraphRunner:
    """linkguard's runner on the test server (shares the session's driver)."""
    return GraphRunner(neo4j_driver, neo4j_database)


@pytest.fixture(scope="session")
def sample_market() -> Market:
    from linkguard.io import read_market

    return read_market(SAMPLE, pepper=PEPPER)


def _plain(value: Any) -> Any:
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _key(var: str) -> str:
    """Cypher naming a node by its key: ``id``, or ``kind:hash`` for an identifier."""
    return f"CASE WHEN {var}:Identifier THEN {var}.kind + ':' + {var}.hash ELSE {var}.id END"


def graph_state(driver: Driver, database: str) -> dict[str, Any]:
    """Node and relationship counts per label set and type, and a checksum of every property.

    Nodes are named by their key (``id``, or ``kind:hash`` for identifiers) and relationships
    by type and end-point keys, so the checksum does not depend on internal ids or order.
    """
    nodes, _, _ = driver.execute_query(
        f"MATCH (n) RETURN labels(n) AS labels, {_key('n')} AS key, properties(n) AS props",
        database_=database,
    )
    rels, _, _ = driver.execute_query(
        f"MATCH (a)-[r]->(b) RETURN type(r) AS type, {_key('a')} AS start, {_key('b')} AS end, "
        "properties(r) AS props",
        database_=database,
    )
    counts: dict[str, int] = {}
    node_rows = []
    for rec in nodes:
        label = ":".join(sorted(rec["labels"]))
        counts[label] = counts.get(label, 0) + 1
        node_rows.append([label, rec["key"], {k: _plain(v) for k, v in rec["props"].items()}])
    rel_rows = []
    for rec in rels:
        counts[rec["type"]] = counts.get(rec["type"], 0) + 1
        rel_rows.append(
            [rec["type"], rec["start"], rec["end"], {k: _plain(v) for k, v in rec["props"].items()}]
        )

    def digest(rows: list[Any]) -> str:
        text = "\n".join(sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows))
        return hashlib.sha256(text.encode()).hexdigest()

    return {"counts": counts, "nodes": digest(node_rows), "relationships": digest(rel_rows)}

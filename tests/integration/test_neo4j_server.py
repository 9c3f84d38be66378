"""The Neo4j server used in development and CI answers over Bolt and HTTP.

Runs against NEO4J_URI / NEO4J_HTTP_URL (defaults: the local dev server on ports 7687 and
7474). Fails, never skips, when the server is unreachable.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import TYPE_CHECKING

import pytest
from neo4j import Driver

if TYPE_CHECKING:
    from conftest import Neo4jSettings  # tests/integration/conftest.py

pytestmark = pytest.mark.neo4j


def _http_get(url: str, hint: str, accept: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET; fails the test when nothing answers."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status, response.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), ""
    except (urllib.error.URLError, OSError) as exc:
        problem = f"nothing answers at {url} ({exc}); {hint}"
    pytest.fail(problem, pytrace=False)  # outside except: no exception chain in the report


def test_return_1(neo4j_driver: Driver, neo4j_database: str) -> None:
    records, _, _ = neo4j_driver.execute_query("RETURN 1 AS one", database_=neo4j_database)
    assert [r["one"] for r in records] == [1]


def test_create_and_delete_node(neo4j_driver: Driver, neo4j_database: str) -> None:
    marker = f"linkguard-test-{uuid.uuid4()}"
    records, summary, _ = neo4j_driver.execute_query(
        "CREATE (n:LinkguardServerTest {marker: $marker}) RETURN n.marker AS marker",
        marker=marker,
        database_=neo4j_database,
    )
    assert records[0]["marker"] == marker
    assert summary.counters.nodes_created == 1
    try:
        count, _, _ = neo4j_driver.execute_query(
            "MATCH (n:LinkguardServerTest {marker: $marker}) RETURN count(n) AS c",
            marker=marker,
            database_=neo4j_database,
        )
        assert count[0]["c"] == 1
    finally:
        _, summary, _ = neo4j_driver.execute_query(
            "MATCH (n:LinkguardServerTest {marker: $marker}) DELETE n",
            marker=marker,
            database_=neo4j_database,
        )
    assert summary.counters.nodes_deleted == 1
    count, _, _ = neo4j_driver.execute_query(
        "MATCH (n:LinkguardServerTest {marker: $marker}) RETURN count(n) AS c",
        marker=marker,
        database_=neo4j_database,
    )
    assert count[0]["c"] == 0


def test_server_version_is_5_26(neo4j_driver: Driver, neo4j_database: str) -> None:
    records, _, _ = neo4j_driver.execute_query(
        "CALL dbms.components() YIELD name, versions RETURN name, versions",
        database_=neo4j_database,
    )
    kernel = {r["name"]: r["versions"] for r in records}
    assert "Neo4j Kernel" in kernel, kernel
    assert kernel["Neo4j Kernel"][0].startswith("5.26"), kernel
    assert neo4j_driver.get_server_info().agent.startswith("Neo4j/5.26")


def test_browser_page_answers(neo4j_settings: Neo4jSettings) -> None:
    status, content_type, body = _http_get(
        neo4j_settings.browser_url, neo4j_settings.start_hint, "text/html"
    )
    assert status == 200, f"GET {neo4j_settings.browser_url} answered {status}"
    assert content_type.startswith("text/html"), content_type
    assert "<html" in body.lower()
    assert "Neo4j Browser" in body


def test_http_discovery_advertises_bolt(neo4j_settings: Neo4jSettings) -> None:
    # Neo4j Browser reads this document to find the Bolt address it connects to. (A client that
    # asks for HTML is redirected to the Browser instead.)
    status, _, body = _http_get(
        neo4j_settings.http_url + "/", neo4j_settings.start_hint, "application/json"
    )
    assert status == 200
    discovery = json.loads(body)
    assert discovery["neo4j_version"].startswith("5.26"), discovery
    assert discovery["bolt_direct"].startswith("bolt://"), discovery

"""Connection fixtures for tests that need a real Neo4j server.

The server is the local dev server (``linkguard neo4j dev-server start``) unless these
environment variables point elsewhere:

    NEO4J_URI        bolt://localhost:7687
    NEO4J_USER       neo4j        (NEO4J_USERNAME is accepted too)
    NEO4J_PASSWORD   empty: no authentication, as the dev server runs by default
    NEO4J_DATABASE   neo4j
    NEO4J_HTTP_URL   http://localhost:7474   (HTTP API and Neo4j Browser)

An unreachable server fails the tests that use these fixtures: it never skips them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

START_HINT = (
    "start the dev server with `linkguard neo4j dev-server start`, "
    "or point NEO4J_URI (and NEO4J_HTTP_URL) at a running Neo4j 5.26"
)


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str
    user: str
    password: str | None
    database: str
    http_url: str

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.user, self.password) if self.password else None

    @property
    def browser_url(self) -> str:
        return f"{self.http_url}/browser/"

    @property
    def start_hint(self) -> str:
        return START_HINT


@pytest.fixture(scope="session")
def neo4j_settings() -> Neo4jSettings:
    env = os.environ
    return Neo4jSettings(
        uri=env.get("NEO4J_URI") or "bolt://localhost:7687",
        user=env.get("NEO4J_USER") or env.get("NEO4J_USERNAME") or "neo4j",
        password=env.get("NEO4J_PASSWORD") or None,
        database=env.get("NEO4J_DATABASE") or "neo4j",
        http_url=(env.get("NEO4J_HTTP_URL") or "http://localhost:7474").rstrip("/"),
    )


@pytest.fixture(scope="session")
def neo4j_database(neo4j_settings: Neo4jSettings) -> str:
    return neo4j_settings.database


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_settings: Neo4jSettings) -> Iterator[Driver]:
    """A driver connected to NEO4J_URI, checked once per session; fails if unreachable."""
    driver = GraphDatabase.driver(
        neo4j_settings.uri, auth=neo4j_settings.auth, connection_timeout=10.0
    )
    # pytest.fail is called outside the except blocks so that the report shows the message,
    # not a chain of driver exceptions.
    problem: str | None = None
    try:
        driver.verify_connectivity()
    except AuthError as exc:
        problem = (
            f"Neo4j at {neo4j_settings.uri} refused the credentials of user "
            f"{neo4j_settings.user!r} (set NEO4J_USER/NEO4J_PASSWORD): {exc}"
        )
    except (DriverError, Neo4jError, OSError) as exc:
        problem = f"Neo4j is not reachable at {neo4j_settings.uri} ({exc}); {START_HINT}"
    if problem is not None:
        driver.close()
        pytest.fail(problem, pytrace=False)
    try:
        yield driver
    finally:
        driver.close()

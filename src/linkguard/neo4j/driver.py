"""Connecting to Neo4j and running statements in managed transactions.

:class:`GraphRunner` is the one door between linkguard and the Neo4j driver: the loader, the
write-back, the engine and the command line run every statement through it. Writes go through
``session.execute_write`` and reads through ``session.execute_read``: these *managed*
transactions retry transient failures (deadlocks, leader switches, a dropped connection) with
exponential backoff and jitter for up to ``max_retry_seconds``. Retrying is safe because every
linkguard statement is idempotent (``MERGE`` on keys, then ``SET``).

Driver errors come out as linkguard errors that say what to do: :class:`Neo4jUnavailable`
names ``NEO4J_URI`` (exit code 1), :class:`Neo4jQueryError` names the statement.

Examples
--------
>>> from linkguard.neo4j.driver import connect            # doctest: +SKIP
>>> with connect() as graph:                              # NEO4J_URI, NEO4J_USER, ...
...     graph.read("RETURN 1 AS one").records             # doctest: +SKIP
[{'one': 1}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

import pandas as pd
from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from linkguard import __version__
from linkguard.config import Neo4jSettings
from linkguard.errors import LinkguardError
from linkguard.redact import redact, redact_uri

__all__ = [
    "COUNTER_NAMES",
    "GraphRunner",
    "Neo4jQueryError",
    "Neo4jUnavailable",
    "QueryResult",
    "connect",
    "unreachable_message",
]

#: Update counters reported for every write (``neo4j.SummaryCounters`` attribute names).
COUNTER_NAMES = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "labels_removed",
)
START_HINT = (
    "start the dev server with `linkguard neo4j dev-server start`, or point NEO4J_URI "
    "(and NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE) at a running Neo4j 5"
)


class Neo4jUnavailable(LinkguardError):
    """The server cannot be reached or refuses the credentials (exit code 1)."""


class Neo4jQueryError(LinkguardError):
    """The server rejected or failed a statement (exit code 1)."""


class _DriverLike(Protocol):
    """What :class:`GraphRunner` needs of a driver; unit tests pass a recording fake."""

    def session(self, **config: Any) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class QueryResult:
    """Rows (as dicts, in order) and the update counters of one statement."""

    keys: list[str]
    rows: list[list[Any]]
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with one column per returned key."""
        return pd.DataFrame(self.rows, columns=self.keys)

    def scalar(self, key: str | None = None, default: Any = None) -> Any:
        """The first row's value of ``key`` (default: the first column), or ``default``."""
        if not self.rows:
            return default
        return self.rows[0][0 if key is None else self.keys.index(key)]


def _work(tx: ManagedTransaction, query: str, parameters: Mapping[str, Any]) -> QueryResult:
    # linkguard's statements come from its own .cypher files and every value travels in
    # ``parameters``: nothing is ever built into the query text.
    result = tx.run(query, dict(parameters))
    keys = list(result.keys())
    rows = [list(values) for values in result.values()]
    counters = result.consume().counters
    counts = {name: int(getattr(counters, name, 0)) for name in COUNTER_NAMES}
    return QueryResult(keys, rows, counts)


def unreachable_message(uri: str, exc: BaseException) -> str:
    """The message of :class:`Neo4jUnavailable` for a server at ``uri`` that failed with ``exc``.

    Credentials in the URI (``user:password@``) are left out, here and in every message.
    """
    return redact(f"Neo4j is not reachable at {uri} (NEO4J_URI): {exc}; {START_HINT}", uris=[uri])


class GraphRunner:
    """Runs statements on one database in managed transactions.

    Parameters
    ----------
    driver
        A ``neo4j.Driver`` (or a test double with the same ``session()``).
    database
        The database to use; ``None`` for the server's default.
    uri
        Where the driver points, for error messages (credentials in it are never shown).
    owns_driver
        Close the driver when the runner is closed.
    """

    def __init__(
        self,
        driver: Driver | _DriverLike,
        database: str | None = None,
        *,
        uri: str = "NEO4J_URI",
        owns_driver: bool = False,
    ) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self._owns_driver = owns_driver

    def __enter__(self) -> GraphRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_driver:
            self.driver.close()

    def write(
        self, query: str, parameters: Mapping[str, Any] | None = None, *, name: str = "statement"
    ) -> QueryResult:
        """Run ``query`` in a write transaction (retried on transient errors)."""
        return self._run("execute_write", query, parameters or {}, name)

    def read(
        self, query: str, parameters: Mapping[str, Any] | None = None, *, name: str = "statement"
    ) -> QueryResult:
        """Run ``query`` in a read transaction (retried on transient errors)."""
        return self._run("execute_read", query, parameters or {}, name)

    def run_named(
        self, name: str, parameters: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> QueryResult:
        """Run the named query ``cypher/NAME.cypher`` (see :mod:`linkguard.neo4j.queries`)."""
        from linkguard.neo4j.queries import load_query

        query = load_query(name)
        if write:
            return self.write(query, parameters, name=name)
        return self.read(query, parameters, name=name)

    def _run(
        self, method: str, query: str, parameters: Mapping[str, Any], name: str
    ) -> QueryResult:
        try:
            with self.driver.session(database=self.database) as session:
                result: QueryResult = getattr(session, method)(_work, query, parameters)
                return result
        except AuthError as exc:
            raise Neo4jUnavailable(_auth_message(self.uri, exc)) from exc
        except (ServiceUnavailable, SessionExpired) as exc:
            raise Neo4jUnavailable(unreachable_message(self.uri, exc)) from exc
        except ClientError as exc:
            raise Neo4jQueryError(
                redact(f"Neo4j rejected {name}: {exc.code}: {exc.message}")
            ) from exc
        except (Neo4jError, DriverError) as exc:
            raise Neo4jQueryError(redact(f"Neo4j failed {name}: {exc}")) from exc


def _auth_message(uri: str, exc: BaseException) -> str:
    return redact(
        f"Neo4j at {uri} (NEO4J_URI) refused the credentials: {exc}; "
        "set NEO4J_USER and NEO4J_PASSWORD",
        uris=[uri],
    )


def connect(
    settings: Neo4jSettings | None = None,
    *,
    max_retry_seconds: float = 60.0,
    connection_timeout: float = 10.0,
) -> GraphRunner:
    """Open a driver from ``settings`` (default: the ``NEO4J_*`` environment) and check it.

    Parameters
    ----------
    settings
        ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` (empty: no authentication, as the
        dev server runs) and ``NEO4J_DATABASE``.
    max_retry_seconds
        How long a managed transaction keeps retrying transient failures.
    connection_timeout
        Seconds to wait for a connection.

    Returns
    -------
    GraphRunner
        Owns the driver: close it (or use it as a context manager) when done.

    Raises
    ------
    Neo4jUnavailable
        When nothing answers at ``NEO4J_URI`` or the server refuses the credentials.
    """
    # Fields fill from the environment (NEO4J_URI, ...); mypy sees only their aliases.
    settings = settings or Neo4jSettings()  # type: ignore[call-arg]
    password = settings.password.get_secret_value()
    auth = (settings.user, password) if password else None
    try:
        driver = GraphDatabase.driver(
            settings.uri,
            auth=auth,
            connection_timeout=connection_timeout,
            max_transaction_retry_time=max_retry_seconds,
            user_agent=f"linkguard/{__version__}",
        )
    except (ValueError, DriverError) as exc:  # a malformed URI
        message = f"NEO4J_URI={settings.uri!r} is not a Neo4j URI: {exc}"
        raise Neo4jUnavailable(
            redact(message, uris=[settings.uri], secrets=[password])
        ) from None  # the driver's own error quotes the URI whole
    try:
        driver.verify_connectivity()
    except AuthError as exc:
        driver.close()
        raise Neo4jUnavailable(_auth_message(settings.uri, exc)) from exc
    except (DriverError, Neo4jError, OSError) as exc:
        driver.close()
        raise Neo4jUnavailable(unreachable_message(settings.uri, exc)) from exc
    return GraphRunner(driver, settings.database, uri=redact_uri(settings.uri), owns_driver=True)

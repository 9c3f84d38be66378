"""A local Neo4j 5.26 server for development, tests and CI, built from Maven Central.

The server is the small Maven project in the repository's ``neo4j-server/`` folder (Neo4j
Community 5.26 through ``neo4j-harness``, Neo4j Browser and APOC core). This package builds it
on first use, runs it as a detached Java process and stops it again::

    from linkguard.neo4j import devserver

    info = devserver.start(".neo4j")          # builds if needed, waits until Bolt answers
    print(info.bolt_uri, info.browser_uri)    # bolt://localhost:7687 http://localhost:7474/browser/
    devserver.stop(".neo4j")

From a shell: ``linkguard neo4j dev-server build|start|status|stop`` (:mod:`linkguard.cli.
neo4j_devserver`). Modules: :mod:`.config` (defaults, files, addresses, the JVM's command line
and environment), :mod:`.maven` (the Maven build, Java), :mod:`.process` (start, stop, status),
:mod:`.pids` (the JVM as a process), :mod:`.files` (state files, locks), :mod:`.model` (errors,
results).

Everything the server writes lives under the data directory (default ``./.neo4j``)::

    data/                     databases
    import/                   the only folder LOAD CSV and the bulk importer read from
    logs/neo4j.log            Neo4j's user log (debug.log, query.log, http.log beside it)
    logs/devserver.out        the JVM's stdout/stderr
    run/devserver.json        ready file written by the server once Bolt and HTTP are up
    devserver.pid             pid of the JVM, written at launch
    devserver.launch.json     how it was launched (ports, command), written at launch
    conf/neo4j.conf           optional extra Neo4j settings, read if present

The directory and what the server writes there are readable by their owner only.

Environment variables: ``LINKGUARD_NEO4J_SERVER_DIR`` (the Maven project, when this package is
not run from a checkout), ``LINKGUARD_NEO4J_HEAP`` (JVM max heap, default ``2g``),
``LINKGUARD_NEO4J_PAGECACHE`` (default ``512m``), ``LINKGUARD_NEO4J_JAVA_OPTS`` (extra JVM
options), ``JAVA_HOME``; the command line also reads ``LINKGUARD_NEO4J_DATA_DIR``,
``LINKGUARD_NEO4J_BOLT_PORT``, ``LINKGUARD_NEO4J_HTTP_PORT``, ``LINKGUARD_NEO4J_HOST`` and
``LINKGUARD_NEO4J_PASSWORD`` (or ``--password-file FILE``, mode 600: a password is never taken
on the command line). Progress goes through :mod:`logging`.
"""

from __future__ import annotations

from linkguard.neo4j.devserver.config import (
    DEFAULT_BOLT_PORT,
    DEFAULT_DATA_DIR,
    DEFAULT_HEAP,
    DEFAULT_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_PAGECACHE,
    DEFAULT_START_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    JAR_NAME,
    is_loopback,
)
from linkguard.neo4j.devserver.maven import build, find_java, find_server_dir, is_up_to_date
from linkguard.neo4j.devserver.model import (
    BuildError,
    BuildResult,
    DevServerError,
    JavaNotFoundError,
    PortInUseError,
    ServerStatus,
    StartError,
    StopResult,
    format_status,
)
from linkguard.neo4j.devserver.process import start, status, stop

__all__ = [
    "DEFAULT_BOLT_PORT",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HEAP",
    "DEFAULT_HOST",
    "DEFAULT_HTTP_PORT",
    "DEFAULT_PAGECACHE",
    "DEFAULT_START_TIMEOUT",
    "DEFAULT_STOP_TIMEOUT",
    "JAR_NAME",
    "BuildError",
    "BuildResult",
    "DevServerError",
    "JavaNotFoundError",
    "PortInUseError",
    "ServerStatus",
    "StartError",
    "StopResult",
    "build",
    "find_java",
    "find_server_dir",
    "format_status",
    "is_loopback",
    "is_up_to_date",
    "start",
    "status",
    "stop",
]

"""How the dev server is configured: defaults, files under its data directory, addresses, JVM.

The Neo4j settings themselves (connectors, auth, ``server.directories.import`` under the data
directory, page cache) are set by the Java launcher from the arguments built here
(:func:`jvm_command`); ``conf/neo4j.conf`` in the data directory adds any others.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import shlex
import socket
import time
from pathlib import Path

from linkguard.neo4j.credentials import PASSWORD_ENV

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
    "MIN_JAVA_VERSION",
    "SERVER_DIR_ENV",
    "is_loopback",
    "jvm_command",
    "launch_env",
    "port_free",
    "resolve_data_dir",
    "wait_port_free",
]

DEFAULT_DATA_DIR = Path(".neo4j")
DEFAULT_BOLT_PORT = 7687
DEFAULT_HTTP_PORT = 7474
DEFAULT_HOST = "localhost"
#: Max JVM heap. Neo4j also uses off-heap memory: the page cache (DEFAULT_PAGECACHE) and Netty
#: buffers, so the process' RSS can exceed this figure.
DEFAULT_HEAP = "2g"
DEFAULT_PAGECACHE = "512m"
#: First start of a fresh machine includes the Maven build; this covers only the JVM start.
DEFAULT_START_TIMEOUT = 180.0
DEFAULT_STOP_TIMEOUT = 60.0
#: Neo4j 5.26 runs on Java 17 and 21.
MIN_JAVA_VERSION = 17

JAR_NAME = "linkguard-neo4j-devserver.jar"
SERVER_DIR_ENV = "LINKGUARD_NEO4J_SERVER_DIR"

# Files under the data directory.
PID_FILE = "devserver.pid"
LAUNCH_FILE = "devserver.launch.json"
READY_FILE = "run/devserver.json"  # written by the Java launcher (DevServer.READY_FILE)
OUT_LOG = "logs/devserver.out"
NEO4J_LOG = "logs/neo4j.log"
LOCK_FILE = "devserver.lock"
#: Maven's output, under the neo4j-server project.
BUILD_LOG = "target/maven-build.log"

# JVM options the neo4j launcher script also uses; the --add-opens it needs are in the jar's
# manifest so that a plain `java -jar` works too.
_JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
)


def resolve_data_dir(data_dir: str | os.PathLike[str]) -> Path:
    """The data directory as an absolute path (``~`` expanded)."""
    return Path(data_dir).expanduser().resolve()


def jvm_command(
    java: str,
    jar: Path,
    home: Path,
    *,
    host: str,
    bolt_port: int,
    http_port: int,
    heap: str | None = None,
    pagecache: str | None = None,
) -> list[str]:
    """The launcher's command line: JVM options, then the server's arguments.

    ``heap`` and ``pagecache`` default to ``LINKGUARD_NEO4J_HEAP`` / ``LINKGUARD_NEO4J_PAGECACHE``
    and then :data:`DEFAULT_HEAP` / :data:`DEFAULT_PAGECACHE`; ``LINKGUARD_NEO4J_JAVA_OPTS`` adds
    JVM options. No password is ever part of it (see :func:`launch_env`).

    >>> cmd = jvm_command("java", Path("s.jar"), Path("/d"), host="localhost", bolt_port=1,
    ...                   http_port=2, heap="1g", pagecache="64m")
    >>> cmd[:2], cmd[-4:]
    (['java', '-Xmx1g'], ['--http-port', '2', '--pagecache', '64m'])
    """
    return [
        java,
        f"-Xmx{heap or os.environ.get('LINKGUARD_NEO4J_HEAP', DEFAULT_HEAP)}",
        *_JVM_OPTIONS,
        *shlex.split(os.environ.get("LINKGUARD_NEO4J_JAVA_OPTS", "")),
        "-jar",
        str(jar),
        "--data-dir",
        str(home),
        "--host",
        host,
        "--bolt-port",
        str(bolt_port),
        "--http-port",
        str(http_port),
        "--pagecache",
        pagecache or os.environ.get("LINKGUARD_NEO4J_PAGECACHE", DEFAULT_PAGECACHE),
    ]


def launch_env(password: str | None) -> dict[str, str]:
    """The JVM's environment: this one without ``LINKGUARD_NEO4J_*``, plus the password.

    The launcher also reads LINKGUARD_NEO4J_* variables; the arguments of :func:`jvm_command`
    must be the only source of its settings, so none of those variables reach the JVM but the
    password: it goes by the environment (readable by its owner only), never on the command
    line (every user's ps, and Neo4j's debug.log, which records the JVM's command line).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGUARD_NEO4J_")}
    if password:
        env[PASSWORD_ENV] = password
    return env


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``).

    >>> [is_loopback(h) for h in ("localhost", "127.0.0.2", "[::1]", "0.0.0.0", "10.0.0.5")]
    [True, True, True, False, False]
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def port_free(host: str, port: int) -> bool:
    """True when a listener could bind ``host:port`` on every address ``host`` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return True  # the JVM will report the bad host itself
    for family, socktype, proto, _, address in infos:
        with socket.socket(family, socktype, proto) as sock:
            # Netty binds with SO_REUSEADDR too, so connections in TIME_WAIT do not count as busy.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return False
                # e.g. EADDRNOTAVAIL for ::1 without IPv6: irrelevant for this check
    return True


def wait_port_free(host: str, port: int, timeout: float) -> bool:
    """Wait until ``host:port`` is free; False when it is still taken after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not port_free(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True

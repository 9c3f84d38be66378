"""A local Neo4j 5.26 server for development, tests and CI, built from Maven Central.

The server is the small Maven project in the repository's ``neo4j-server/`` folder (Neo4j
Community 5.26 through ``neo4j-harness``, Neo4j Browser and APOC core). This module builds it on
first use, runs it as a detached Java process and stops it again::

    from linkguard.neo4j import devserver

    info = devserver.start(".neo4j")          # builds if needed, waits until Bolt answers
    print(info.bolt_uri, info.browser_uri)    # bolt://localhost:7687 http://localhost:7474/browser/
    devserver.stop(".neo4j")

or from a shell (also what ``linkguard neo4j dev-server`` and the CI scripts run)::

    python -m linkguard.neo4j.devserver start --data-dir .neo4j
    python -m linkguard.neo4j.devserver status --format json
    python -m linkguard.neo4j.devserver stop

Everything the server writes lives under the data directory (default ``./.neo4j``)::

    data/                     databases
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
``LINKGUARD_NEO4J_BOLT_PORT``, ``LINKGUARD_NEO4J_HTTP_PORT`` and ``LINKGUARD_NEO4J_PASSWORD``
(or ``--password-file FILE``, mode 600: a password is never taken on the command line).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import ipaddress
import json
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkguard.errors import InputError, LinkguardError
from linkguard.neo4j.credentials import (
    PASSWORD_ENV,
    PASSWORD_OPTION_REMOVED,
    make_private,
    open_private,
    resolve_password,
)

_log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BOLT_PORT",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HEAP",
    "DEFAULT_HTTP_PORT",
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
    "main",
    "start",
    "status",
    "stop",
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

_PID_FILE = "devserver.pid"
_LAUNCH_FILE = "devserver.launch.json"
_READY_FILE = "run/devserver.json"  # written by the Java launcher (DevServer.READY_FILE)
_OUT_LOG = "logs/devserver.out"
_NEO4J_LOG = "logs/neo4j.log"
_LOCK_FILE = "devserver.lock"
_BUILD_LOG = "target/maven-build.log"

# JVM options the neo4j launcher script also uses; the --add-opens it needs are in the jar's
# manifest so that a plain `java -jar` works too.
#: Servers launched by this Python process. Holding on to their Popen objects lets _is_alive()
#: reap them once they exit and keeps Popen from warning that a child is "still running" when the
#: object would otherwise be garbage-collected while the (detached) server keeps going.
_LAUNCHED: dict[int, subprocess.Popen[bytes]] = {}

_JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
)


# --------------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------------


class DevServerError(LinkguardError):
    """The dev server could not be built, started, stopped or inspected."""


class JavaNotFoundError(DevServerError):
    """No suitable ``java`` (or ``mvn`` for a build) was found."""


class PortInUseError(DevServerError):
    """A port the server needs is taken by another process."""


class BuildError(DevServerError):
    """The Maven build failed; :attr:`log_path` holds its output."""

    def __init__(self, message: str, log_path: Path) -> None:
        super().__init__(message)
        self.log_path = log_path


class StartError(DevServerError):
    """The server process exited or did not answer in time; :attr:`log_path` tells why."""

    def __init__(self, message: str, log_path: Path) -> None:
        super().__init__(message)
        self.log_path = log_path


@dataclass(frozen=True)
class BuildResult:
    """Outcome of :func:`build`."""

    jar: Path
    built: bool  #: False when the jar was already up to date
    seconds: float
    log_path: Path | None


@dataclass
class ServerStatus:
    """What is known about the dev server of one data directory."""

    data_dir: str
    running: bool  #: the JVM process is alive
    ready: bool  #: the server reported that Bolt and HTTP are up
    pid: int | None = None
    host: str = DEFAULT_HOST
    bolt_port: int | None = None
    http_port: int | None = None
    bolt_uri: str | None = None
    http_uri: str | None = None
    browser_uri: str | None = None
    neo4j_version: str | None = None
    auth_enabled: bool | None = None
    started_at: str | None = None
    rss_mb: float | None = None  #: resident memory of the JVM (Linux only)
    log_file: str | None = None  #: the JVM's stdout/stderr
    neo4j_log: str | None = None
    #: set by start(): "build_s" (Maven, 0 when up to date) and "start_s" (launch to Bolt ready)
    timings: dict[str, float] = field(default_factory=dict)
    already_running: bool = False  #: start() found a server running and left it alone

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StopResult:
    """Outcome of :func:`stop`."""

    data_dir: str
    was_running: bool
    pid: int | None
    seconds: float
    forced: bool  #: SIGKILL was needed after the timeout
    ports_free: bool  #: the Bolt and HTTP ports accept a new listener again

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


def find_server_dir() -> Path:
    """Locate the ``neo4j-server`` Maven project.

    ``$LINKGUARD_NEO4J_SERVER_DIR`` wins; otherwise the folder is searched next to the checkout
    this module belongs to (``src/linkguard/neo4j/`` → repository root), then in the current
    directory (for a non-editable install run from the repository, as CI does).
    """
    env = os.environ.get(SERVER_DIR_ENV)
    if env:
        path = Path(env).expanduser().resolve()
        if not (path / "pom.xml").is_file():
            raise DevServerError(f"{SERVER_DIR_ENV}={env} has no pom.xml")
        return path
    candidates = [p / "neo4j-server" for p in Path(__file__).resolve().parents]
    candidates.append(Path.cwd() / "neo4j-server")
    for candidate in candidates:
        if (candidate / "pom.xml").is_file():
            return candidate
    raise DevServerError(
        "cannot find the neo4j-server Maven project; run from the linkguard repository "
        f"or set {SERVER_DIR_ENV} to its neo4j-server folder"
    )


def _jar_path(server_dir: Path) -> Path:
    return server_dir / "target" / JAR_NAME


def _is_up_to_date(server_dir: Path) -> bool:
    """True when the jar, its libraries and plugins exist and are newer than every input."""
    jar = _jar_path(server_dir)
    lib = server_dir / "target" / "lib"
    plugins = server_dir / "target" / "plugins"
    if not (jar.is_file() and lib.is_dir() and plugins.is_dir() and any(lib.glob("neo4j-*.jar"))):
        return False
    inputs = [server_dir / "pom.xml", *(p for p in (server_dir / "src").rglob("*") if p.is_file())]
    newest_input = max(p.stat().st_mtime for p in inputs)
    return jar.stat().st_mtime >= newest_input


def build(
    force: bool = False, server_dir: Path | None = None, verbose: bool = False
) -> BuildResult:
    """Build the server jar with Maven unless it is up to date.

    The first build downloads Neo4j and its libraries (~170 MB) from Maven Central into
    ``~/.m2``. Maven's output goes to ``neo4j-server/target/maven-build.log`` (also echoed to
    stderr when ``verbose``); a failure raises :class:`BuildError` quoting its last lines.
    """
    server_dir = server_dir or find_server_dir()
    jar = _jar_path(server_dir)
    (server_dir / "target").mkdir(exist_ok=True)
    # Two concurrent starts (e.g. parallel test sessions) must not run two Maven builds at once.
    with _locked(server_dir / "target" / ".build.lock"):
        if not force and _is_up_to_date(server_dir):
            return BuildResult(jar=jar, built=False, seconds=0.0, log_path=None)
        mvn = shutil.which("mvn")
        if mvn is None:
            raise JavaNotFoundError(
                "Maven (mvn) is needed to build the Neo4j dev server but is not on PATH; "
                "install it (e.g. apt-get install maven)"
            )
        _find_java()  # fail early with a clear message rather than a Maven compiler error
        log_path = server_dir / _BUILD_LOG
        # -B: no prompts; -ntp: no download progress lines; no ANSI colour codes in the log.
        command = [mvn, "-B", "-ntp", "-Dstyle.color=never", "package"]
        started = time.monotonic()
        with log_path.open("w", encoding="utf-8") as log:
            log.write(f"$ {shlex.join(command)}   (in {server_dir})\n")
            log.flush()
            proc = subprocess.Popen(
                command,
                cwd=server_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                if verbose:
                    sys.stderr.write(line)
            code = proc.wait()
        seconds = time.monotonic() - started
        if code != 0 or not jar.is_file():
            tail = _tail(log_path, 15)
            raise BuildError(
                f"Maven build of the Neo4j dev server failed (exit code {code}); "
                f"full log: {log_path}\n{tail}",
                log_path,
            )
        # Maven keeps the jar's mtime when nothing changed; touch it so the freshness check holds.
        jar.touch()
        return BuildResult(jar=jar, built=True, seconds=seconds, log_path=log_path)


# --------------------------------------------------------------------------------------------
# Start / stop / status
# --------------------------------------------------------------------------------------------


def start(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    bolt_port: int = DEFAULT_BOLT_PORT,
    http_port: int = DEFAULT_HTTP_PORT,
    wait: bool = True,
    timeout: float = DEFAULT_START_TIMEOUT,
    *,
    password: str | None = None,
    host: str = DEFAULT_HOST,
    heap: str | None = None,
    pagecache: str | None = None,
    server_dir: Path | None = None,
) -> ServerStatus:
    """Start the dev server for ``data_dir`` (building it first if needed).

    Returns once Bolt answers (``wait=True``), or right after launching. If a server of this
    data directory is already running it is left alone and its status is returned with
    ``already_running=True``. ``password`` enables authentication for user ``neo4j``; without it
    authentication is disabled. The password reaches the JVM through its environment, never its
    command line. The process is detached (own session, no terminal, output in
    ``logs/devserver.out``) and keeps running after the caller exits; the data directory and
    everything the server writes are readable by their owner only.
    """
    home = _resolve_data_dir(data_dir)
    if bolt_port == http_port:
        raise DevServerError("the Bolt and HTTP ports must differ")
    if not password and not is_loopback(host):
        raise DevServerError(
            f"refusing to listen on {host} without authentication: anyone who reaches it could "
            "read and change the graph; set LINKGUARD_NEO4J_PASSWORD (or --password-file), or "
            "listen on localhost"
        )
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(home)

    with _locked(home / _LOCK_FILE):
        current = status(home)
        if current.running:
            if wait and not current.ready:
                current = _wait_until_ready(home, current.pid or 0, timeout, password)
            current.already_running = True
            return current
        _clear_state_files(home)

        java = _find_java()
        built = build(server_dir=server_dir)
        for name, port in (("Bolt", bolt_port), ("HTTP", http_port)):
            _check_port_free(host, port, name)

        command = [
            java,
            f"-Xmx{heap or os.environ.get('LINKGUARD_NEO4J_HEAP', DEFAULT_HEAP)}",
            *_JVM_OPTIONS,
            *shlex.split(os.environ.get("LINKGUARD_NEO4J_JAVA_OPTS", "")),
            "-jar",
            str(built.jar),
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
        shown_command = list(command)

        out_log = home / _OUT_LOG
        out_log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The launcher also reads LINKGUARD_NEO4J_* variables; the arguments above must be the only
        # source of its settings, so none of those variables reach the JVM but the password: it
        # goes by the environment (readable by its owner only), never on the command line
        # (every user's ps, and Neo4j's debug.log, which records the JVM's command line).
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGUARD_NEO4J_")}
        if password:
            env[PASSWORD_ENV] = password
        launched = time.monotonic()
        with os.fdopen(open_private(out_log), "a", encoding="utf-8") as out:
            out.write(f"\n==== {_now()} starting: {shlex.join(shown_command)}\n")
            out.flush()
            proc = subprocess.Popen(
                command,
                cwd=home,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Own session and process group: no controlling terminal, so closing the shell
                # (SIGHUP) or Ctrl-C in it does not reach the server; stop() signals the group.
                start_new_session=True,
                close_fds=True,
                # Databases and logs (debug.log, query.log) are the owner's only.
                umask=0o077,
            )
        _LAUNCHED[proc.pid] = proc
        (home / _PID_FILE).write_text(f"{proc.pid}\n", encoding="utf-8")
        _write_json(
            home / _LAUNCH_FILE,
            {
                "pid": proc.pid,
                "host": host,
                "bolt_port": bolt_port,
                "http_port": http_port,
                "auth_enabled": bool(password),
                "command": shown_command,
                "launched_at": _now(),
            },
        )

        result = _wait_until_ready(home, proc.pid, timeout, password) if wait else status(home)
        result.timings = {
            "build_s": round(built.seconds, 2),
            "start_s": round(time.monotonic() - launched, 2),
        }
        return result


def stop(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR, timeout: float = DEFAULT_STOP_TIMEOUT
) -> StopResult:
    """Stop the dev server of ``data_dir`` (SIGTERM, then SIGKILL after ``timeout`` seconds).

    Stopping a server that is not running is not an error (``was_running=False``).
    """
    home = _resolve_data_dir(data_dir)
    started = time.monotonic()
    launch = _read_json(home / _LAUNCH_FILE) or {}
    ports = [p for p in (launch.get("bolt_port"), launch.get("http_port")) if isinstance(p, int)]
    host = str(launch.get("host", DEFAULT_HOST))
    if not home.is_dir():
        return StopResult(str(home), False, None, 0.0, False, True)

    with _locked(home / _LOCK_FILE):
        pid = _server_pid(home)
        forced = False
        if pid is not None:
            # SIGTERM runs Neo4j's shutdown hook: it checkpoints the databases and exits.
            _signal_group(pid, signal.SIGTERM)
            if not _wait_for_exit(pid, timeout):
                forced = True
                _signal_group(pid, signal.SIGKILL)
                _wait_for_exit(pid, 10.0)
        _clear_state_files(home)
        ports_free = all(_wait_port_free(host, port, 10.0) for port in ports)
    return StopResult(
        data_dir=str(home),
        was_running=pid is not None,
        pid=pid,
        seconds=round(time.monotonic() - started, 2),
        forced=forced,
        ports_free=ports_free,
    )


def status(data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR) -> ServerStatus:
    """Report whether the dev server of ``data_dir`` runs, and where it listens."""
    home = _resolve_data_dir(data_dir)
    result = ServerStatus(
        data_dir=str(home),
        running=False,
        ready=False,
        log_file=str(home / _OUT_LOG),
        neo4j_log=str(home / _NEO4J_LOG),
    )
    launch = _read_json(home / _LAUNCH_FILE) or {}
    pid = _server_pid(home)
    if pid is None:
        return result
    result.running = True
    result.pid = pid
    result.host = str(launch.get("host", DEFAULT_HOST))
    result.bolt_port = _as_int(launch.get("bolt_port"))
    result.http_port = _as_int(launch.get("http_port"))
    result.auth_enabled = launch.get("auth_enabled") if "auth_enabled" in launch else None
    result.rss_mb = _rss_mb(pid)
    ready = _read_json(home / _READY_FILE)
    if ready and ready.get("pid") == pid:
        result.ready = True
        result.host = str(ready.get("host", result.host))
        result.bolt_port = _as_int(ready.get("bolt_port"))
        result.http_port = _as_int(ready.get("http_port"))
        result.neo4j_version = ready.get("neo4j_version")
        result.auth_enabled = ready.get("auth_enabled")
        result.started_at = ready.get("started_at")
    if result.bolt_port is not None:
        result.bolt_uri = f"bolt://{result.host}:{result.bolt_port}"
    if result.http_port is not None:
        result.http_uri = f"http://{result.host}:{result.http_port}"
        result.browser_uri = f"{result.http_uri}/browser/"
    return result


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _resolve_data_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir).expanduser().resolve()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _clear_state_files(home: Path) -> None:
    for name in (_PID_FILE, _LAUNCH_FILE, _READY_FILE):
        with contextlib.suppress(FileNotFoundError):
            (home / name).unlink()


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (serialises start/stop of one data dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _find_java() -> str:
    """``$JAVA_HOME/bin/java`` or ``java`` on PATH, checked to be Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise JavaNotFoundError(
            "Java is needed to run the Neo4j dev server but was not found; install JDK "
            f"{MIN_JAVA_VERSION} or 21 (e.g. apt-get install openjdk-17-jdk-headless) "
            "or set JAVA_HOME"
        )
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except OSError as exc:
        raise JavaNotFoundError(f"cannot run {java}: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if match is None:
        raise JavaNotFoundError(f"cannot tell the version of {java}: {out.strip()[:200]}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_x" style
        major = int(match.group(2))
    if major < MIN_JAVA_VERSION:
        raise JavaNotFoundError(
            f"{java} is Java {major}; Neo4j 5.26 needs Java {MIN_JAVA_VERSION} or 21 "
            "(set JAVA_HOME to a newer JDK)"
        )
    return java


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


def find_java() -> str:
    """The ``java`` executable the server runs on (``JAVA_HOME`` first, then ``PATH``)."""
    return _find_java()


def _check_port_free(host: str, port: int, name: str) -> None:
    if not _port_free(host, port):
        raise PortInUseError(
            f"{name} port {port} on {host} is already in use (another Neo4j?). Stop that process "
            f"or choose another port (--{name.lower()}-port)."
        )


def _port_free(host: str, port: int) -> bool:
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


def _wait_port_free(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _port_free(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _process_cmdline(pid: int) -> str | None:
    """The command line of a live (non-zombie) process, or None if there is no such process."""
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            stat = (proc / "stat").read_text()
            # Field 3 (after the parenthesised command name) is the state; Z = zombie, X = dead.
            if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return None
            return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            return None
    # Platforms without /proc (macOS).
    try:
        out = subprocess.run(
            ["ps", "-p", str(pid), "-o", "stat=,command="],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    if not out or out.split(None, 1)[0].startswith("Z"):
        return None
    return out.split(None, 1)[1] if " " in out else out


def _is_alive(pid: int) -> bool:
    child = _LAUNCHED.get(pid)
    if child is not None:
        # Our own child (start() and stop() in one Python process): poll() reaps it, so it does
        # not linger as a zombie.
        if child.poll() is None:
            return True
        del _LAUNCHED[pid]
        return False
    return _process_cmdline(pid) is not None


def _server_pid(home: Path) -> int | None:
    """The pid of this data directory's server if it is alive (a reused pid does not count)."""
    try:
        pid = int((home / _PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    cmdline = _process_cmdline(pid)
    if cmdline is None or JAR_NAME not in cmdline or str(home) not in cmdline:
        return None
    return pid


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the server's process group (it leads one, see start()), else the process alone."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _wait_until_ready(
    home: Path,
    pid: int,
    timeout: float,
    password: str | None,
) -> ServerStatus:
    """Wait for the ready file, then for Bolt to accept a session; stop the server on failure."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, DriverError, Neo4jError

    out_log = home / _OUT_LOG
    deadline = time.monotonic() + timeout
    last_error = "no ready file yet"
    while time.monotonic() < deadline:
        if not _is_alive(pid):
            _clear_state_files(home)
            raise StartError(
                f"the Neo4j dev server exited during start-up; see {out_log} and "
                f"{home / _NEO4J_LOG}\n{_tail(out_log, 20)}",
                out_log,
            )
        current = status(home)
        if current.ready and current.bolt_uri:
            auth = ("neo4j", password) if password else None
            try:
                with GraphDatabase.driver(
                    current.bolt_uri, auth=auth, connection_timeout=5.0
                ) as driver:
                    driver.verify_connectivity()
                return current
            except AuthError as exc:
                # The server is up; the caller's password is wrong. Leave it running.
                raise DevServerError(
                    f"the server is up but refused the credentials: {exc}"
                ) from exc
            except (DriverError, Neo4jError, OSError) as exc:
                last_error = str(exc)
        time.sleep(0.25)
    _signal_group(pid, signal.SIGTERM)
    _wait_for_exit(pid, DEFAULT_STOP_TIMEOUT)
    _clear_state_files(home)
    raise StartError(
        f"the Neo4j dev server did not answer on Bolt within {timeout:.0f} s ({last_error}); "
        f"it was stopped. See {out_log} and {home / _NEO4J_LOG}",
        out_log,
    )


# --------------------------------------------------------------------------------------------
# Command line: python -m linkguard.neo4j.devserver
# --------------------------------------------------------------------------------------------


def format_status(info: ServerStatus) -> str:
    """Human-readable lines for a status (shared with ``linkguard neo4j dev-server``)."""
    if not info.running:
        return f"not running (data dir {info.data_dir})"
    state = "running" if info.ready else "starting"
    lines = [
        f"{state}: Neo4j {info.neo4j_version or '?'}, pid {info.pid}"
        + (f", RSS {info.rss_mb:.0f} MB" if info.rss_mb is not None else ""),
        f"  bolt:     {info.bolt_uri}",
        f"  browser:  {info.browser_uri}",
        f"  auth:     {'enabled (user neo4j)' if info.auth_enabled else 'disabled'}",
        f"  data dir: {info.data_dir}",
        f"  logs:     {info.neo4j_log}, {info.log_file}",
    ]
    if info.timings:
        build_s = info.timings.get("build_s", 0.0)
        built = f"built in {build_s:.1f} s, " if build_s else ""
        lines.append(
            f"  timings:  {built}Bolt ready {info.timings.get('start_s', 0.0):.1f} s after launch"
        )
    return "\n".join(lines)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m linkguard.neo4j.devserver``; returns the exit code.

    ``status`` exits 0 when the server runs and 3 when it does not (as LSB init scripts do).
    """
    parser = argparse.ArgumentParser(
        prog="python -m linkguard.neo4j.devserver",
        description="Build, start, stop or inspect the local Neo4j 5.26 dev server.",
        epilog="Example: python -m linkguard.neo4j.devserver start --data-dir .neo4j",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add_data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir",
            default=os.environ.get("LINKGUARD_NEO4J_DATA_DIR", str(DEFAULT_DATA_DIR)),
            help="server home: databases, logs, pid and ready files (default: ./.neo4j)",
        )

    p_build = sub.add_parser("build", help="build the server jar with Maven if out of date")
    p_build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p_build.add_argument("--verbose", action="store_true", help="echo Maven's output to stderr")

    p_start = sub.add_parser("start", help="start the server and wait until Bolt answers")
    add_data_dir(p_start)
    p_start.add_argument(
        "--bolt-port", type=int, default=_env_int("LINKGUARD_NEO4J_BOLT_PORT", DEFAULT_BOLT_PORT)
    )
    p_start.add_argument(
        "--http-port", type=int, default=_env_int("LINKGUARD_NEO4J_HTTP_PORT", DEFAULT_HTTP_PORT)
    )
    p_start.add_argument(
        "--password-file",
        default=None,
        help="enable authentication for user neo4j with the password in this file (mode 600); "
        f"or set {PASSWORD_ENV} (default: auth disabled)",
    )
    p_start.add_argument("--password", help=argparse.SUPPRESS)
    p_start.add_argument("--timeout", type=float, default=DEFAULT_START_TIMEOUT)
    p_start.add_argument("--no-wait", action="store_true", help="return right after launching")
    p_start.add_argument("--format", choices=("text", "json"), default="text")

    p_stop = sub.add_parser("stop", help="stop the server (SIGTERM, SIGKILL after --timeout)")
    add_data_dir(p_stop)
    p_stop.add_argument("--timeout", type=float, default=DEFAULT_STOP_TIMEOUT)
    p_stop.add_argument("--format", choices=("text", "json"), default="text")

    p_status = sub.add_parser("status", help="show whether the server runs and where")
    add_data_dir(p_status)
    p_status.add_argument("--format", choices=("text", "json"), default="text")

    args = parser.parse_args(argv)
    # Progress and errors go through logging to stderr; results are printed to stdout.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        if args.command == "build":
            if args.force or _is_up_to_date_quiet() is False:
                _log.info(
                    "building the Neo4j dev server with Maven (first run downloads from "
                    "Maven Central); output in neo4j-server/%s", _BUILD_LOG,
                )
            result = build(force=args.force, verbose=args.verbose)
            if result.built:
                print(f"built {result.jar} in {result.seconds:.1f} s")
            else:
                print(f"up to date: {result.jar}")
            return 0
        if args.command == "start":
            if not args.no_wait and _is_up_to_date_quiet() is False:
                _log.info(
                    "building the Neo4j dev server (first run downloads from Maven Central)..."
                )
            if args.password is not None:
                print(f"error: {PASSWORD_OPTION_REMOVED}", file=sys.stderr)
                return 2
            try:
                password = resolve_password(args.password_file)
            except InputError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return exc.exit_code
            info = start(
                args.data_dir,
                bolt_port=args.bolt_port,
                http_port=args.http_port,
                wait=not args.no_wait,
                timeout=args.timeout,
                password=password,
            )
            if args.format == "json":
                print(json.dumps(info.to_dict(), indent=2))
            else:
                if info.already_running:
                    print("already running")
                print(format_status(info))
            return 0
        if args.command == "stop":
            stopped = stop(args.data_dir, timeout=args.timeout)
            if args.format == "json":
                print(json.dumps(stopped.to_dict(), indent=2))
            elif stopped.was_running:
                how = "killed" if stopped.forced else "stopped"
                print(
                    f"{how} pid {stopped.pid} in {stopped.seconds:.1f} s"
                    + ("" if stopped.ports_free else " (ports still busy)")
                )
            else:
                print(f"not running (data dir {stopped.data_dir})")
            return 0
        info = status(args.data_dir)
        text = json.dumps(info.to_dict(), indent=2) if args.format == "json" else None
        print(text or format_status(info))
        return 0 if info.running else 3
    except DevServerError as exc:
        _log.error("error: %s", exc)
        return exc.exit_code


def _is_up_to_date_quiet() -> bool | None:
    """Freshness of the jar for a progress message; None when the project cannot be found."""
    try:
        return _is_up_to_date(find_server_dir())
    except DevServerError:
        return None


if __name__ == "__main__":
    sys.exit(main())

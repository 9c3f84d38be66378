"""Start, stop and inspect the dev server of one data directory."""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

from linkguard.neo4j.credentials import make_private, open_private
from linkguard.neo4j.devserver.config import (
    DEFAULT_BOLT_PORT,
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_START_TIMEOUT,
    DEFAULT_STOP_TIMEOUT,
    LAUNCH_FILE,
    LOCK_FILE,
    NEO4J_LOG,
    OUT_LOG,
    PID_FILE,
    READY_FILE,
    is_loopback,
    jvm_command,
    launch_env,
    port_free,
    resolve_data_dir,
    wait_port_free,
)
from linkguard.neo4j.devserver.files import (
    as_int,
    clear_state_files,
    locked,
    now,
    read_json,
    tail,
    write_json,
)
from linkguard.neo4j.devserver.maven import build, find_java
from linkguard.neo4j.devserver.model import (
    DevServerError,
    PortInUseError,
    ServerStatus,
    StartError,
    StopResult,
)
from linkguard.neo4j.devserver.pids import (
    LAUNCHED,
    is_alive,
    rss_mb,
    server_pid,
    signal_group,
    wait_for_exit,
)

__all__ = ["check_port_free", "start", "status", "stop", "wait_until_ready"]

_log = logging.getLogger(__name__)


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
    home = resolve_data_dir(data_dir)
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

    with locked(home / LOCK_FILE):
        current = status(home)
        if current.running:
            if wait and not current.ready:
                current = wait_until_ready(home, current.pid or 0, timeout, password)
            current.already_running = True
            return current
        clear_state_files(home)

        java = find_java()
        built = build(server_dir=server_dir)
        for name, port in (("Bolt", bolt_port), ("HTTP", http_port)):
            check_port_free(host, port, name)
        command = jvm_command(
            java,
            built.jar,
            home,
            host=host,
            bolt_port=bolt_port,
            http_port=http_port,
            heap=heap,
            pagecache=pagecache,
        )
        out_log = home / OUT_LOG
        out_log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _log.debug("starting Neo4j: %s", shlex.join(command))
        launched = time.monotonic()
        with os.fdopen(open_private(out_log), "a", encoding="utf-8") as out:
            out.write(f"\n==== {now()} starting: {shlex.join(command)}\n")
            out.flush()
            proc = subprocess.Popen(
                command,
                cwd=home,
                env=launch_env(password),
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
        LAUNCHED[proc.pid] = proc
        (home / PID_FILE).write_text(f"{proc.pid}\n", encoding="utf-8")
        write_json(
            home / LAUNCH_FILE,
            {
                "pid": proc.pid,
                "host": host,
                "bolt_port": bolt_port,
                "http_port": http_port,
                "auth_enabled": bool(password),
                "command": command,
                "launched_at": now(),
            },
        )

        result = wait_until_ready(home, proc.pid, timeout, password) if wait else status(home)
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
    home = resolve_data_dir(data_dir)
    started = time.monotonic()
    launch = read_json(home / LAUNCH_FILE) or {}
    ports = [p for p in (launch.get("bolt_port"), launch.get("http_port")) if isinstance(p, int)]
    host = str(launch.get("host", DEFAULT_HOST))
    if not home.is_dir():
        return StopResult(str(home), False, None, 0.0, False, True)

    with locked(home / LOCK_FILE):
        pid = server_pid(home)
        forced = False
        if pid is not None:
            # SIGTERM runs Neo4j's shutdown hook: it checkpoints the databases and exits.
            signal_group(pid, signal.SIGTERM)
            if not wait_for_exit(pid, timeout):
                forced = True
                _log.warning(
                    "the dev server (pid %d) ignored SIGTERM for %.0f s: killing it", pid, timeout
                )
                signal_group(pid, signal.SIGKILL)
                wait_for_exit(pid, 10.0)
        clear_state_files(home)
        ports_free = all(wait_port_free(host, port, 10.0) for port in ports)
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
    home = resolve_data_dir(data_dir)
    result = ServerStatus(
        data_dir=str(home),
        running=False,
        ready=False,
        log_file=str(home / OUT_LOG),
        neo4j_log=str(home / NEO4J_LOG),
    )
    launch = read_json(home / LAUNCH_FILE) or {}
    pid = server_pid(home)
    if pid is None:
        return result
    result.running = True
    result.pid = pid
    result.host = str(launch.get("host", DEFAULT_HOST))
    result.bolt_port = as_int(launch.get("bolt_port"))
    result.http_port = as_int(launch.get("http_port"))
    result.auth_enabled = launch.get("auth_enabled") if "auth_enabled" in launch else None
    result.rss_mb = rss_mb(pid)
    ready = read_json(home / READY_FILE)
    if ready and ready.get("pid") == pid:
        result.ready = True
        result.host = str(ready.get("host", result.host))
        result.bolt_port = as_int(ready.get("bolt_port"))
        result.http_port = as_int(ready.get("http_port"))
        result.neo4j_version = ready.get("neo4j_version")
        result.auth_enabled = ready.get("auth_enabled")
        result.started_at = ready.get("started_at")
    if result.bolt_port is not None:
        result.bolt_uri = f"bolt://{result.host}:{result.bolt_port}"
    if result.http_port is not None:
        result.http_uri = f"http://{result.host}:{result.http_port}"
        result.browser_uri = f"{result.http_uri}/browser/"
    return result


def check_port_free(host: str, port: int, name: str) -> None:
    """Raise :class:`PortInUseError` when ``host:port`` is taken."""
    if not port_free(host, port):
        raise PortInUseError(
            f"{name} port {port} on {host} is already in use (another Neo4j?). Stop that process "
            f"or choose another port (--{name.lower()}-port)."
        )


def wait_until_ready(
    home: Path,
    pid: int,
    timeout: float,
    password: str | None,
) -> ServerStatus:
    """Wait for the ready file, then for Bolt to accept a session; stop the server on failure."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, DriverError, Neo4jError

    out_log = home / OUT_LOG
    deadline = time.monotonic() + timeout
    last_error = "no ready file yet"
    while time.monotonic() < deadline:
        if not is_alive(pid):
            clear_state_files(home)
            raise StartError(
                f"the Neo4j dev server exited during start-up; see {out_log} and "
                f"{home / NEO4J_LOG}\n{tail(out_log, 20)}",
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
    signal_group(pid, signal.SIGTERM)
    wait_for_exit(pid, DEFAULT_STOP_TIMEOUT)
    clear_state_files(home)
    raise StartError(
        f"the Neo4j dev server did not answer on Bolt within {timeout:.0f} s ({last_error}); "
        f"it was stopped. See {out_log} and {home / NEO4J_LOG}",
        out_log,
    )

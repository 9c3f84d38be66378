"""The dev server's errors and results, and how a status reads to a person."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from linkguard.errors import LinkguardError
from linkguard.neo4j.devserver.config import DEFAULT_HOST

__all__ = [
    "BuildError",
    "BuildResult",
    "DevServerError",
    "JavaNotFoundError",
    "PortInUseError",
    "ServerStatus",
    "StartError",
    "StopResult",
    "format_status",
]


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
    """Outcome of :func:`~linkguard.neo4j.devserver.build`."""

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
    """Outcome of :func:`~linkguard.neo4j.devserver.stop`."""

    data_dir: str
    was_running: bool
    pid: int | None
    seconds: float
    forced: bool  #: SIGKILL was needed after the timeout
    ports_free: bool  #: the Bolt and HTTP ports accept a new listener again

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_status(info: ServerStatus) -> str:
    """Human-readable lines for a status.

    >>> print(format_status(ServerStatus("/srv/neo4j", running=False, ready=False)))
    not running (data dir /srv/neo4j)
    """
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

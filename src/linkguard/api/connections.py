"""Slow clients cannot take ``linkguard serve`` down: header and body timeouts, a connection cap.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` seconds, but a client
that sends its request a byte at a time (slow headers) or never finishes its body (slow body)
keeps its connection, and a file handle, for as long as it likes: enough of them use up the
process's file handles, and then every request fails, ``/healthz`` included. The HTTP
protocols here are uvicorn's own (httptools or h11) with three additions:

- **header timeout**: a request line and headers must arrive within ``header_timeout``
  seconds of the connection opening or of the previous response, else the connection answers
  408 (if part of a request came) and is closed;
- **body timeout**: the body must arrive within ``body_timeout`` seconds of the headers, else
  408 and closed;
- **connection cap**: with ``max_connections`` open, a new connection closes the one that has
  waited longest for its client (request headers or body not yet complete: a slow or idle
  client); when every open connection holds a complete request being answered, the new one
  answers 503 and is closed. A warning line
  (``connection cap reached``) says so, at most once every ``log_seconds`` with the counts
  since the previous line; closed slow clients are counted the same way (``slow clients
  closed``).

Every answer given here uses the API's JSON envelope, and so does the 400 that uvicorn gives a
request it cannot parse (a URL or header block over its limit, about 64 KiB with httptools).
Times are checked by one sweep per ``sweep_seconds`` over the open connections, so a timeout
fires up to that much late.

``linkguard serve`` selects :data:`GuardedHTTPProtocol` and hands the limits to its workers
through ``LINKGUARD_SERVE_*`` variables (:meth:`ConnectionLimits.from_env`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from dataclasses import dataclass, fields
from typing import Any

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "ConnectionLimits",
    "GuardedH11Protocol",
    "GuardedHTTPProtocol",
    "default_max_connections",
]

log = logging.getLogger("linkguard.api.connections")

_ENV_PREFIX = "LINKGUARD_SERVE_"
#: File handles kept free for everything but client connections (snapshot files, logs, ...).
_RESERVED_FILES = 64
_GUARD_ATTR = "_linkguard_connection_guard"
_MALFORMED = "the request could not be read: it is malformed, or its URL or headers are too long"


def default_max_connections(preferred: int = 1000) -> int:
    """``preferred``, lowered to fit under the process's limit of open files.

    Parameters
    ----------
    preferred : int
        The cap wanted.

    Returns
    -------
    int
        At most the soft ``RLIMIT_NOFILE`` minus a reserve of 64, and at least 1.
    """
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return preferred
    if soft == resource.RLIM_INFINITY:
        return preferred
    return max(1, min(preferred, soft - _RESERVED_FILES))


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a client may take, and how many connections one worker keeps open.

    Attributes
    ----------
    max_connections : int
        Open connections per worker process.
    header_timeout : float
        Seconds for a request line and headers to arrive.
    body_timeout : float
        Seconds for a request body to arrive after its headers.
    sweep_seconds : float
        How often open connections are checked against the timeouts.
    log_seconds : float
        Shortest time between two warning lines of the same kind.
    """

    max_connections: int = 1000
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    sweep_seconds: float = 0.5
    log_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        for name in ("header_timeout", "body_timeout", "sweep_seconds", "log_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")

    def to_env(self) -> dict[str, str]:
        """The ``LINKGUARD_SERVE_*`` variables that :meth:`from_env` reads back."""
        return {f"{_ENV_PREFIX}{f.name.upper()}": str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_env(cls) -> ConnectionLimits:
        """The limits ``linkguard serve`` set for its workers (defaults for the others).

        Returns
        -------
        ConnectionLimits
        """
        given: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"{_ENV_PREFIX}{f.name.upper()}")
            if raw:
                given[f.name] = int(raw) if f.name == "max_connections" else float(raw)
        if "max_connections" not in given:
            given["max_connections"] = default_max_connections()
        return cls(**given)


#: Reason phrase and envelope code of the answers given here.
_STATUS: dict[int, tuple[bytes, str]] = {
    400: (b"Bad Request", "bad_request"),
    408: (b"Request Timeout", "request_timeout"),
    503: (b"Service Unavailable", "over_capacity"),
}


def _raw_response(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 response with the JSON envelope, closing the connection."""
    rid = uuid.uuid4().hex
    reason, code = _STATUS[status]
    body = orjson.dumps({"error": {"code": code, "message": message, "request_id": rid}})
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"x-request-id: %s\r\nconnection: close\r\n\r\n" % (status, reason, len(body), rid.encode())
    )
    return head + body


class _Guard:
    """The limits of one server: admits connections and sweeps them for timeouts."""

    def __init__(self, limits: ConnectionLimits, loop: asyncio.AbstractEventLoop) -> None:
        self.limits = limits
        self.loop = loop
        self.connections: set[Any] = set()
        self._sweeping: asyncio.TimerHandle | None = None
        #: Events not yet reported: kind -> count, and when each kind was last reported.
        self._pending: dict[str, dict[str, int]] = {"cap": {}, "slow": {}}
        self._logged: dict[str, float] = {}

    # -- admission ---------------------------------------------------------------------------

    def admit(self, proto: Any) -> None:
        """Take in a new connection, making room (or refusing it) at the cap."""
        self.connections.add(proto)
        self._schedule()
        over = len(self.connections) - self.limits.max_connections
        if over <= 0:
            return
        victim = self._longest_waiting(exclude=proto)
        if victim is not None:
            self._close(victim, status=None)
            self._count("cap", "evicted")
        else:
            self._close(
                proto, status=503, message="the server is at its connection limit; try again"
            )
            self._count("cap", "refused")

    def forget(self, proto: Any) -> None:
        """A connection is gone."""
        self.connections.discard(proto)

    def _longest_waiting(self, exclude: Any) -> Any:
        best = None
        best_since = 0.0
        for proto in self.connections:
            if proto is exclude or proto.transport is None or proto.transport.is_closing():
                continue
            if _busy(proto):
                continue
            since = proto._lg_since
            if best is None or since < best_since:
                best, best_since = proto, since
        return best

    # -- timeouts ----------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._sweeping is None:
            self._sweeping = self.loop.call_later(self.limits.sweep_seconds, self._sweep)

    def _sweep(self) -> None:
        self._sweeping = None
        now = self.loop.time()
        for proto in list(self.connections):
            transport = proto.transport
            if transport is None or transport.is_closing():
                continue
            if transport.get_protocol() is not proto:  # upgraded to another protocol
                self.forget(proto)
                continue
            cycle = proto.cycle
            waiting = cycle is None or cycle.response_complete
            if cycle is not proto._lg_cycle or waiting != proto._lg_waiting:
                # A new request's headers came, or its response went: a new phase starts.
                proto._lg_cycle = cycle
                proto._lg_waiting = waiting
                proto._lg_since = now
                proto._lg_mark = proto._lg_bytes
                continue
            elapsed = now - proto._lg_since
            if waiting and elapsed > self.limits.header_timeout:
                partial = proto._lg_bytes > proto._lg_mark
                status = 408 if partial else None
                self._close(proto, status=status, message="request headers too slow")
                self._count("slow", "header_timeouts")
            elif not waiting and cycle.more_body and elapsed > self.limits.body_timeout:
                status = None if cycle.response_started else 408
                self._close(proto, status=status, message="request body too slow")
                self._count("slow", "body_timeouts")
        self._report(now)
        if self.connections or any(self._pending.values()):
            self._schedule()

    # -- closing and reporting ---------------------------------------------------------------

    def _close(self, proto: Any, status: int | None, message: str = "") -> None:
        transport = proto.transport
        if status is not None:
            with contextlib.suppress(OSError, RuntimeError):
                transport.write(_raw_response(status, message))
        transport.close()

    def _count(self, kind: str, what: str) -> None:
        pending = self._pending[kind]
        pending[what] = pending.get(what, 0) + 1
        self._report(self.loop.time())

    def _report(self, now: float) -> None:
        for kind, message in (("cap", "connection cap reached"), ("slow", "slow clients closed")):
            pending = self._pending[kind]
            if not pending:
                continue
            last = self._logged.get(kind)
            if last is not None and now - last < self.limits.log_seconds:
                continue
            self._logged[kind] = now
            self._pending[kind] = {}
            fields_: dict[str, Any] = {
                **pending,
                "open_connections": len(self.connections),
                "max_connections": self.limits.max_connections,
            }
            if kind == "slow":
                fields_["header_timeout"] = self.limits.header_timeout
                fields_["body_timeout"] = self.limits.body_timeout
            log.warning(message, extra={"fields": fields_})


def _busy(proto: Any) -> bool:
    """Whether the connection's request is being answered: all of it came, its answer has not
    gone yet. Other connections wait for their client (headers or body) and may be closed."""
    cycle = proto.cycle
    return cycle is not None and not cycle.response_complete and not cycle.more_body


def _guard_of(proto: Any) -> _Guard:
    state = proto.server_state
    guard: _Guard | None = getattr(state, _GUARD_ATTR, None)
    if guard is None:
        guard = _Guard(ConnectionLimits.from_env(), proto.loop)
        setattr(state, _GUARD_ATTR, guard)
    return guard


class _GuardedMixin:
    """What the guarded protocols add to uvicorn's (see the module docstring)."""

    # Attributes of uvicorn's protocols this mixin relies on.
    transport: Any
    cycle: Any
    loop: asyncio.AbstractEventLoop
    server_state: Any

    def _lg_start(self) -> None:
        self._lg_cycle: Any = None
        self._lg_waiting = True
        self._lg_since = self.loop.time()
        self._lg_bytes = 0
        self._lg_mark = 0
        self._lg_guard = _guard_of(self)
        self._lg_guard.admit(self)

    def _lg_received(self, data: bytes) -> None:
        self._lg_bytes += len(data)

    def _lg_lost(self) -> None:
        guard = getattr(self, "_lg_guard", None)
        if guard is not None:
            guard.forget(self)

    def _lg_send_400(self) -> None:
        # uvicorn answers plain text here; the API's answers are always the envelope.
        if not self.transport.is_closing():
            self.transport.write(_raw_response(400, _MALFORMED))
            self.transport.close()

    # The mixin comes first in the guarded protocols' bases, so these run before uvicorn's own
    # methods (reached through super()) for either parser.

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._lg_start()

    def data_received(self, data: bytes) -> None:
        self._lg_received(data)
        super().data_received(data)  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        self._lg_lost()
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        self._lg_send_400()


class GuardedH11Protocol(_GuardedMixin, H11Protocol):  # type: ignore[misc]
    """uvicorn's h11 protocol with timeouts, the connection cap and JSON 400s."""


GuardedHTTPProtocol: type[asyncio.Protocol] = GuardedH11Protocol
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is an optional speed-up
    pass
else:

    class GuardedHttpToolsProtocol(_GuardedMixin, HttpToolsProtocol):  # type: ignore[misc]
        """uvicorn's httptools protocol with timeouts, the connection cap and JSON 400s."""

    GuardedHTTPProtocol = GuardedHttpToolsProtocol
    __all__ += ["GuardedHttpToolsProtocol"]

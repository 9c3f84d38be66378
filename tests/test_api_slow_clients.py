"""Slow clients cannot take ``linkguard serve`` down.

A real server (``linkguard serve`` in a subprocess, loopback only) runs with a small open-file
limit, so that a few hundred connections would use up its file handles. While slow-header and
slow-body clients hold and reopen connections, real requests and ``/healthz`` must keep
succeeding; the slow clients must be closed by the header and body timeouts or the connection
cap, with a log line. Counts and times are bounded: at most a few hundred sockets, seconds.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from linkguard.pipeline.snapshot import write_snapshot
from sample_snapshots import sample_snapshot

TOKEN = "slow-clients-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: Open files the server may hold: a few dozen for itself, the rest for connections.
SERVER_FILE_LIMIT = 160
SLOW_HEADER = 150
SLOW_BODY = 30
ATTACK_SECONDS = 6.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for raw in self.log.read_bytes().splitlines():
            try:
                out.append(orjson.loads(raw))
            except orjson.JSONDecodeError:
                continue
        return out


def _limit_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_FILE_LIMIT, SERVER_FILE_LIMIT))


def start_server(tmp_path: Path, *args: str) -> Iterator[Server]:
    snap = write_snapshot(sample_snapshot("snap-slow"), tmp_path / "snap")
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "LINKGUARD_API_TOKENS": TOKEN}
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "linkguard", "serve", "--snapshot", str(snap)),
                *("--host", "127.0.0.1", "--port", str(port), *args),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_limit_files,
        )
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(
        tmp_path_factory.mktemp("guarded"),
        "--max-connections",
        "48",
        "--header-timeout",
        "1.5",
        "--body-timeout",
        "1.5",
    )


@dataclass
class SlowClients:
    """Slow-header and slow-body connections, reopened when the server closes them."""

    port: int
    headers: int = SLOW_HEADER
    bodies: int = SLOW_BODY
    #: How fast closed connections come back (a bound on sockets used, not a kindness);
    #: 0: they do not come back.
    reopen_per_second: float = 500.0
    max_opens: int = 6000
    opened: int = 0
    closed_by_server: int = 0
    #: Seconds from opening to being closed by the server, per closed connection.
    lifetimes: list[float] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)
    #: Open slow connections, sampled every drip (about 4 times a second).
    held: list[int] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        sel = selectors.DefaultSelector()
        socks: dict[socket.socket, str] = {}
        opened_at: dict[socket.socket, float] = {}

        def open_one(kind: str) -> None:
            if self.opened >= self.max_opens:
                return
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.opened += 1
            socks[s] = kind
            opened_at[s] = time.monotonic()
            sel.register(s, selectors.EVENT_READ)
            first = {
                "header": b"GET /healthz HTTP/1.1\r\nHost: slow\r\n",
                "body": b"POST /v1/flags:batch HTTP/1.1\r\nHost: slow\r\n"
                b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{",
            }[kind]
            self._send(s, first)

        for _ in range(self.headers):
            open_one("header")
        for _ in range(self.bodies):
            open_one("body")
        next_drip = last = time.monotonic()
        waiting: list[str] = []
        tokens = 0.0
        while not stop.is_set():
            for key, _ in sel.select(timeout=0.05):
                s = key.fileobj
                assert isinstance(s, socket.socket)
                try:
                    data = s.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    self.answers.append(data)
                    continue
                kind = socks.pop(s)
                self.lifetimes.append(time.monotonic() - opened_at.pop(s))
                sel.unregister(s)
                s.close()
                self.closed_by_server += 1
                if self.reopen_per_second:
                    waiting.append(kind)  # the attacker comes back
            now = time.monotonic()
            tokens = min(tokens + (now - last) * self.reopen_per_second, 50.0)
            last = now
            while waiting and tokens >= 1:
                open_one(waiting.pop())
                tokens -= 1
            if time.monotonic() >= next_drip:
                next_drip += 0.25
                self.held.append(len(socks))
                for s, kind in list(socks.items()):
                    self._send(s, b"X-Slow: 1\r\n" if kind == "header" else b" ")
        for s in socks:
            sel.unregister(s)
            s.close()
        sel.close()

    @staticmethod
    def _send(s: socket.socket, data: bytes) -> None:
        with contextlib.suppress(OSError):  # full buffer, or closed by the server
            s.send(data)


def _real_requests(server: Server, seconds: float) -> tuple[int, list[str]]:
    """Requests on fresh connections, as a loan service would send them; the failures."""
    failures: list[str] = []
    done = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=server.url, timeout=3.0, limits=limits) as client:
        while time.monotonic() < deadline:
            for method, path, body in (
                ("GET", "/healthz", None),
                ("GET", "/v1/accounts/S1/flags", None),
                ("POST", "/v1/flags:batch", {"account_ids": ["S1", "nobody"]}),
            ):
                try:
                    r = client.request(method, path, headers=AUTH, json=body)
                    if r.status_code != 200:
                        failures.append(f"{method} {path}: {r.status_code}")
                except httpx.HTTPError as exc:
                    failures.append(f"{method} {path}: {type(exc).__name__}")
                done += 1
            time.sleep(0.05)
    return done, failures


def _attack(server: Server, slow: SlowClients) -> tuple[int, list[str]]:
    stop = threading.Event()
    thread = threading.Thread(target=slow.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # let the slow clients take their connections first
        done, failures = _real_requests(server, ATTACK_SECONDS)
    finally:
        stop.set()
        thread.join(10)
    return done, failures


def _logged(server: Server, message: str) -> dict[str, Any]:
    time.sleep(0.3)  # lines are written in bulk every 50 ms
    return next(x for x in server.lines() if x.get("message") == message)


def test_slow_clients_are_closed_by_the_timeouts(guarded: Server) -> None:
    """Fewer slow clients than the cap: only the header and body timeouts can end them."""
    slow = SlowClients(guarded.port, headers=20, bodies=10, reopen_per_second=0)
    done, failures = _attack(guarded, slow)
    assert failures == []
    assert done >= 30
    assert slow.closed_by_server == 30
    # 1.5 s timeouts, checked every 0.5 s: closed after 1.5 s and well before 6 s.
    assert min(slow.lifetimes) >= 1.4
    assert max(slow.lifetimes) < 4.0
    assert sum(b" 408 " in a and b'"code":"request_timeout"' in a for a in slow.answers) == 30
    line = _logged(guarded, "slow clients closed")
    assert line["header_timeout"] == 1.5
    assert line["body_timeout"] == 1.5
    assert line.get("header_timeouts", 0) + line.get("body_timeouts", 0) > 0


def test_real_requests_succeed_while_slow_clients_hold_connections(guarded: Server) -> None:
    """More slow clients than the cap, coming back when closed, on a 160-file process."""
    slow = SlowClients(guarded.port)
    done, failures = _attack(guarded, slow)
    assert done >= 30
    assert failures == []
    # Throughout, slow clients held more connections than the server keeps open.
    assert slow.opened < slow.max_opens
    assert statistics.median(slow.held) > 48
    assert slow.closed_by_server >= SLOW_HEADER + SLOW_BODY
    assert guarded.proc.poll() is None
    cap = _logged(guarded, "connection cap reached")
    assert cap["max_connections"] == 48
    assert cap.get("evicted", 0) + cap.get("refused", 0) > 0


def test_without_limits_the_same_clients_exhaust_the_server(tmp_path: Path) -> None:
    """The control: with the cap and the timeouts out of reach, the same load breaks the server.

    This shows that the test above measures the limits, not a load too light to matter.
    """
    for server in start_server(
        tmp_path,
        "--max-connections",
        "100000",
        "--header-timeout",
        "3600",
        "--body-timeout",
        "3600",
    ):
        done, failures = _attack(server, SlowClients(server.port))
        assert done > 0
        assert len(failures) > 0


def test_an_over_long_url_gets_the_json_envelope(guarded: Server) -> None:
    # httpx refuses to send such a URL, so the request is written by hand.
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=5) as s:
        s.sendall(
            b"GET /v1/accounts/" + b"a" * 100_000 + b"/flags HTTP/1.1\r\nHost: t\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\n\r\n"
        )
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 400 ")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert headers["content-type"] == "application/json"
    error = orjson.loads(body)["error"]
    assert error["code"] == "bad_request"
    assert "too long" in error["message"]
    assert error["request_id"] == headers["x-request-id"]

"""A few Chrome DevTools Protocol calls to drive headless Chromium from tests.

Starts Debian's ``chromium`` with a remote-debugging port and talks to its page over the
``websockets`` client (already installed with ``uvicorn[standard]``): navigate, evaluate
JavaScript, take a screenshot. Enough to click through Neo4j Browser; not a general client.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

__all__ = ["Page", "chromium_binary", "headless_page"]


def chromium_binary() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Page:
    """One browser tab, driven over its DevTools websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next = 0
        self.console_errors: list[str] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events met meanwhile are kept if errors)."""
        self._next += 1
        self._ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=120))
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.console_errors.append(str(details.get("text")))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60.0, every: float = 0.25) -> Any:
        """Poll ``expression`` until it is truthy; its value, or TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {expression[:120]}")
            time.sleep(every)

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def headless_page(width: int = 1400, height: int = 1000) -> Iterator[Page]:
    """Headless Chromium with one page; the browser is stopped on exit."""
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("no chromium on PATH")
    port = _free_port()
    # Chromium's helper processes may still be writing the profile for a moment after the
    # browser exits; the whole process group is stopped and the folder removed leniently.
    with tempfile.TemporaryDirectory(
        prefix="linkguard-chromium-", ignore_cleanup_errors=True
    ) as profile:
        proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            tabs: list[dict[str, Any]] = []
            deadline = time.monotonic() + 30
            while not tabs:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as r:
                        tabs = [t for t in json.load(r) if t.get("type") == "page"]
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            with ws_connect(tabs[0]["webSocketDebuggerUrl"], max_size=None) as ws:
                page = Page(ws)
                page.call("Page.enable")
                page.call("Runtime.enable")
                yield page
        finally:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop Chromium and every helper process it started (they share its session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # helpers that outlived the browser

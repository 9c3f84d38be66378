"""The dev server's JVM as a process: is it alive, is it ours, signal it, wait for it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from linkguard.neo4j.devserver.config import JAR_NAME, PID_FILE

__all__ = ["LAUNCHED", "is_alive", "rss_mb", "server_pid", "signal_group", "wait_for_exit"]

#: Servers launched by this Python process. Holding on to their Popen objects lets is_alive()
#: reap them once they exit and keeps Popen from warning that a child is "still running" when the
#: object would otherwise be garbage-collected while the (detached) server keeps going.
LAUNCHED: dict[int, subprocess.Popen[bytes]] = {}


def process_cmdline(pid: int) -> str | None:
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


def is_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a child of ours that exited is reaped)."""
    child = LAUNCHED.get(pid)
    if child is not None:
        # Our own child (start() and stop() in one Python process): poll() reaps it, so it does
        # not linger as a zombie.
        if child.poll() is None:
            return True
        del LAUNCHED[pid]
        return False
    return process_cmdline(pid) is not None


def server_pid(home: Path) -> int | None:
    """The pid of this data directory's server if it is alive (a reused pid does not count)."""
    try:
        pid = int((home / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    cmdline = process_cmdline(pid)
    if cmdline is None or JAR_NAME not in cmdline or str(home) not in cmdline:
        return None
    return pid


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the server's process group (it leads one, see start()), else the process alone."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited; False when it still runs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (Linux only; None elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None

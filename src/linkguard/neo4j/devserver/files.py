"""Small files the dev server keeps: JSON state written atomically, logs, advisory locks."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linkguard.neo4j.devserver.config import LAUNCH_FILE, PID_FILE, READY_FILE

__all__ = ["as_int", "clear_state_files", "locked", "now", "read_json", "tail", "write_json"]


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def as_int(value: object) -> int | None:
    """``value`` if it is an int, else None.

    >>> as_int(7687), as_int("7687")
    (7687, None)
    """
    return value if isinstance(value, int) else None


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` beside ``path`` and rename it into place (readers never see half)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def clear_state_files(home: Path) -> None:
    """Remove the pid, launch and ready files of the data directory ``home``."""
    for name in (PID_FILE, LAUNCH_FILE, READY_FILE):
        with contextlib.suppress(FileNotFoundError):
            (home / name).unlink()


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a text file ("" when it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (serialises start/stop of one data dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

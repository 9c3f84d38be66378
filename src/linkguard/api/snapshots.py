"""Which snapshot the API answers from, and swapping to a newer one without a pause.

A :class:`SnapshotSource` watches either one snapshot directory (reloaded when it is
rewritten in place) or a root holding many. Under a root, a directory is complete when it
holds ``summary.json`` (the writer's last file), and the newest is the one whose *name*
sorts last, runs of digits compared as numbers (``run-10`` after ``run-9``; a UTC time stamp
such as ``20261202T1500Z`` sorts as time does). Nothing inside a snapshot decides the order:
a ``created_at`` far in the future in its summary, or a touched file, cannot keep it served.
A new index is built completely on a background thread and then published by assigning one
attribute, so a request sees either the old index or the new one, never a mix, and no
request waits for a build. A snapshot that fails to load is logged and skipped until its
files change (a copy that had not finished is retried once it has); the index already
served stays.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import re
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkguard.pipeline.snapshot import SUMMARY_FILE
from linkguard.serving.lookup import FlagIndex

__all__ = ["Candidate", "SnapshotSource", "find_snapshots", "load_for_api", "name_order"]

log = logging.getLogger("linkguard.api.snapshots")

_DIGITS = re.compile(r"([0-9]+)")


def name_order(name: str) -> tuple[tuple[tuple[int, str], ...], str]:
    """The key that orders snapshot directory names, oldest first.

    Runs of ASCII digits compare as numbers, the rest as text; the name itself breaks ties
    (``7`` and ``007``).

    Parameters
    ----------
    name : str
        A directory name.

    Returns
    -------
    tuple

    Examples
    --------
    >>> sorted(["run-10", "run-9", "run-100"], key=name_order)
    ['run-9', 'run-10', 'run-100']
    >>> sorted(["2026-12-02T1500Z", "2026-11-30T0900Z"], key=name_order)
    ['2026-11-30T0900Z', '2026-12-02T1500Z']
    """
    parts = tuple(
        (int(part), "") if i % 2 else (-1, part) for i, part in enumerate(_DIGITS.split(name))
    )
    return parts, name


@dataclass(frozen=True, slots=True)
class Candidate:
    """A complete snapshot directory seen on disk.

    Attributes
    ----------
    path : Path
        The directory.
    stamp : tuple
        Changes whenever a file of the directory is added, removed, rewritten or replaced
        (each file's name, inode, size and modification time, and the directory's inode).
    """

    path: Path
    stamp: tuple[Any, ...]

    @property
    def order(self) -> tuple[tuple[tuple[int, str], ...], str]:
        """Newest by directory name (see :func:`name_order`), never by its contents."""
        return name_order(self.path.name)

    @property
    def key(self) -> tuple[str, tuple[Any, ...]]:
        """Identifies this version of this directory."""
        return (str(self.path), self.stamp)


def _stamp(path: Path) -> tuple[Any, ...] | None:
    """The state of ``path``'s files, or None when it is not a complete snapshot."""
    try:
        if not (path / SUMMARY_FILE).is_file():
            return None
        files = []
        with os.scandir(path) as entries:
            for entry in entries:
                st = entry.stat()
                if stat.S_ISREG(st.st_mode):
                    files.append((entry.name, st.st_ino, st.st_size, st.st_mtime_ns))
        own = path.stat()
    except OSError:
        return None
    return (own.st_dev, own.st_ino, *sorted(files))


def _candidate(path: Path) -> Candidate | None:
    stamp = _stamp(path)
    return None if stamp is None else Candidate(path, stamp)


def find_snapshots(root: Path) -> list[Candidate]:
    """The complete snapshots under ``root``, newest (by name) first.

    Complete means the directory holds ``summary.json`` (written last). Hidden
    directories are skipped: the snapshot writer builds in ``.NAME.tmp-*`` siblings.

    Parameters
    ----------
    root : Path
        The directory holding snapshot directories.

    Returns
    -------
    list of Candidate
    """
    found = []
    try:
        children = list(root.iterdir())
    except OSError:
        return []
    for child in children:
        if child.name.startswith(".") or not child.is_dir():
            continue
        candidate = _candidate(child)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=lambda c: c.order, reverse=True)
    return found


@contextmanager
def _responsive_gil(interval: float = 0.0005) -> Iterator[None]:
    """Keep requests flowing while a background thread builds or frees an index.

    The GIL is handed to the event loop every ``interval`` seconds instead of Python's
    default 5 ms, and the cyclic garbage collector is paused: building a million answers
    otherwise triggers full collections that walk every new object while holding the GIL
    (stalls of 300 ms measured). Afterwards everything alive is frozen out of future
    collections, the index being by far the largest part and free of reference cycles.
    """
    previous = sys.getswitchinterval()
    was_enabled = gc.isenabled()
    sys.setswitchinterval(interval)
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()
        sys.setswitchinterval(previous)


def _find_malloc_trim() -> Callable[[int], Any] | None:
    try:
        trim: Callable[[int], Any] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_MALLOC_TRIM = _find_malloc_trim()


def _return_freed_memory() -> None:
    """Hand the memory the C heap kept from a build or a release back to the system.

    glibc keeps freed memory for reuse instead of returning it: with a million accounts,
    resident memory stays about 70 MiB higher after building an index and about 200 MiB
    higher after releasing one (measured in process: 590 MiB before, 391 MiB after releasing
    the replaced index). The call takes a few milliseconds, without the GIL. Where the C
    library is not glibc it does nothing.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def load_for_api(path: Path) -> FlagIndex:
    """Build the index the API needs (no investigator details, to save memory).

    Parameters
    ----------
    path : Path
        A snapshot directory.

    Returns
    -------
    FlagIndex
    """
    return FlagIndex.load(path, details=False)


class SnapshotSource:
    """The index currently served, kept up to date from disk.

    Parameters
    ----------
    snapshot : Path, optional
        Serve this snapshot directory (reloaded when it is replaced).
    root : Path, optional
        Serve the newest complete snapshot under this directory. Exactly one of
        ``snapshot`` and ``root`` is required.
    poll_seconds : float
        How often the background thread looks for a newer snapshot.
    loader : callable, optional
        Builds an index from a directory (default :func:`load_for_api`).
    """

    def __init__(
        self,
        *,
        snapshot: Path | None = None,
        root: Path | None = None,
        poll_seconds: float = 2.0,
        loader: Callable[[Path], FlagIndex] = load_for_api,
    ) -> None:
        if (snapshot is None) == (root is None):
            raise ValueError("give exactly one of snapshot and root")
        self.snapshot = snapshot
        self.root = root
        self.poll_seconds = poll_seconds
        self.loader = loader
        #: The served index; replaced whole (the replaced one is emptied by :meth:`retire`).
        self.index: FlagIndex | None = None
        self._current: Candidate | None = None
        #: Per directory, the version that failed to load: skipped until its files change.
        self._refused: dict[str, tuple[Any, ...]] = {}
        self._retired: FlagIndex | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _candidates(self) -> list[Candidate]:
        if self.root is not None:
            return find_snapshots(self.root)
        assert self.snapshot is not None
        candidate = _candidate(self.snapshot)
        return [] if candidate is None else [candidate]

    def refresh(self) -> bool:
        """Load the newest snapshot not yet served, if there is one.

        Returns
        -------
        bool
            True when a new index was published.
        """
        # One build at a time: a slow build must not be raced by the next poll.
        with self._lock:
            for candidate in self._candidates():
                current = self._current
                if current is not None:
                    if candidate.key == current.key:
                        return False
                    if self.root is not None and candidate.order < current.order:
                        return False
                if self._refused.get(str(candidate.path)) == candidate.stamp:
                    continue
                if self._publish(candidate):
                    return True
            return False

    def _publish(self, candidate: Candidate) -> bool:
        started = time.perf_counter()
        try:
            with _responsive_gil():
                index = self.loader(candidate.path)
        except Exception as exc:
            self._refused[str(candidate.path)] = candidate.stamp
            log.error(
                "snapshot refused",
                extra={
                    "fields": {
                        "snapshot_path": str(candidate.path),
                        "error": str(exc),
                        "kept_snapshot_id": self.index.snapshot_id if self.index else None,
                    }
                },
            )
            return False
        previous = self.index
        self.index = index  # the swap: one reference, atomic for readers
        self._current = candidate
        self._retired = previous
        _return_freed_memory()  # what the build used and dropped
        log.info(
            "snapshot loaded",
            extra={
                "fields": {
                    "snapshot_id": index.snapshot_id,
                    "snapshot_path": str(candidate.path),
                    "accounts": len(index),
                    "seconds": round(time.perf_counter() - started, 3),
                    "replaced_snapshot_id": previous.snapshot_id if previous else None,
                }
            },
        )
        return True

    def retire(self, grace_seconds: float = 1.0, max_wait: float = 10.0) -> None:
        """Free the index replaced by the last swap, gently (see :meth:`FlagIndex.release`).

        A request reads the index once and finishes its lookup within microseconds, so
        after ``grace_seconds`` nothing should still use the old one. To be sure, this also
        waits (up to ``max_wait`` seconds) until no one else holds a reference to it; a
        request that still does by then is only sending bytes it already has.

        Parameters
        ----------
        grace_seconds : float
            Seconds to wait before freeing.
        max_wait : float
            Seconds to wait, after the grace period, for other references to go.
        """
        retired, self._retired = self._retired, None
        if retired is None:
            return
        self._stop.wait(grace_seconds)
        deadline = time.monotonic() + max_wait
        # Two references are ours: the local name and getrefcount's own argument.
        while sys.getrefcount(retired) > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        with _responsive_gil():
            retired.release()
        del retired
        _return_freed_memory()

    def start(self) -> None:
        """Load now and keep polling on a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="linkguard-snapshots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.refresh():
                    self.retire()
            except Exception:
                log.exception("snapshot poll failed")
            self._stop.wait(self.poll_seconds)

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling; a build under way finishes first unless ``timeout`` runs out.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for the polling thread.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_ready(self, timeout: float) -> bool:
        """Wait until an index is served.

        Parameters
        ----------
        timeout : float
            Seconds to wait at most.

        Returns
        -------
        bool
            Whether an index is served.
        """
        deadline = time.monotonic() + timeout
        while self.index is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.index is not None

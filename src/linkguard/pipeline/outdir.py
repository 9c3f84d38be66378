"""The output folder of ``analyze``: what may be replaced, who may write it, how it is swapped.

A snapshot is written into a hidden sibling folder (``.NAME.tmp-*``) and swapped into place.
This module keeps that safe:

- **Only a snapshot is replaced.** ``OUT`` may be missing, empty, or a previous snapshot (a
  folder whose ``summary.json`` is a JSON object with a ``snapshot_id``). Any other folder is
  refused (:class:`OutputRefused`, exit code 2) unless ``force`` is given; the input folder,
  a folder that holds it (``--out .`` above the data) and a folder inside it are refused even
  then: the input is never touched.
- **One writer at a time.** :func:`output_folder` takes an exclusive ``flock`` on
  ``.NAME.lock`` beside ``OUT`` for the whole run (and removes the file at the end); a second
  run on the same ``OUT`` stops at once with exit code 2. The lock dies with its process, so a
  killed run never blocks the next.
- **One atomic step.** A previous snapshot is exchanged with the new one by a single
  ``renameat2(RENAME_EXCHANGE)`` (Linux), so ``OUT`` is at every instant the old or the new
  snapshot, never missing; elsewhere two renames are used, and a run killed between them is
  repaired by the next one.
- **No debris.** Under the lock no other run is writing, so every ``.NAME.tmp-*`` and
  ``.NAME.old-*`` left beside ``OUT`` belongs to a dead run and is removed (an ``.old-*``
  snapshot is first moved back to ``OUT`` when ``OUT`` itself is missing).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from linkguard.errors import InputError

__all__ = [
    "OutputRefused",
    "check_output_folder",
    "clean_debris",
    "is_snapshot_folder",
    "output_folder",
    "swap_into_place",
    "temporary_sibling",
]

SUMMARY_FILE = "summary.json"


class OutputRefused(InputError):
    """The output folder may not be written: not a snapshot, the input folder, or locked."""


def is_snapshot_folder(path: Path) -> bool:
    """Whether ``path`` holds a linkguard snapshot (its ``summary.json`` names a snapshot)."""
    try:
        summary = json.loads((path / SUMMARY_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and "snapshot_id" in summary


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def check_output_folder(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    force: bool = False,
) -> Path:
    """Refuse an output folder whose contents a snapshot must not replace; return it resolved.

    Parameters
    ----------
    out
        The snapshot folder to write.
    inputs
        Folders that are read (the data directory): ``out`` may not be one of them, hold
        one or lie inside one, whatever ``force`` says.
    force
        Replace a non-empty folder that is no snapshot.

    Raises
    ------
    OutputRefused
        With a message naming the folder and what to do.
    """
    target = Path(out).resolve()
    for source in inputs:
        src = Path(source).resolve()
        if _overlaps(target, src):
            raise OutputRefused(
                f"--out {out} would replace the input folder {source}: write the snapshot "
                "to a folder of its own (for example --out out/snapshot)"
            )
    if not target.exists():
        return target
    if not target.is_dir():
        raise OutputRefused(f"--out {out} exists and is not a folder; give a snapshot folder")
    if is_snapshot_folder(target) or force:
        return target
    if any(True for _ in target.iterdir()):
        raise OutputRefused(
            f"--out {out} is a non-empty folder that is not a linkguard snapshot (no "
            f"{SUMMARY_FILE}); refusing to replace it. Choose another folder, or pass "
            "--force to replace its contents"
        )
    return target


def _debris(target: Path) -> list[Path]:
    prefix = f".{target.name}."
    return sorted(
        p
        for p in target.parent.iterdir()
        if p.name.startswith(prefix) and p.name[len(prefix) :].startswith(("tmp-", "old-"))
    )


def clean_debris(target: Path) -> list[Path]:
    """Remove what dead runs left beside ``target``; call only while holding its lock.

    A snapshot left as ``.NAME.old-*`` when ``target`` is missing (a run killed between the
    two renames of the fallback swap) is moved back to ``target`` first.

    Returns
    -------
    list of Path
        The removed (or restored) paths.
    """
    found = _debris(target)
    if not target.exists():
        olds = [p for p in found if ".old-" in p.name and is_snapshot_folder(p)]
        if olds:
            newest = max(olds, key=lambda p: p.stat().st_mtime)
            newest.rename(target)
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return found


@contextlib.contextmanager
def output_folder(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    force: bool = False,
) -> Iterator[Path]:
    """Hold the lock of ``out`` for the block, after checking it and cleaning its debris.

    Yields the resolved folder; raises :class:`OutputRefused` when another run holds the
    lock or :func:`check_output_folder` refuses the folder.
    """
    inputs = list(inputs)
    target = check_output_folder(out, inputs=inputs, force=force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputRefused(
            f"--out {out}: cannot create its parent folder ({exc.strerror})"
        ) from exc
    lock_path = target.parent / f".{target.name}.lock"
    fd = _lock(lock_path, out)
    try:
        # Checked again under the lock: the folder may have changed since the first look.
        check_output_folder(out, inputs=inputs, force=force)
        clean_debris(target)
        yield target
    finally:
        # Removed while still held, so no lock file outlives the run; a run that opened the
        # old file meanwhile sees it is gone and tries again (see _lock).
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(fd)


def _lock(lock_path: Path, out: str | os.PathLike[str]) -> int:
    """An open descriptor of ``lock_path`` holding its exclusive lock."""
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise OutputRefused(
                f"--out {out}: cannot create the lock file {lock_path.name} ({exc.strerror})"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise OutputRefused(
                f"--out {out}: another linkguard run is writing this snapshot (it holds "
                f"{lock_path.name}); wait for it to finish or choose another folder"
            ) from exc
        try:
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed the file as we opened it: lock the new one


def temporary_sibling(target: Path) -> Path:
    """A fresh hidden folder beside ``target`` to write the next snapshot into."""
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one atomic step; False when the system cannot."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


_LIBC: ctypes.CDLL | None = None


def _libc() -> ctypes.CDLL:
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def swap_into_place(new: Path, target: Path) -> None:
    """Make the complete folder ``new`` be ``target``; the previous ``target`` is removed.

    With an existing ``target`` the two are exchanged atomically where the system allows
    (``renameat2``), else ``target`` is renamed aside and ``new`` into place.
    """
    if not target.exists():
        new.rename(target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the previous snapshot
        return
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)

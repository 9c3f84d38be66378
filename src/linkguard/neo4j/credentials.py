"""The dev server's password and files: never on a command line, never readable by others.

A password given as ``--password PW`` shows in every user's ``ps`` and in Neo4j's
``debug.log`` (which records the JVM's command line). The password is therefore taken from
``LINKGUARD_NEO4J_PASSWORD`` or from a file only its owner can read, and reaches the JVM
through its environment (``/proc/PID/environ`` is readable by the owner alone). The server's
data directory and logs are made owner-only.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "pw")
>>> fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
>>> os.write(fd, b"s3cret\\n"), os.close(fd)
(7, None)
>>> read_password_file(path)
's3cret'
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from linkguard.errors import InputError

__all__ = [
    "PASSWORD_ENV",
    "PASSWORD_OPTION_REMOVED",
    "make_private",
    "open_private",
    "read_password_file",
    "resolve_password",
]

#: Where the password is read from (the Java launcher reads the same variable).
PASSWORD_ENV = "LINKGUARD_NEO4J_PASSWORD"

#: Why ``--password`` is refused.
PASSWORD_OPTION_REMOVED = (
    "--password is no longer accepted: a password on the command line is visible to every "
    f"user (ps) and lands in Neo4j's debug.log. Set {PASSWORD_ENV}, or pass --password-file "
    "FILE with the password in a file only you can read (chmod 600)."
)


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The password held in ``path`` (one line; the line end is dropped).

    Parameters
    ----------
    path : path-like
        A regular file that only its owner may read or write.

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the file is missing, not a regular file, readable or writable by group or
        others, or empty.
    """
    file = Path(path)
    try:
        info = file.stat()
    except OSError as exc:
        raise InputError(f"--password-file {file}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"--password-file {file}: not a regular file")
    if info.st_mode & 0o077:
        raise InputError(
            f"--password-file {file}: readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run chmod 600 {file}"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--password-file {file}: unreadable ({exc})") from exc
    password = text.splitlines()[0] if text else ""
    if not password:
        raise InputError(f"--password-file {file}: empty")
    return password


def resolve_password(
    password_file: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The dev server's password: from ``password_file``, else ``LINKGUARD_NEO4J_PASSWORD``.

    Parameters
    ----------
    password_file : path-like, optional
        See :func:`read_password_file`.
    environ : mapping, optional
        The environment (default ``os.environ``).

    Returns
    -------
    str or None
        None when neither gives one: the server then runs without authentication.
    """
    if password_file is not None:
        return read_password_file(password_file)
    env = os.environ if environ is None else environ
    return env.get(PASSWORD_ENV) or None


def make_private(home: Path) -> None:
    """Make the server's data directory and logs readable by their owner only.

    The directory, its ``logs``, ``data`` and ``run`` folders become 0700 and the files
    already in ``logs`` 0600 (files the server creates later follow its umask, 077).

    Parameters
    ----------
    home : Path
        The data directory.
    """
    for folder in (home, home / "logs", home / "data", home / "run"):
        with contextlib.suppress(FileNotFoundError):
            folder.chmod(0o700)
    logs = home / "logs"
    if logs.is_dir():
        for file in logs.iterdir():
            if file.is_file():
                file.chmod(0o600)


def open_private(path: Path) -> int:
    """Open ``path`` for appending, created owner-only (0600) if new; returns the descriptor.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    int
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return fd

"""Limits on the shape of an input file, so a hostile file is refused quickly and clearly.

Each limit stops the run with exit code 2 and a message naming the file (:class:`InputError`):

- only regular files are read (a FIFO, a device such as ``/dev/zero`` or a folder named
  ``orders.csv`` would hang or never end);
- a header has at most :data:`MAX_COLUMNS` columns and fits in :data:`MAX_HEADER_BYTES`;
- a gzip file may expand to at most :data:`GZIP_MAX_RATIO` times its size (or
  :data:`GZIP_FLOOR_BYTES`, whichever is larger), decompressed as a stream, so a
  decompression bomb is stopped after a bounded amount of memory.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from pathlib import Path

import pyarrow as pa

from linkguard.errors import InputError

__all__ = [
    "GZIP_FLOOR_BYTES",
    "GZIP_MAX_RATIO",
    "MAX_COLUMNS",
    "MAX_HEADER_BYTES",
    "check_columns",
    "check_regular_file",
    "read_gzip",
]

#: The most columns a table file may have (the contract needs at most ten).
MAX_COLUMNS = 1000
#: The longest header row.
MAX_HEADER_BYTES = 1 << 20
#: How many times its size a gzip file may expand (CSV exports compress 3-20 times; a
#: decompression bomb about a thousand times) ...
GZIP_MAX_RATIO = 200
#: ... with at least this much allowed, whatever the compressed size.
GZIP_FLOOR_BYTES = 64 << 20
_CHUNK = 4 << 20

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular_file(path: Path) -> None:
    """Refuse anything but a regular file (a symbolic link to one is fine)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise InputError(f"{path}: {kind}, not a regular file; give a table file")


def check_columns(count: int, file: str) -> None:
    """Refuse a header with more than :data:`MAX_COLUMNS` columns."""
    if count > MAX_COLUMNS:
        raise InputError(
            f"{file}: the header has {count:,} columns; at most {MAX_COLUMNS:,} are accepted"
        )


def read_gzip(path: Path) -> pa.Buffer:
    """The decompressed bytes of a gzip file, refused beyond the expansion limit."""
    limit = max(GZIP_FLOOR_BYTES, GZIP_MAX_RATIO * os.stat(path).st_size)
    parts: list[bytes] = []
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            while True:
                part = fh.read(_CHUNK)
                if not part:
                    break
                total += len(part)
                if total > limit:
                    raise InputError(
                        f"{path}: expands to more than {limit:,} bytes ({GZIP_MAX_RATIO} times "
                        "its size); refused as a likely decompression bomb"
                    )
                parts.append(part)
    except (OSError, EOFError, zlib.error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"{path}: cannot read the file ({why or type(exc).__name__})") from exc
    return pa.py_buffer(b"".join(parts))

"""Whether numba has compiled linkguard's kernels before (its on-disk cache is there).

Every kernel is compiled with ``cache=True``: the first run compiles them (about 30 s on two
cores) and writes them beside the modules (``__pycache__``), or under ``NUMBA_CACHE_DIR``, or
in numba's user cache when the package folder is read-only; later runs load them in well
under a second. :func:`kernels_cached` lets the CLI say so on the first run only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["FIRST_RUN_NOTE", "kernels_cached"]

FIRST_RUN_NOTE = (
    "first run: compiling linkguard's numeric kernels (about 30 s, once; they are cached "
    "for later runs)"
)
#: Modules whose kernels every analysis compiles.
_MODULES = ("linkguard.detect._peel", "linkguard.detect.cycles", "linkguard.io._kernels")


def _cache_dirs(source: Path) -> list[Path]:
    dirs = [source.parent / "__pycache__"]
    override = os.environ.get("NUMBA_CACHE_DIR")
    if override:
        dirs.append(Path(override))
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    dirs.append(home / "numba")
    return dirs


def kernels_cached() -> bool:
    """True when a numba cache index exists for each of the main kernel modules.

    Examples
    --------
    >>> isinstance(kernels_cached(), bool)
    True
    """
    import importlib.util

    for name in _MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return False
        source = Path(spec.origin)
        stem = source.stem
        found = False
        for folder in _cache_dirs(source):
            pattern = f"{stem}.*-*.py{sys.version_info.major}{sys.version_info.minor}.nbi"
            if folder.is_dir() and any(folder.rglob(pattern)):
                found = True
                break
        if not found:
            return False
    return True

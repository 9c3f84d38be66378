"""Which file of a data directory holds which table (contract section 1)."""

from __future__ import annotations

from pathlib import Path

from linkguard.errors import InputError
from linkguard.schema import TABLES

__all__ = ["SUFFIXES", "find_tables"]

#: File name endings a table may have, in the order they are listed to users.
SUFFIXES = (".csv", ".csv.gz", ".parquet")


def find_tables(data_dir: Path) -> dict[str, Path]:
    """Map each table present in ``data_dir`` to its file.

    File names are matched case-insensitively (``Orders.CSV`` is the orders table); files
    that are no table of the contract are ignored.

    Raises
    ------
    InputError
        When ``data_dir`` is no directory, a table has two files, or ``orders`` is missing.
    """
    if not data_dir.is_dir():
        raise InputError(f"{data_dir}: not a directory (expected a data directory)")
    found: dict[str, list[Path]] = {}
    for entry in sorted(data_dir.iterdir()):
        table = _table_of(entry.name)
        if table is not None:
            found.setdefault(table, []).append(entry)
    for table, paths in found.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            raise InputError(f"{data_dir}: table {table!r} has several files ({names}); keep one")
    for spec in TABLES.values():
        if spec.is_required and spec.name not in found:
            endings = ", ".join(spec.name + s for s in SUFFIXES)
            raise InputError(f"{data_dir}: no {spec.name} table (expected one of {endings})")
    # Tables in contract order, so reading and reports follow it.
    return {name: found[name][0] for name in TABLES if name in found}


def _table_of(file_name: str) -> str | None:
    lower = file_name.lower()
    for suffix in SUFFIXES:
        if lower.endswith(suffix) and lower[: -len(suffix)] in TABLES:
            return lower[: -len(suffix)]
    return None

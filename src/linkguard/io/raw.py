"""A table as read from its file, before any validation: every column as bytes, every row's line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from linkguard.errors import SchemaError
from linkguard.schema import TableSpec

__all__ = ["MalformedRow", "RawTable", "fold_fields", "normalise_header"]


@dataclass(frozen=True)
class MalformedRow:
    """A record that cannot be matched to the header's columns.

    ``fields`` are the record's fields in order, as bytes. ``reason`` is ``malformed_row``
    (more or fewer fields than the header) or ``stray_quote`` (a line a quoted value
    swallowed, see :mod:`linkguard.io.spans`).
    """

    line: int
    fields: tuple[bytes, ...]
    reason: str = "malformed_row"


def fold_fields(fields: list[str], width: int) -> tuple[bytes, ...]:
    """A malformed record's fields as bytes, at most ``width`` of them.

    Surplus fields join the last one with commas, as the quarantine shows them anyway; a row
    of two million commas then costs ``width`` values, not two million.
    """
    if width > 0 and len(fields) > width:
        fields = [*fields[: width - 1], ",".join(fields[width - 1 :])]
    return tuple(f.encode("utf-8", errors="surrogateescape") for f in fields)


@dataclass(frozen=True)
class RawTable:
    """One input table, undecoded.

    Attributes
    ----------
    table
        Table name (``orders`` …).
    file
        The file's name (no directory), as quarantine rows and errors cite it.
    columns
        Normalised, unique column names in file order (see :func:`normalise_header`).
    data
        One Arrow binary (or string) array per column; nulls only from Parquet.
    lines
        ``lines[i]`` is where row ``i`` of ``data`` came from: its physical CSV line (header =
        line 1) or its 1-based Parquet row number.
    malformed
        Rows that could not be split into the header's columns (CSV only).
    """

    table: str
    file: str
    columns: tuple[str, ...]
    data: tuple[pa.ChunkedArray, ...]
    lines: np.ndarray
    malformed: tuple[MalformedRow, ...] = ()

    @property
    def n_rows(self) -> int:
        """Rows split into columns (the malformed ones not included)."""
        return len(self.lines)

    @property
    def rows_in(self) -> int:
        """Every data row the file holds."""
        return len(self.lines) + len(self.malformed)


def normalise_header(names: list[str], spec: TableSpec, file: str) -> tuple[str, ...]:
    """Column names as matched against the contract: stripped and lowercased.

    Raises
    ------
    SchemaError
        When a required column is missing, or a contract column appears twice (which copy
        would count is anybody's guess). Other repeated names get a ``_2``, ``_3`` … suffix.
    """
    out: list[str] = []
    taken: set[str] = set()
    given = set(names)
    next_suffix: dict[str, int] = {}  # where the search for a free suffix resumes: linear time
    for raw in names:
        name = raw.strip().lower()
        if name in taken:
            if name in spec.columns:
                raise SchemaError(f"{file}: column {name!r} appears more than once")
            n = next_suffix.get(name, 2)
            while f"{name}_{n}" in taken or f"{name}_{n}" in given:
                n += 1
            next_suffix[name] = n + 1
            name = f"{name}_{n}"
        out.append(name)
        taken.add(name)
    for required in spec.required:
        if required not in out:
            raise SchemaError(
                f"{file}: required column {required!r} is missing "
                f"(table {spec.name} needs {', '.join(spec.required)})"
            )
    return tuple(out)

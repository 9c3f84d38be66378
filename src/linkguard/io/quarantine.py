"""The rejected rows of a table, as the quarantine frame keeps them.

One row per rejected input row: ``file``, ``line``, ``column`` (the offending column, empty for a
whole-row problem), ``reason``, then every column of the input row as text, in file order.
Bytes that are not UTF-8 are shown with U+FFFD in their place.

Identifier values never appear raw: in the identifiers table the ``value`` column holds the
same keyed hash a loaded row would get, the hash of the raw bytes when the value is not text,
or nothing when it is blank. A malformed identifiers row cannot be matched to columns, so each
of its non-empty fields is hashed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from linkguard.io.arrow import take_rows
from linkguard.io.hashing import hash_bytes
from linkguard.io.validate import REASONS, CheckedTable

__all__ = ["META_COLUMNS", "quarantine_frame"]

#: Columns every quarantine frame starts with.
META_COLUMNS = ("file", "line", "column", "reason")


def quarantine_frame(checked: CheckedTable, pepper: bytes) -> pd.DataFrame:
    """The rejected rows of ``checked`` (malformed ones included), ordered by line."""
    raw = checked.raw
    names = _output_names(raw.columns)
    rows = np.flatnonzero(checked.reason > 0)
    frame: dict[str, list[str] | np.ndarray] = {
        "file": [raw.file] * len(rows),
        "line": raw.lines[rows],
        "column": [raw.columns[c] if c >= 0 else "" for c in checked.column[rows].tolist()],
        "reason": [REASONS[r - 1] for r in checked.reason[rows].tolist()],
    }
    hide = raw.table == "identifiers"
    for i, name in enumerate(names):
        if hide and raw.columns[i] == "value":
            frame[name] = _hidden_values(checked, i, rows, pepper)
            continue
        # Parquet nulls show as empty fields, like empty CSV fields.
        shown = pc.fill_null(take_rows(checked.text[i], rows), "").to_pylist()
        broken = checked.broken.get(i)
        if broken is not None:
            original = take_rows(raw.data[i], rows).to_pylist()
            for j in np.flatnonzero(broken[rows]).tolist():
                shown[j] = original[j].decode("utf-8", errors="replace")
        frame[name] = shown

    out = pd.DataFrame(frame, columns=[*META_COLUMNS, *names])
    if raw.malformed:
        width = len(names)
        malformed = pd.DataFrame(
            [
                [raw.file, m.line, "", m.reason, *_spread(m.fields, width, hide, pepper)]
                for m in raw.malformed
            ],
            columns=[*META_COLUMNS, *names],
        )
        out = pd.concat([out, malformed], ignore_index=True) if len(out) else malformed
    out["line"] = out["line"].astype("int64")
    return out.sort_values("line", kind="stable", ignore_index=True)


def _output_names(columns: tuple[str, ...]) -> list[str]:
    """Input column names, renamed where they would shadow a meta column."""
    out: list[str] = []
    for name in columns:
        while name in META_COLUMNS or name in out:
            name = f"{name}_input"
        out.append(name)
    return out


def _hidden_values(checked: CheckedTable, col: int, rows: np.ndarray, pepper: bytes) -> list[str]:
    """What the quarantine shows of the identifier values of ``rows``: hashes, never values.

    The hash a loaded row would get; for a value that is not UTF-8, or that normalises to
    nothing (a phone number without digits), the hash of its raw bytes; blank stays blank.
    """
    hashes = take_rows(checked.values["value_hash"], rows).to_pylist()
    original = take_rows(checked.raw.data[col], rows).to_pylist()
    redo = [j for j, h in enumerate(hashes) if not h and original[j] and original[j].strip()]
    for j, digest in zip(redo, hash_bytes([original[j] for j in redo], pepper), strict=True):
        hashes[j] = digest
    return [h or "" for h in hashes]


def _spread(fields: tuple[bytes, ...], width: int, hide: bool, pepper: bytes) -> list[str]:
    """A malformed record's fields over ``width`` columns; surplus fields join the last one.

    In the identifiers table every non-empty field is hashed: which one is the value cannot
    be told once the fields no longer line up with the header.
    """
    if hide:
        digests = iter(hash_bytes([f for f in fields if f], pepper))
        shown = [next(digests) if f else "" for f in fields]
    else:
        shown = [f.decode("utf-8", errors="replace") for f in fields]
    if len(shown) > width:
        shown = [*shown[: width - 1], ",".join(shown[width - 1 :])]
    return shown + [""] * (width - len(shown))

"""Reading one table file (``.csv``, ``.csv.gz``, ``.parquet``) into a :class:`RawTable`.

CSV is read by Arrow's multi-threaded reader with every column as raw bytes, so that nothing is
converted, trimmed or rejected by the reader: validation decides what a bad row is. Rows with the
wrong number of fields are skipped by the reader and recovered here, with their line numbers,
from :mod:`linkguard.io.csvlayout`. When the file's quoting is irregular, or the two views of the
file disagree, the file is read again with Python's :mod:`csv` module, which is slow but gives
the line of every record by construction.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from linkguard.errors import InputError
from linkguard.io.csvlayout import LineStats, line_stats, scan_records
from linkguard.io.limits import MAX_HEADER_BYTES, check_columns, check_regular_file, read_gzip
from linkguard.io.raw import MalformedRow, RawTable, fold_fields, normalise_header
from linkguard.io.spans import split_swallowed
from linkguard.schema import TableSpec

__all__ = ["parquet_column_as_bytes", "read_csv_bytes", "read_raw"]

#: A whole file's bytes: ``bytes``, or a ``pyarrow.Buffer`` (no copy into Python memory).
FileBytes: TypeAlias = Any

_BOM = b"\xef\xbb\xbf"
#: Bytes per parallel parsing block: large enough that threads do not wait on each other.
_BLOCK_SIZE = 4 << 20


def read_raw(path: Path, spec: TableSpec) -> RawTable:
    """Read the file of table ``spec`` at ``path``.

    Raises
    ------
    InputError
        When the file cannot be read or decoded (the message names the file).
    SchemaError
        When a required column is missing.
    """
    name = path.name
    check_regular_file(path)
    if name.lower().endswith(".parquet"):
        return _read_parquet(path, spec)
    if name.lower().endswith(".gz"):
        return read_csv_bytes(read_gzip(path), spec, name)
    try:
        data = _read_file(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({_why(exc)})") from exc
    return read_csv_bytes(data, spec, name)


def _read_file(path: Path) -> pa.Buffer:
    """The whole file, read straight into Arrow memory.

    Arrow's allocator hands out memory in large pages; a ``bytes`` object of the same size
    costs a page fault per 4 KiB, which on a 100 MB file is more than the copy itself.
    """
    with path.open("rb") as fh:
        buffer = pa.allocate_buffer(os.fstat(fh.fileno()).st_size)
        size = fh.readinto(buffer)
        rest = fh.read()  # nothing, unless the file grew while it was read
    if size == len(buffer) and not rest:
        return buffer
    return pa.py_buffer(buffer[:size].to_pybytes() + rest)


def read_csv_bytes(data: FileBytes, spec: TableSpec, file: str) -> RawTable:
    """Split a whole CSV file held in memory into columns of bytes, with line numbers.

    Parameters
    ----------
    data
        The file's bytes (decompressed), as ``bytes`` or a ``pyarrow.Buffer``.
    spec
        The table it holds.
    file
        The file's name, for messages and quarantine rows.
    """
    data = data if isinstance(data, pa.Buffer) else pa.py_buffer(data)
    if data[: len(_BOM)].to_pybytes() == _BOM:
        data = data[len(_BOM) :]
    header = _header(data, file)
    columns = normalise_header(header, spec, file)
    stats = line_stats(data)
    raw = _read_with_arrow(data, stats, header, columns, spec.name, file)
    if raw is None:
        raw = _read_with_csv_module(data, columns, spec.name, file)
    # Only a quoted value can make a record span lines; most files have none. With a bare
    # "\r" line ends are ambiguous (the exact reader counts it as one): lines are its own.
    if stats.quotes_span_lines and not stats.bare_cr:
        return split_swallowed(raw, data)
    return raw


def _header(data: pa.Buffer, file: str) -> list[str]:
    # The header is the first non-blank record; 1 MiB is more than any header needs.
    head = data[:MAX_HEADER_BYTES].to_pybytes()
    if not head or (head.isspace() and (len(data) == len(head) or _bytes(data).isspace())):
        raise InputError(f"{file}: the file is empty (a header row is expected)")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < head.find(b"\n") or b"\n" not in head:
            raise InputError(f"{file}: the header row is not UTF-8 text") from exc
        text = head[: exc.start].decode("utf-8")
    if len(data) > len(head) and not head.lstrip().count(b"\n"):
        raise InputError(
            f"{file}: the header row is longer than {MAX_HEADER_BYTES:,} bytes (or the file has "
            "no line breaks)"
        )
    for row in csv.reader(io.StringIO(text, newline="")):
        if row:
            check_columns(len(row), file)
            return row
    raise InputError(f"{file}: the file has no header row")


def _read_with_arrow(
    data: pa.Buffer,
    stats: LineStats,
    header: list[str],
    columns: tuple[str, ...],
    table: str,
    file: str,
) -> RawTable | None:
    """The fast path; ``None`` when the file needs the exact reader."""
    invalid: list[int] = []

    def skip_invalid(_row: object) -> str:
        invalid.append(1)  # list.append is atomic: the reader may call from several threads
        return "skip"

    try:
        arrow = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(block_size=_BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                # Quote tracking across lines slows parallel parsing; only values spanning
                # lines need it.
                newlines_in_values=stats.quotes_span_lines,
                invalid_row_handler=skip_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.binary() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if arrow.num_columns != len(columns) or any(t != pa.binary() for t in arrow.schema.types):
        return None
    data_columns = tuple(arrow.columns)
    if not invalid and stats.one_record_per_line(arrow.num_rows + 1):
        lines = np.arange(2, arrow.num_rows + 2, dtype=np.int64)
        return RawTable(table, file, columns, data_columns, lines)
    layout = scan_records(data)
    if layout is None or layout.fields[0] != len(columns):
        return None
    bad = layout.fields[1:] != len(columns)
    if int(bad.sum()) != len(invalid) or int((~bad).sum()) != arrow.num_rows:
        return None
    data_lines = layout.lines[1:]
    malformed = tuple(
        MalformedRow(int(line), _split_record(data[start:end].to_pybytes(), len(columns)))
        for line, start, end in zip(
            data_lines[bad].tolist(),
            layout.starts[1:][bad].tolist(),
            layout.ends[1:][bad].tolist(),
            strict=True,
        )
    )
    return RawTable(table, file, columns, data_columns, data_lines[~bad], malformed)


def _split_record(record: bytes, width: int) -> tuple[bytes, ...]:
    text = record.decode("utf-8", errors="surrogateescape")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return fold_fields(rows[0] if rows else [], width)


def _read_with_csv_module(
    data: FileBytes, columns: tuple[str, ...], table: str, file: str
) -> RawTable:
    """The exact path: one Python call per row, used only for irregular files."""
    text = _bytes(data).decode("utf-8", errors="surrogateescape")
    values: list[list[bytes]] = [[] for _ in columns]
    lines: list[int] = []
    malformed: list[MalformedRow] = []
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, min(len(data) + 1, sys.maxsize)))
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        seen_header = False
        last = 0
        for row in reader:
            line, last = last + 1, reader.line_num
            if not row:
                continue
            if not seen_header:
                seen_header = True
                continue
            if len(row) != len(columns):
                malformed.append(MalformedRow(line, fold_fields(row, len(columns))))
                continue
            fields = [f.encode("utf-8", errors="surrogateescape") for f in row]
            lines.append(line)
            for store, value in zip(values, fields, strict=True):
                store.append(value)
    except csv.Error as exc:
        raise InputError(f"{file}: not a readable CSV file ({exc})") from exc
    finally:
        csv.field_size_limit(old_limit)
    arrays = tuple(pa.chunked_array([pa.array(v, pa.binary())]) for v in values)
    return RawTable(
        table, file, columns, arrays, np.asarray(lines, dtype=np.int64), tuple(malformed)
    )


def _bytes(data: FileBytes) -> bytes:
    return data.to_pybytes() if isinstance(data, pa.Buffer) else bytes(data)


def _read_parquet(path: Path, spec: TableSpec) -> RawTable:
    try:
        check_columns(len(pq.read_schema(path).names), path.name)
        arrow = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot read the Parquet file ({_why(exc)})") from exc
    columns = normalise_header(list(arrow.column_names), spec, path.name)
    keep: list[int] = []
    data: list[pa.ChunkedArray] = []
    for i, name in enumerate(columns):
        as_bytes = parquet_column_as_bytes(arrow.column(i))
        if as_bytes is None:
            if name in spec.columns:
                raise InputError(
                    f"{path}: column {name!r} has type {arrow.column(i).type}, "
                    "which cannot be read as text"
                )
            continue  # an extra nested column: ignored, like any unknown column
        keep.append(i)
        data.append(as_bytes)
    lines = np.arange(1, arrow.num_rows + 1, dtype=np.int64)
    return RawTable(spec.name, path.name, tuple(columns[i] for i in keep), tuple(data), lines)


def parquet_column_as_bytes(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A typed Parquet column as text bytes (numbers and times in Arrow's ISO rendering)."""
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
        return col.cast(pa.binary())
    try:
        return col.cast(pa.string()).cast(pa.binary())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return None


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__

"""Hostile input folders for ``linkguard analyze``, built on demand (nothing large is committed).

Each :class:`Case` writes one data folder and says what ``analyze`` must do with it: the exit
code, words its message must hold, and what its summary must show. ``test_hostile.py`` runs
them all; to look at one by hand::

    python tests/hostile/hostile_cases.py /tmp/hostile          # every case, one folder each
    linkguard analyze /tmp/hostile/stray_quotes --out /tmp/s

Every folder holds identifier values that must never appear in any output (:data:`RAW_VALUES`).
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

HEADER = "order_id,buyer_id,seller_id,amount,created_at"

#: Raw identifier values planted in every case: no output may hold them.
RAW_VALUES = ("+1 555 0199 4242", "DEVICE-RAW-7f3a9c", "raw.secret@example.org")


def orders(n: int = 20, seller: str = "s1") -> list[str]:
    """``n`` well-formed order lines (no header)."""
    return [f"o{i},b{i},{seller},10.00,2026-01-01T10:{i % 60:02d}:00Z" for i in range(1, n + 1)]


def write_lines(path: Path, lines: list[str], newline: str = "\n") -> None:
    path.write_bytes((newline.join(lines) + newline).encode("utf-8", "surrogateescape"))


def identifiers(data: Path) -> None:
    """An identifiers table holding :data:`RAW_VALUES`, some rows of it quarantined."""
    lines = ["account_id,kind,value"]
    for i in range(1, 5):
        lines += [f"b{i},phone,{RAW_VALUES[0]}", f"b{i},device,{RAW_VALUES[1]}"]
    lines += [
        f"b5,email,{RAW_VALUES[2]}",
        f",email,{RAW_VALUES[2]}",  # missing id
        f'"b\x006",device,{RAW_VALUES[1]}',  # control character in the id
        f"b7,device,{RAW_VALUES[1]},extra",
    ]  # malformed
    write_lines(data / "identifiers.csv", lines)


@dataclass(frozen=True)
class Case:
    """One hostile folder and what ``analyze`` must make of it."""

    name: str
    #: Writes the folder (what it returns, if anything, is not used).
    build: Callable[[Path], object]
    exit_code: int = 0
    #: Words the printed message must hold (whitespace-insensitive).
    messages: tuple[str, ...] = ()
    #: Expected ``{table: (rows_in, rows_loaded)}``.
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Expected quarantine reasons of orders (a subset of ``by_reason``).
    reasons: dict[str, int] = field(default_factory=dict)
    #: Expected flag counts per code (at least).
    flags: dict[str, int] = field(default_factory=dict)
    #: Where ``--out`` points: ``"new"``, ``"input"`` (the data folder) or ``"parent"``.
    out: str = "new"
    #: Extra arguments to ``analyze``.
    args: tuple[str, ...] = ()
    #: Skip identifiers.csv (cases about the folder itself).
    with_identifiers: bool = True

    def make(self, data: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        if self.with_identifiers:
            identifiers(data)
        self.build(data)


def _orders(lines: list[str], header: str = HEADER, newline: str = "\n") -> Callable[[Path], None]:
    def build(data: Path) -> None:
        write_lines(data / "orders.csv", [header, *lines], newline)

    return build


def _replace(lines: list[str], i: int, old: str, new: str) -> list[str]:
    out = list(lines)
    out[i] = out[i].replace(old, new)
    return out


def _self_orders(data: Path) -> None:
    lines = []
    for i in range(9):
        lines.append(f"self{i},shop,shop,500.00,2026-01-0{i + 1}T10:00:00Z")
        lines.append(f"real{i},buyer{i},shop,20.00,2026-01-0{i + 1}T12:00:00Z")
    write_lines(data / "orders.csv", [HEADER, *lines])


def _odd_ids(data: Path) -> None:
    sellers = ["店铺-7", "shop one", "a+b", "o'brien", "n/s", "100%", "#1", "é" * 128]
    lines = [f"o{i},{s},{s},50,2026-01-01T10:{i:02d}:00Z" for i, s in enumerate(sellers)]
    lines += [
        'x1,"line\nbreak",s,5,2026-01-01T11:00:00Z',
        f"x2,{'x' * 129},s,5,2026-01-01T11:01:00Z",
        "x3,..,s,5,2026-01-01T11:02:00Z",
    ]
    write_lines(data / "orders.csv", [HEADER, *lines])


def _duplicate_header(data: Path) -> None:
    write_lines(data / "orders.csv", [HEADER + ",x" * 100_000, *orders(3)])


def _wide(data: Path) -> None:
    extra = "".join(f",c{i}" for i in range(100_000))
    write_lines(data / "orders.csv", [HEADER + extra, *orders(2)])


def _wide_parquet(data: Path) -> None:
    columns = {c: ["1"] for c in HEADER.split(",")} | {f"c{i}": ["x"] for i in range(2000)}
    pq.write_table(pa.table(columns), data / "orders.parquet")


def _gzip_bomb(data: Path) -> None:
    with gzip.open(data / "orders.csv.gz", "wb", compresslevel=9) as fh:
        fh.write((HEADER + "\n").encode())
        block = b"0" * (1 << 20)
        for _ in range(80):  # 80 MiB of zeros in about 80 KiB
            fh.write(block)


def _truncated_gzip(data: Path) -> None:
    blob = gzip.compress(("\n".join([HEADER, *orders(200)]) + "\n").encode())
    (data / "orders.csv.gz").write_bytes(blob[: len(blob) // 2])


def _good_gzip(data: Path) -> None:
    (data / "orders.csv.gz").write_bytes(
        gzip.compress(("\n".join([HEADER, *orders(20)]) + "\n").encode())
    )


def _fifo(data: Path) -> None:
    os.mkfifo(data / "orders.csv")


def _dev_zero(data: Path) -> None:
    (data / "orders.csv").symlink_to("/dev/zero")


def _folder_named_orders(data: Path) -> None:
    (data / "orders.csv").mkdir()


def _formulas(data: Path) -> None:
    lines = [
        *orders(5),
        'f1,"=HYPERLINK(""http://evil"")",s1,10,2026-01-01T10:00:00Z',
        "f2,@SUM(A1),s1,+cmd|' /C calc'!A0,2026-01-01T10:00:00Z",
        "f3,b3,s1,-5,2026-01-01T10:00:00Z",
        'f4,"b\r4",s1,10,2026-01-01T10:00:00Z',
        'f5,b5,s1,10,"\t2026"',
    ]
    write_lines(data / "orders.csv", [HEADER, *lines], "\r\n")


def _bracket_folder(data: Path) -> None:
    write_lines(data / "orders.csv", [HEADER, *orders(5)])


def _dates(data: Path) -> None:
    lines = [
        *orders(5),
        "d1,b1,s1,5,0000-01-01T00:00:00Z",
        "d2,b1,s1,5,+10000-01-01T00:00:00Z",
        "d3,b1,s1,5,9999-12-31T23:59:59-01:00",
        "d4,b1,s1,5,not-a-date",
    ]
    write_lines(data / "orders.csv", [HEADER, *lines])


def _binary(data: Path) -> None:
    (data / "orders.csv").write_bytes(bytes(range(256)) * 40)


def _bad_utf8_rows(data: Path) -> None:
    lines = orders(5)
    (data / "orders.csv").write_bytes(
        ("\n".join([HEADER, *lines]) + "\n").encode() + b"o9,b\xff\xfe,s1,5,2026-01-01T00:00:00Z\n"
    )


def _mixed(data: Path) -> None:
    lines = [
        *orders(10),
        "o1,b1,s1,10,2026-01-01T10:00:00Z",  # duplicate id
        "m1,,s1,10,2026-01-01T10:00:00Z",  # missing id
        "m2,b,s1,1e308,2026-01-01T10:00:00Z",
        "m3,b,s1,1e41,2026-01-01T10:00:00Z",
        "m4,b,s1,nan,2026-01-01T10:00:00Z",
        "m5,b,s1,inf,2026-01-01T10:00:00Z",
        "m6,b,s1,-1,2026-01-01T10:00:00Z",
        "m7,b,s1,1,2026-01-01T10:00:00Z,extra",
        "",
        "m8,b,s1",
    ]
    write_lines(data / "orders.csv", [HEADER, *lines])


def _many_fields(data: Path) -> None:
    write_lines(data / "orders.csv", [HEADER, *orders(2), "x" + "," * 2_000_000])


def _header_only(data: Path) -> None:
    write_lines(data / "orders.csv", [HEADER])


def _empty(data: Path) -> None:
    (data / "orders.csv").write_bytes(b"")


def _no_orders(data: Path) -> None:
    pass


def _long_header(data: Path) -> None:
    (data / "orders.csv").write_bytes(HEADER.encode() + b"," + b"x" * (2 << 20) + b"\n")


CASES: tuple[Case, ...] = (
    Case("baseline", _orders(orders(20)), rows={"orders": (20, 20), "identifiers": (12, 9)}),
    Case(
        "out_is_input",
        _orders(orders(5)),
        2,
        ("would replace the input folder",),
        out="input",
        args=("--force",),
    ),
    Case(
        "out_above_input", _orders(orders(5)), 2, ("would replace the input folder",), out="parent"
    ),
    Case("self_orders", _self_orders, rows={"orders": (18, 18)}, flags={"SELF_DEALING": 1}),
    Case(
        "absurd_amounts",
        _mixed,
        rows={"orders": (19, 10)},
        reasons={
            "amount_too_large": 2,
            "bad_amount": 2,
            "negative_amount": 1,
            "duplicate_id": 1,
            "missing_id": 1,
            "malformed_row": 2,
        },
    ),
    Case(
        "odd_ids",
        _odd_ids,
        rows={"orders": (11, 8)},
        reasons={"bad_id": 3},
        flags={"SELF_DEALING": 8},
    ),
    Case(
        "stray_quotes",
        _orders(_replace(_replace(orders(19), 4, ",b5,", ',"b5,'), 6, ",b7,", ',b7",')),
        rows={"orders": (19, 16)},
        reasons={"stray_quote": 3},
    ),
    Case(
        "unclosed_quote",
        _orders(_replace(orders(19), 4, ",b5,", ',"b5,')),
        rows={"orders": (19, 4)},
        reasons={"stray_quote": 15},
    ),
    Case(
        "nul_in_id",
        _orders(_replace(orders(5), 1, ",b2,", ',"b\x002",')),
        rows={"orders": (5, 4)},
        reasons={"bad_id": 1},
    ),
    Case("duplicate_header_100k", _duplicate_header, 2, ("100,005 columns", "at most 1,000")),
    Case("columns_100k", _wide, 2, ("100,005 columns",)),
    Case("parquet_2000_columns", _wide_parquet, 2, ("2,005 columns",)),
    Case("row_with_2m_fields", _many_fields, rows={"orders": (3, 2)}, reasons={"malformed_row": 1}),
    Case("header_over_1mib", _long_header, 2, ("header row is longer",)),
    Case("gzip_bomb", _gzip_bomb, 2, ("decompression bomb",)),
    Case("truncated_gzip", _truncated_gzip, 2, ("cannot read the file",)),
    Case("gzip", _good_gzip, rows={"orders": (20, 20)}),
    Case("fifo", _fifo, 2, ("named pipe",)),
    Case("dev_zero", _dev_zero, 2, ("character device",)),
    Case("folder_named_orders", _folder_named_orders, 2, ("a folder, not a regular file",)),
    Case(
        "formulas_and_bare_cr",
        _formulas,
        rows={"orders": (10, 7)},
        reasons={"bad_amount": 1, "negative_amount": 1, "bad_id": 1},
    ),
    Case(
        "dates_out_of_range",
        _dates,
        rows={"orders": (9, 5)},
        reasons={"timestamp_out_of_range": 3, "bad_timestamp": 1},
    ),
    Case("binary_garbage", _binary, 2, ("required column 'order_id' is missing",)),
    Case(
        "binary_header",
        lambda d: (d / "orders.csv").write_bytes(b"\xff\xfe\x00" * 5000),
        2,
        ("not UTF-8",),
    ),
    Case("bad_utf8_row", _bad_utf8_rows, rows={"orders": (6, 5)}, reasons={"bad_utf8": 1}),
    Case("crlf", _orders(orders(20), newline="\r\n"), rows={"orders": (20, 20)}),
    Case("header_only", _header_only, rows={"orders": (0, 0)}),
    Case("empty_file", _empty, 2, ("the file is empty",)),
    Case("no_orders", _no_orders, 2, ("no orders table",)),
)

#: Cases whose data folder name holds rich markup: the message must show it whole.
BRACKET_CASES: tuple[Case, ...] = (
    Case("bracket[old]", _bracket_folder, rows={"orders": (5, 5)}),
    Case("bracket[old]_missing", _no_orders, 2, ("bracket[old]_missing", "no orders table")),
)


def build_all(root: Path) -> list[Path]:
    """Write every case's data folder under ``root``; return the folders."""
    made = []
    for case in (*CASES, *BRACKET_CASES):
        folder = root / case.name
        case.make(folder)
        made.append(folder)
    return made


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/hostile/hostile_cases.py OUT_DIR", file=sys.stderr)
        return 2
    for folder in build_all(Path(argv[0])):
        print(folder)
    return 0


def summary_numbers(value: Any) -> list[float]:
    """Every number in a parsed ``summary.json``."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in summary_numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in summary_numbers(v)]
    return []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

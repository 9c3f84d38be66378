"""Files for Neo4j's bulk importer (``neo4j-admin database import full``).

An initial load through ``UNWIND … MERGE`` batches runs at some ten thousand relationships a
second; the bulk importer writes the store directly and runs one to two orders of magnitude
faster. :func:`write_import_files` writes the same graph the batched loader builds (see
:mod:`linkguard.neo4j.loader`) as the importer's CSV files: one file per label and per
relationship type, headers carrying the property types, identifier values as the keyed hashes
made at ingest. The batched loader stays the path for increments and for servers one cannot
import into; :mod:`linkguard.neo4j.bulk_load` runs the import on the dev server.

Files written (``ARRAY_DELIMITER`` separates list elements; a missing value is an empty,
unquoted field, which the importer leaves unset, just as the loader's ``null`` does; a value
with a line break is quoted, and only then is the importer told to read multi-line fields,
which slows its parsing down several times)::

    accounts.csv       :ID(Account), id, seq:long, created_at:datetime, kind, region, status
    identifiers.csv    :ID(Identifier), kind, hash
    loans.csv          :ID(Loan), id, seq:long, applied_at:datetime, amount:double, product, …
    uses.csv           :START_ID(Account), :END_ID(Identifier), rows:long[]
    bought_from.csv    :START_ID(Account), :END_ID(Account), orders:long, amount:double, …
    applied_for.csv    :START_ID(Account), :END_ID(Loan)

Node ids are integers (``--id-type=integer``, not stored as properties): an account's and a
loan's ``seq``, an identifier's position in the file. The importer maps integers to nodes
much faster than strings, and the files are smaller; ``id`` is an ordinary string property.

Examples
--------
>>> import tempfile, pandas as pd
>>> from linkguard.market import Market
>>> orders = pd.DataFrame({"order_id": ["o1"], "buyer_id": ["b"], "seller_id": ["s"],
...                        "amount": [9.5], "created_at": ["2026-01-01T10:00:00Z"]})
>>> files = write_import_files(Market.from_frames(orders), tempfile.mkdtemp())
>>> files.counts["Account"], files.counts["BOUGHT_FROM"]
(2, 1)
>>> "--array-delimiter=U+001F" in files.admin_args(), files.multiline
(True, ())
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from linkguard.market import Market
from linkguard.neo4j.loader import LoadTable, load_tables

__all__ = ["ARRAY_DELIMITER", "ImportFiles", "write_import_files"]

#: Separates the elements of a list property: U+001F (unit separator), which ingest never
#: lets into an id and no number or hash holds.
ARRAY_DELIMITER = "\x1f"
_DELIMITER_ARG = "U+001F"

#: ``progress(file_name, files_done, files_total)`` after each file.
WriteProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportFiles:
    """The importer's input: node and relationship files and what they hold."""

    directory: Path
    #: label -> file, relationship type -> file
    nodes: dict[str, Path]
    relationships: dict[str, Path]
    #: rows per label and relationship type
    counts: dict[str, int]
    seconds: float = 0.0
    bytes_written: int = field(default=0)
    #: files with a value that holds a line break (the importer must then read every file as
    #: possibly multi-line, which is several times slower)
    multiline: tuple[Path, ...] = ()

    @property
    def relationship_count(self) -> int:
        return sum(self.counts[t] for t in self.relationships)

    def admin_args(self, database: str = "neo4j", *, root: Path | str | None = None) -> list[str]:
        """Arguments of ``neo4j-admin`` that import these files into ``database``.

        ``root`` replaces :attr:`directory` in the file paths (where the files will be on
        the machine that runs the import).
        """
        base = Path(root) if root is not None else self.directory

        def path(p: Path) -> str:
            return str(base / p.name)

        args = ["database", "import", "full"]
        args += [f"--nodes={label}={path(p)}" for label, p in self.nodes.items()]
        args += [f"--relationships={rtype}={path(p)}" for rtype, p in self.relationships.items()]
        args += [
            f"--array-delimiter={_DELIMITER_ARG}",
            "--id-type=integer",
            "--overwrite-destination=true",
        ]
        if self.multiline:
            args.append("--multiline-fields=true")
        args.append(database)
        return args

    def command(self, database: str = "neo4j", *, root: Path | str | None = None) -> str:
        """The shell command a user runs where the store is (the database must be stopped)."""
        return shlex.join(["neo4j-admin", *self.admin_args(database, root=root)])


# --------------------------------------------------------------------------------------------
# Column conversion: numpy columns of the loader's tables to Arrow arrays of importer text
# --------------------------------------------------------------------------------------------


def _datetime(secs: np.ndarray, nanos: np.ndarray) -> pa.Array:
    """ISO-8601 UTC text (``…T10:00:00.123456Z``) from epoch seconds and nanoseconds."""
    s = pa.array(secs, type=pa.int64(), from_pandas=True)
    ns = pa.array(nanos, type=pa.int64(), from_pandas=True)
    micros = pc.add(pc.multiply(s, 1_000_000), pc.divide(ns, 1000))
    # A zone-less timestamp cast to text is "YYYY-MM-DD HH:MM:SS.ffffff" (six digits for
    # microseconds), many times faster than strftime with a time zone; the values are UTC.
    text = micros.cast(pa.timestamp("us")).cast(pa.string())
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, pa.scalar("Z"), "")


def _numbers_text(values: pa.Array) -> pa.Array:
    """Numbers as text the importer parses; NaN as Java's ``NaN``."""
    text = values.cast(pa.string())
    if pa.types.is_floating(values.type):
        text = pc.if_else(pc.is_nan(values), pa.scalar("NaN"), text)
    return text


def _joined(flat: np.ndarray, offsets: np.ndarray, kind: str) -> pa.Array:
    """One list per row, its elements joined by :data:`ARRAY_DELIMITER`."""
    values = _text(flat) if kind == "string" else _numbers_text(pa.array(flat))
    lists = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)
    return pc.binary_join(lists, ARRAY_DELIMITER)


def _text(values: np.ndarray) -> pa.Array:
    """Strings; ``None`` becomes a missing value (an empty unquoted field)."""
    return pa.array(values, type=pa.string(), from_pandas=True)


def _table(columns: dict[str, pa.Array]) -> pa.Table:
    return pa.table(columns)


def _positions(ids: pa.Array, index: pa.Array) -> pa.Array:
    """The position of each of ``ids`` in ``index`` (every id is there): an integer node id."""
    return pc.index_in(ids, value_set=index).cast(pa.int64())


def _accounts(t: LoadTable) -> tuple[pa.Table, pa.Array]:
    """Account nodes (node id: ``seq``) and their ids, in ``seq`` order."""
    c = t.columns
    ids = _text(c["id"])
    table = _table(
        {
            ":ID(Account)": pa.array(c["seq"], type=pa.int64()),
            "id": ids,
            "seq:long": pa.array(c["seq"], type=pa.int64()),
            "created_at:datetime": _datetime(c["created_s"], c["created_ns"]),
            "kind": _text(c["kind"]),
            "region": _text(c["region"]),
            "status": _text(c["status"]),
        }
    )
    return table, ids


def _identifiers(t: LoadTable, accounts: pa.Array) -> tuple[pa.Table, pa.Table]:
    """Identifier nodes (one per distinct kind and hash) and the ``USES`` relationships."""
    c = t.columns
    kinds, hashes = _text(c["kind"]), _text(c["hash"])
    # The loader's table is grouped by identifier, so each one's rows are consecutive: a row
    # starts a new identifier where its kind or hash differs from the row before.
    n = len(kinds)
    m = max(n - 1, 0)
    changed = pc.or_(
        pc.not_equal(kinds.slice(1), kinds.slice(0, m)),
        pc.not_equal(hashes.slice(1), hashes.slice(0, m)),
    )
    starts = np.r_[True, changed.to_numpy(zero_copy_only=False)][:n]
    first = np.flatnonzero(starts)
    number = np.cumsum(starts, dtype=np.int64) - 1
    nodes = _table(
        {
            ":ID(Identifier)": pa.array(np.arange(len(first), dtype=np.int64)),
            "kind": kinds.take(pa.array(first)),
            "hash": hashes.take(pa.array(first)),
        }
    )
    flat, offsets = t.lists["rows"]
    uses = _table(
        {
            ":START_ID(Account)": _positions(_text(c["account"]), accounts),
            ":END_ID(Identifier)": pa.array(number),
            "rows:long[]": _joined(flat, offsets, "long"),
        }
    )
    return nodes, uses


def _trades(t: LoadTable, accounts: pa.Array) -> pa.Table:
    c, lists = t.columns, t.lists
    return _table(
        {
            ":START_ID(Account)": _positions(_text(c["buyer"]), accounts),
            ":END_ID(Account)": _positions(_text(c["seller"]), accounts),
            "orders:long": pa.array(c["orders"], type=pa.int64()),
            "amount:double": _numbers_text(pa.array(c["amount"], type=pa.float64())),
            "first_at:datetime": _datetime(c["first_s"], c["first_ns"]),
            "last_at:datetime": _datetime(c["last_s"], c["last_ns"]),
            "order_ids:string[]": _joined(*lists["order_ids"], "string"),
            "amounts:double[]": _joined(*lists["amounts"], "double"),
            "times:long[]": _joined(*lists["times"], "long"),
            "confirmed_times:long[]": _joined(*lists["confirmed_times"], "long"),
            "ratings:double[]": _joined(*lists["ratings"], "double"),
            "statuses:string[]": _joined(*lists["statuses"], "string"),
            "rows:long[]": _joined(*lists["rows"], "long"),
        }
    )


def _loans(t: LoadTable, accounts: pa.Array) -> tuple[pa.Table, pa.Table]:
    c = t.columns
    seq = pa.array(c["seq"], type=pa.int64())
    nodes = _table(
        {
            ":ID(Loan)": seq,
            "id": _text(c["id"]),
            "seq:long": seq,
            "applied_at:datetime": _datetime(c["applied_s"], c["applied_ns"]),
            "amount:double": _numbers_text(pa.array(c["amount"], type=pa.float64())),
            "product": _text(c["product"]),
            "decision": _text(c["decision"]),
            "first_overdue:long": pa.array(c["first_overdue"].tolist(), type=pa.int64()),
            "defaulted:long": pa.array(c["defaulted"].tolist(), type=pa.int64()),
        }
    )
    rels = _table(
        {":START_ID(Account)": _positions(_text(c["account"]), accounts), ":END_ID(Loan)": seq}
    )
    return nodes, rels


def _write(table: pa.Table, path: Path) -> int:
    # Quote only what needs it, so that an empty unquoted field means "no value" and a quoted
    # empty string stays an empty string.
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return path.stat().st_size


#: Columns whose values come from the data as free text; ids (which ingest keeps free of
#: control characters), hashes, numbers and times never hold a line break.
_FREE_TEXT = frozenset({"kind", "region", "status", "product", "decision", "statuses:string[]"})


def _has_line_break(table: pa.Table) -> bool:
    """True when a free-text value of ``table`` holds a line break."""
    for name in _FREE_TEXT.intersection(table.column_names):
        column = table.column(name)
        for needle in ("\n", "\r"):
            if pc.any(pc.match_substring(column, needle)).as_py():
                return True
    return False


def write_import_files(
    market: Market, directory: Path | str, progress: WriteProgress | None = None
) -> ImportFiles:
    """Write ``market`` as the bulk importer's CSV files into ``directory`` (created).

    The graph is the one :func:`~linkguard.neo4j.loader.load_market` builds: same labels,
    keys, properties and relationships, ``seq`` and ``rows`` included, so the market reads
    back identically. Existing files of the same names are replaced.
    """
    started = time.perf_counter()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tables = load_tables(market)
    account_nodes, accounts = _accounts(tables["accounts"])
    identifier_nodes, uses = _identifiers(tables["identifiers"], accounts)
    loan_nodes, applied_for = _loans(tables["loans"], accounts)
    plan: list[tuple[str, str, Callable[[], pa.Table]]] = [
        ("node", "Account", lambda: account_nodes),
        ("node", "Identifier", lambda: identifier_nodes),
        ("node", "Loan", lambda: loan_nodes),
        ("rel", "USES", lambda: uses),
        ("rel", "BOUGHT_FROM", lambda: _trades(tables["trades"], accounts)),
        ("rel", "APPLIED_FOR", lambda: applied_for),
    ]
    names = {
        "Account": "accounts.csv",
        "Identifier": "identifiers.csv",
        "Loan": "loans.csv",
        "USES": "uses.csv",
        "BOUGHT_FROM": "bought_from.csv",
        "APPLIED_FOR": "applied_for.csv",
    }
    nodes: dict[str, Path] = {}
    rels: dict[str, Path] = {}
    counts: dict[str, int] = {}
    multiline: list[Path] = []
    size = 0
    for i, (what, name, build) in enumerate(plan):
        table = build()
        path = out / names[name]
        size += _write(table, path)
        if _has_line_break(table):
            multiline.append(path)
        (nodes if what == "node" else rels)[name] = path
        counts[name] = table.num_rows
        if progress is not None:
            progress(path.name, i + 1, len(plan))
    return ImportFiles(
        directory=out,
        nodes=nodes,
        relationships=rels,
        counts=counts,
        seconds=round(time.perf_counter() - started, 4),
        bytes_written=size,
        multiline=tuple(multiline),
    )

"""Ingest on Spark: the in-memory validation, run on each partition of each input file.

Every row meets exactly the checks of :func:`linkguard.io.validate.validate` (same reasons, same
order, same keyed hashing of identifier values), because each partition's lines are handed to
that very function: a partition's lines, behind the file's header, are one small CSV file for
:func:`linkguard.io.sources.read_csv_bytes`. Lines are numbered by ``zipWithIndex`` over the
file's physical lines (header = line 1), so quarantine rows cite the same lines.

The one check that spans partitions, ``duplicate_id`` (the first row with an id is kept), runs as
a window over the id ordered by line among the rows that passed every other check.

Parquet tables (``orders.parquet``: one file, or a folder of part files) are read by Spark's
reader and validated a batch at a time by the same function (:func:`_read_parquet_table`).

Limits: a quoted value spanning a line break that falls on a partition boundary is split
(Hadoop splits text files on line ends).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from linkguard.errors import InputError
from linkguard.io.limits import check_columns
from linkguard.io.quarantine import META_COLUMNS, _output_names, quarantine_frame
from linkguard.io.raw import MalformedRow, RawTable, normalise_header
from linkguard.io.sources import parquet_column_as_bytes, read_csv_bytes
from linkguard.io.validate import REASONS, validate
from linkguard.market import epoch_seconds
from linkguard.schema import TABLES, TableSpec
from linkguard.spark.cache import run_cached

__all__ = ["LOADED_SCHEMAS", "SparkInput", "TableInput", "read_input"]

#: Columns each table keeps once loaded (identifier values already pseudonymised).
LOADED_SCHEMAS: dict[str, T.StructType] = {
    "orders": T.StructType(
        [
            T.StructField("order_id", T.StringType()),
            T.StructField("buyer_id", T.StringType()),
            T.StructField("seller_id", T.StringType()),
            T.StructField("amount", T.DoubleType()),
            T.StructField("ts", T.LongType()),
            T.StructField("status", T.StringType()),
            T.StructField("rating", T.DoubleType()),
        ]
    ),
    "accounts": T.StructType(
        [
            T.StructField("account_id", T.StringType()),
            T.StructField("status", T.StringType()),
            T.StructField("created", T.LongType()),  # epoch seconds; null when unknown
        ]
    ),
    "identifiers": T.StructType(
        [
            T.StructField("account_id", T.StringType()),
            T.StructField("kind", T.StringType()),
            T.StructField("value_hash", T.StringType()),
        ]
    ),
    "loans": T.StructType(
        [
            T.StructField("loan_id", T.StringType()),
            T.StructField("account_id", T.StringType()),
            T.StructField("defaulted", T.DoubleType()),
            T.StructField("amount", T.DoubleType()),
        ]
    ),
    # validated and quarantined like every table; no detector reads repayments
    "repayments": T.StructType(
        [
            T.StructField("loan_id", T.StringType()),
            T.StructField("amount_due", T.DoubleType()),
            T.StructField("amount_paid", T.DoubleType()),
        ]
    ),
}

#: One record per input row out of a partition: loaded (``reason`` 0) or rejected.
_CHECKED = T.StructType(
    [
        T.StructField("line", T.LongType()),
        T.StructField("reason", T.IntegerType()),
        T.StructField("qrow", T.StringType()),  # the quarantine row (JSON list), rejected rows
        T.StructField("fields", T.StringType()),  # the row as read (JSON list), unique tables
        T.StructField("loaded", T.StringType()),  # the loaded values (JSON list)
    ]
)


_CHECKED_ARROW = pa.schema(
    [
        ("line", pa.int64()),
        ("reason", pa.int32()),
        ("qrow", pa.string()),
        ("fields", pa.string()),
        ("loaded", pa.string()),
    ]
)

#: What :func:`linkguard.market.epoch_seconds` makes of a missing time (NaT).
_NAT = int(np.iinfo(np.int64).min)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class TableInput:
    """One table after ingest: loaded rows, rejected rows and counts."""

    name: str
    file: str
    loaded: DataFrame
    #: ``line`` and ``row`` (a JSON list: the quarantine frame's columns in order).
    quarantine: DataFrame
    columns: tuple[str, ...]
    rows_in: int
    rows_loaded: int
    by_reason: dict[str, int]


@dataclass(frozen=True)
class SparkInput:
    tables: dict[str, TableInput]


def _list_tables(spark: SparkSession, data_dir: str) -> dict[str, str]:
    """Table name -> file path, by the contract's file names, through Hadoop's file system."""
    from linkguard.io.discover import _table_of

    jvm = spark.sparkContext._jvm
    assert jvm is not None
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(data_dir)
    fs = root.getFileSystem(conf)
    if not fs.exists(root) or not fs.getFileStatus(root).isDirectory():
        raise InputError(f"{data_dir}: not a directory (expected a data directory)")
    found: dict[str, list[str]] = {}
    for status in fs.listStatus(root):
        name = status.getPath().getName()
        table = _table_of(name)
        if table is not None:
            found.setdefault(table, []).append(status.getPath().toString())
    for table, paths in found.items():
        if len(paths) > 1:
            raise InputError(f"{data_dir}: table {table!r} has several files; keep one")
    if "orders" not in found:
        raise InputError(
            f"{data_dir}: no orders table (expected orders.csv, orders.csv.gz or orders.parquet)"
        )
    return {name: found[name][0] for name in TABLES if name in found}


def _loaded_values(table: str, checked: Any, rows: np.ndarray) -> list[list[Any]]:
    v = checked.values

    def text(name: str) -> list[str]:
        return [s or "" for s in v[name].take(rows).to_pylist()] if len(rows) else []

    def num(name: str) -> list[float | None]:
        arr = np.asarray(v[name], dtype=np.float64)[rows]
        return [None if np.isnan(x) else float(x) for x in arr.tolist()]

    def seconds(name: str) -> list[int | None]:
        stamps = pd.Series(np.asarray(v[name], dtype="datetime64[us]")[rows])
        secs = epoch_seconds(stamps)
        return [None if x == _NAT else int(x) for x in secs.tolist()] if len(rows) else []

    if table == "orders":
        cols = [
            text("order_id"),
            text("buyer_id"),
            text("seller_id"),
            num("amount"),
            seconds("created_at"),
            text("status"),
            num("rating"),
        ]
    elif table == "accounts":
        cols = [text("account_id"), text("status"), seconds("created_at")]
    elif table == "identifiers":
        cols = [text("account_id"), text("kind"), text("value_hash")]
    elif table == "repayments":
        cols = [text("loan_id"), num("amount_due"), num("amount_paid")]
    else:
        cols = [text("loan_id"), text("account_id"), num("defaulted"), num("amount")]
    return [list(r) for r in zip(*cols, strict=True)] if len(rows) else []


def _check_partition(
    lines: Iterator[tuple[bytes, int]],
    header: bytes,
    spec: TableSpec,
    file: str,
    key: bytes,
    unique: bool,
) -> Iterator[tuple[Any, ...]]:
    chunk = [(line, idx) for line, idx in lines if idx > 0]
    if not chunk:
        return
    first = chunk[0][1]
    data = header + b"\n" + b"\n".join(line for line, _ in chunk) + b"\n"
    raw = read_csv_bytes(data, spec, file)
    # chunk line L (header = 1) is physical line first + L - 1 of the file
    shift = first - 1
    raw = dataclasses.replace(
        raw,
        lines=np.asarray(raw.lines, dtype=np.int64) + shift,
        malformed=tuple(MalformedRow(m.line + shift, m.fields) for m in raw.malformed),
    )
    yield from _check_raw(raw, spec, key, unique)


def _check_raw(
    raw: RawTable, spec: TableSpec, key: bytes, unique: bool
) -> Iterator[tuple[Any, ...]]:
    """Rows of :data:`_CHECKED` for ``raw`` (validated as the in-memory engine validates)."""
    checked = validate(raw, dataclasses.replace(spec, unique_column=None), key)
    q = quarantine_frame(checked, key)
    for row in q.itertuples(index=False):
        values = list(row)
        reason = REASONS.index(str(values[3])) + 1
        yield (int(values[1]), reason, _dumps([str(x) for x in values]), None, None)
    rows = np.flatnonzero(checked.loaded)
    loaded = _loaded_values(spec.name, checked, rows)
    fields: list[str | None] = [None] * len(rows)
    if unique and len(rows):
        texts = [col.take(rows).to_pylist() for col in checked.text]
        fields = [_dumps([t or "" for t in r]) for r in zip(*texts, strict=True)]
    for i, r in enumerate(rows.tolist()):
        yield (int(raw.lines[r]), 0, None, fields[i], _dumps(loaded[i]))


def _read_table(spark: SparkSession, table: str, path: str, key: bytes) -> TableInput:
    spec = TABLES[table]
    file = path.rsplit("/", 1)[-1]
    if file.lower().endswith(".parquet"):
        return _read_parquet_table(spark, table, path, key)
    sc = spark.sparkContext
    text: Any = sc.textFile(path, use_unicode=False)
    first = text.take(1)
    if not first:
        raise InputError(f"{file}: empty file (no header row)")
    header = cast(bytes, first[0])
    # validates the header (required columns) on the driver before any job runs
    columns = read_csv_bytes(header + b"\n", spec, file).columns
    unique = spec.unique_column is not None
    checked = text.zipWithIndex().mapPartitions(
        lambda it: _check_partition(it, header, spec, file, key, unique)
    )
    df = spark.createDataFrame(checked, _CHECKED)
    return _assemble(table, file, spec, columns, df)


def _read_parquet_table(spark: SparkSession, table: str, path: str, key: bytes) -> TableInput:
    """A Parquet table: one file, or a folder of part files (as Spark and Hive write them).

    Spark's reader splits the files by row group; each batch's columns are turned into their
    text as the in-memory reader turns them (:func:`linkguard.io.sources.parquet_column_as_bytes`)
    and validated by the same :func:`_check_raw`. A row's line is its 1-based row number in
    the table: part files are taken in the order of their paths, rows in file order
    (``_metadata.row_index``), so a single file numbers its rows as the in-memory engine does.
    """
    spec = TABLES[table]
    file = path.rstrip("/").rsplit("/", 1)[-1]
    try:
        df = spark.read.parquet(path)
    except Exception as exc:  # AnalysisException and the JVM's errors: unreadable input
        raise InputError(f"{path}: cannot read the Parquet table ({_first_line(exc)})") from exc
    check_columns(len(df.columns), file)
    names = normalise_header(list(df.columns), spec, file)
    keep = []
    for i, field in enumerate(df.schema.fields):
        if isinstance(field.dataType, (T.StructType, T.ArrayType, T.MapType)):
            if names[i] in spec.columns:
                raise InputError(
                    f"{path}: column {names[i]!r} has type "
                    f"{field.dataType.simpleString()}, which cannot be read as text"
                )
            continue  # an extra nested column: ignored, like any unknown column
        keep.append(i)
    columns = tuple(names[i] for i in keep)

    def quoted(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    located = df.select(
        *[F.col(quoted(df.columns[i])).alias(f"c{j}") for j, i in enumerate(keep)],
        F.col("_metadata.file_path").alias("_file"),
        F.col("_metadata.row_index").alias("_row"),
    )
    per_file = sorted(
        (r["_file"], int(r["n"]))
        for r in located.groupBy("_file").agg(F.count("*").alias("n")).collect()
    )
    if not per_file:
        raise InputError(f"{path}: the Parquet table has no rows")
    offsets, start = [], 0
    for name, n in per_file:
        offsets.append((name, start))
        start += n
    offset = F.broadcast(spark.createDataFrame(offsets, "_file string, _offset long"))
    numbered = located.join(offset, "_file").select(
        *[f"c{j}" for j in range(len(keep))], (F.col("_offset") + F.col("_row") + 1).alias("_line")
    )
    unique = spec.unique_column is not None
    schema = _CHECKED

    def check(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            data = tuple(_as_text(batch.column(j)) for j in range(len(columns)))
            lines = np.asarray(batch.column(len(columns)), dtype=np.int64)
            raw = RawTable(spec.name, file, columns, data, lines)
            rows = list(_check_raw(raw, spec, key, unique))
            yield pa.RecordBatch.from_pylist(
                [dict(zip(schema.names, r, strict=True)) for r in rows], schema=_CHECKED_ARROW
            )

    checked = numbered.mapInArrow(check, schema)
    return _assemble(table, file, spec, columns, checked)


def _as_text(col: pa.Array) -> pa.ChunkedArray:
    out = parquet_column_as_bytes(pa.chunked_array([col]))
    if out is None:  # nested types were left out on the driver
        raise InputError(f"a Parquet column of type {col.type} cannot be read as text")
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _assemble(
    table: str, file: str, spec: TableSpec, columns: tuple[str, ...], df: DataFrame
) -> TableInput:
    df = df.transform(run_cached)
    schema = LOADED_SCHEMAS[table]
    parse = F.from_json("loaded", T.ArrayType(T.StringType()))
    if spec.unique_column is not None:
        uid = spec.unique_column
        pos = list(LOADED_SCHEMAS[table].names).index(uid)
        good = df.where(F.col("reason") == 0).withColumn("_id", parse[pos])
        w = Window.partitionBy("_id").orderBy("line")
        good = good.withColumn("_rank", F.row_number().over(w))
        dup = good.where(F.col("_rank") > 1)
        meta_col = columns.index(uid)
        dup_q = dup.select(
            "line",
            F.to_json(
                F.concat(
                    F.array(
                        F.lit(file),
                        F.col("line").cast("string"),
                        F.lit(columns[meta_col]),
                        F.lit("duplicate_id"),
                    ),
                    F.from_json("fields", T.ArrayType(T.StringType())),
                )
            ).alias("row"),
        )
        loaded_raw = good.where(F.col("_rank") == 1)
        quarantine = df.where(F.col("reason") > 0).select("line", F.col("qrow").alias("row"))
        quarantine = quarantine.unionByName(dup_q)
    else:
        loaded_raw = df.where(F.col("reason") == 0)
        quarantine = df.where(F.col("reason") > 0).select("line", F.col("qrow").alias("row"))
    arr = parse
    loaded = loaded_raw.select(
        *[arr[i].cast(f.dataType).alias(f.name) for i, f in enumerate(schema.fields)]
    )
    counts = {
        int(r["reason"]): int(r["n"])
        for r in df.groupBy("reason").agg(F.count("*").alias("n")).collect()
    }
    n_dup = 0
    if spec.unique_column is not None:
        n_dup = int(dup.count())
    rows_in = sum(counts.values())
    by = {REASONS[k - 1]: v for k, v in counts.items() if k > 0}
    if n_dup:
        by["duplicate_id"] = n_dup
    by = {r: by[r] for r in REASONS if by.get(r)}
    rows_loaded = counts.get(0, 0) - n_dup
    return TableInput(
        table, file, loaded, quarantine, tuple(_output_names(columns)), rows_in, rows_loaded, by
    )


def read_input(spark: SparkSession, data_dir: str, key: bytes) -> SparkInput:
    """Validate every table of ``data_dir`` on Spark (see the module notes)."""
    files = _list_tables(spark, data_dir)
    return SparkInput({t: _read_table(spark, t, p, key) for t, p in files.items()})


def quarantine_columns(t: TableInput) -> list[str]:
    return [*META_COLUMNS, *t.columns]

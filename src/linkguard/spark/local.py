"""Small tables finish on the driver: the iterative steps' last rounds without a Spark job each.

Connected components, fixed-point pruning and parallel peeling run round after round; on
Spark every round costs a few jobs (group-bys, a checkpoint, a count), whatever the data
size, and once a table is small that fixed cost is all there is. So every such loop runs on
Spark while its table holds more than :func:`local_rows` rows, then reads the table back
(streamed, one partition per job) and finishes the same rounds in NumPy on the driver. The
results are the same either way; only where the last rounds run differs. The driver holds
at most :func:`local_rows` rows of a table at a time.

``spark.linkguard.localRows`` sets the bound (default :data:`LOCAL_ROWS`; ``0`` keeps every
round on Spark).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "LOCAL_ROWS",
    "codes",
    "components_of",
    "local_rows",
    "prune_memberships",
    "rows_of",
    "two_way_trim",
]

IntArray = npt.NDArray[np.int64]

#: Rows a loop's table may hold and still finish on the driver.
LOCAL_ROWS = 1_000_000


def local_rows(spark: SparkSession) -> int:
    """The bound set by ``spark.linkguard.localRows`` (default :data:`LOCAL_ROWS`)."""
    return int(spark.conf.get("spark.linkguard.localRows", str(LOCAL_ROWS)) or 0)


def rows_of(df: DataFrame, columns: Sequence[str], n: int) -> list[tuple[Any, ...]]:
    """``columns`` of every row of ``df`` (about ``n`` rows), streamed in pieces small enough
    for ``spark.driver.maxResultSize`` (a piece per job; no job returns the table)."""
    sc = df.sparkSession.sparkContext
    given = sc.getConf().get("spark.driver.maxResultSize", "1g") or "1g"
    assert sc._jvm is not None
    limit = int(sc._jvm.org.apache.spark.network.util.JavaUtils.byteStringAsBytes(given))
    per_piece = _MAX_PIECE if limit <= 0 else max(1_000, min(_MAX_PIECE, limit // _ROW_BYTES))
    pieces = max(1, -(-n // per_piece))
    return [tuple(r) for r in df.select(*columns).repartition(pieces).toLocalIterator()]


#: Rows read back in one job, at most, and the bytes a row is taken to cost in a job's result.
_MAX_PIECE = 250_000
_ROW_BYTES = 512


def codes(values: Sequence[str]) -> tuple[list[str], IntArray]:
    """Distinct values (sorted) and each value's index among them."""
    uniq, inv = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return [str(x) for x in uniq], inv.astype(np.int64).reshape(-1)


def components_of(src: Sequence[str], dst: Sequence[str]) -> dict[str, str]:
    """Node -> its component's smallest node, for the nodes of the edges ``src[i]-dst[i]``
    (self-loops ignored), as :func:`linkguard.spark.components.connected_components` labels
    them (Python's string order is Spark's: code point order is UTF-8 byte order)."""
    keep = [i for i in range(len(src)) if src[i] != dst[i]]
    names, inv = codes([src[i] for i in keep] + [dst[i] for i in keep])
    n = len(keep)
    a, b = inv[:n], inv[n:]
    parent = np.arange(len(names), dtype=np.int64)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = int(parent[root])
        while parent[x] != root:
            parent[x], x = root, int(parent[x])
        return root

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            # names are sorted: the smaller index is the smaller node, and stays the root
            if rx < ry:
                parent[ry] = rx
            else:
                parent[rx] = ry
    return {names[i]: names[find(i)] for i in range(len(names))}


def prune_memberships(buyer: IntArray, cell: IntArray, min_windows: int) -> npt.NDArray[np.bool_]:
    """Which memberships survive pruning to a fixed point: a cell keeps two kept buyers, a
    buyer ``min_windows`` kept cells (as :func:`linkguard.spark.lockstep.prune_cells`)."""
    kept = np.ones(len(buyer), dtype=np.bool_)
    nb_max = int(buyer.max()) + 1 if len(buyer) else 0
    nc_max = int(cell.max()) + 1 if len(cell) else 0
    while True:
        nc = np.bincount(cell[kept], minlength=nc_max)
        nb = np.bincount(buyer[kept], minlength=nb_max)
        now = kept & (nc[cell] >= 2) & (nb[buyer] >= min_windows)
        if now.sum() == kept.sum():
            return now
        kept = now


def two_way_trim(buyer: IntArray, seller: IntArray, n_nodes: int) -> npt.NDArray[np.bool_]:
    """Which payment pairs survive trimming to accounts that both pay and get paid, to a
    fixed point (as :func:`linkguard.spark.cycles.cyclic_orders`)."""
    kept = np.ones(len(buyer), dtype=np.bool_)
    while True:
        pays = np.bincount(buyer[kept], minlength=n_nodes) > 0
        paid = np.bincount(seller[kept], minlength=n_nodes) > 0
        both = pays & paid
        now = kept & both[seller] & both[buyer]
        if now.sum() == kept.sum():
            return now
        kept = now

"""Connected components on Spark: the large-star / small-star algorithm.

Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii, "Connected Components in MapReduce and
Beyond" (SoCC 2014). Each round is two group-bys over the edge list:

- large-star: every node ``u`` links each larger neighbour to the smallest of ``u`` and its
  neighbours;
- small-star: every node ``u`` links itself and each smaller-or-equal neighbour to the
  smallest of them.

Rounds repeat until large-star changes nothing; every edge then joins a node to the smallest
node of its component (a star), so the component label is that smallest node. Work per round is
O(E) shuffled bytes; O(log^2 n) rounds in theory, a handful in practice. The edge list is
checkpointed every round, so the query plan stays one round long. Once the edge list holds at
most :func:`linkguard.spark.local.local_rows` edges, it is read back and the components are
finished on the driver (union-find, same labels).

Node ids are strings (account ids) compared in Spark's string order; nothing here depends on
how an engine numbers accounts.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from linkguard.spark.cache import run_cached, truncate
from linkguard.spark.local import components_of, local_rows, rows_of

__all__ = ["connected_components"]


def _undirected(edges: DataFrame) -> DataFrame:
    return edges.unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))


def _large_star(edges: DataFrame) -> DataFrame:
    both = _undirected(edges)
    m = both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("m"))
    out = both.where(F.col("dst") > F.col("src")).join(m, "src")
    return out.select(F.col("dst").alias("src"), F.col("m").alias("dst")).distinct()


def _small_star(edges: DataFrame) -> DataFrame:
    # orient every edge from the larger to the smaller end
    oriented = edges.select(
        F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst")
    ).distinct()
    m = oriented.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("m"))
    linked = oriented.join(m, "src")
    out = linked.select(F.col("dst").alias("src"), F.col("m").alias("dst")).unionByName(
        m.select("src", F.col("m").alias("dst"))
    )
    return out.where(F.col("src") != F.col("dst")).distinct()


def connected_components(edges: DataFrame, max_rounds: int = 100) -> DataFrame:
    """``node, component`` for every node of ``edges`` (columns ``src``, ``dst``, strings).

    The component is its smallest node. Self-loops are ignored.
    """
    spark = edges.sparkSession
    limit = local_rows(spark)
    cur = edges.select("src", "dst").where(F.col("src") != F.col("dst"))
    cur = (
        cur.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst"))
        .distinct()
        .transform(run_cached)
    )
    for _ in range(max_rounds):
        n = cur.count()
        if n <= limit:
            return _finish_locally(cur, n)
        large = truncate(_large_star(cur))
        changed = large.exceptAll(cur).limit(1).count() + cur.exceptAll(large).limit(1).count()
        cur = truncate(_small_star(large))
        if changed == 0:
            break
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    labels = cur.select(F.col("src").alias("node"), F.col("dst").alias("component"))
    roots = cur.select(F.col("dst").alias("node"), F.col("dst").alias("component"))
    return labels.unionByName(roots).distinct()


def _finish_locally(edges: DataFrame, n: int) -> DataFrame:
    """The components of a small edge list (``n`` edges), found on the driver."""
    rows = rows_of(edges, ["src", "dst"], n)
    label = components_of([r[0] for r in rows], [r[1] for r in rows])
    return edges.sparkSession.createDataFrame(
        sorted(label.items()), "node string, component string"
    )

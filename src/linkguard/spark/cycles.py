"""Circular trade on Spark: time-respecting path joins, 3-6 hops, inside a window.

The same cycles as :func:`linkguard.detect.cycles.circular_trades`: a cycle starts at its
earliest order ``e0``; every next order leaves the account the previous one paid, comes
strictly later (or in the same unit, when the times are rounded to one: ``tie``), no later
than ``ts(e0) + window``, with an amount within ``ratio`` of
``amount(e0)``, and visits no account twice; the path closes when an order pays the start.

Only accounts that both pay and get paid can lie on a cycle; they are found by trimming the
payment pairs to a fixed point (each round two group-bys). Paths then grow one hop per join
against the trimmed orders, partitioned by account; the window and amount bounds keep each
join's output in proportion to the activity of real cycles, not to the market.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from linkguard.detect.cycles import CycleParams
from linkguard.spark.cache import run_cached, truncate
from linkguard.spark.local import codes, local_rows, rows_of, two_way_trim

__all__ = ["circular_trades", "cyclic_orders"]


def cyclic_orders(orders: DataFrame) -> DataFrame:
    """Orders between accounts that both pay and get paid (trimmed to a fixed point; the
    rounds finish on the driver once the pairs are few, see :mod:`linkguard.spark.local`)."""
    limit = local_rows(orders.sparkSession)
    edges = (
        orders.select("buyer_id", "seller_id")
        .where(F.col("buyer_id") != F.col("seller_id"))
        .distinct()
        .transform(run_cached)
    )
    n = edges.count()
    while n:
        if n <= limit:
            edges = _trim_locally(edges, n)
            break
        pays = edges.select(F.col("buyer_id").alias("a")).distinct()
        paid = edges.select(F.col("seller_id").alias("a")).distinct()
        both = pays.join(paid, "a")
        kept = edges.join(both.withColumnRenamed("a", "seller_id"), "seller_id", "left_semi").join(
            both.withColumnRenamed("a", "buyer_id"), "buyer_id", "left_semi"
        )
        kept = truncate(kept)
        m = kept.count()
        edges = kept
        if m == n:
            break
        n = m
    return orders.join(edges, ["buyer_id", "seller_id"], "left_semi").where(
        F.col("buyer_id") != F.col("seller_id")
    )


def _trim_locally(edges: DataFrame, n: int) -> DataFrame:
    rows = rows_of(edges, ["buyer_id", "seller_id"], n)
    names, inv = codes([r[0] for r in rows] + [r[1] for r in rows])
    kept = two_way_trim(inv[: len(rows)], inv[len(rows) :], len(names))
    out = [rows[i] for i in np.flatnonzero(kept)]
    return edges.sparkSession.createDataFrame(out, "buyer_id string, seller_id string")


def circular_trades(orders: DataFrame, params: CycleParams, tie: int = 0) -> DataFrame:
    """One row per found cycle round: ``accounts`` (sorted), ``order_ids`` (in path order),
    ``start_ts``, ``amounts`` (each order's) and ``amount`` (sum of the round's orders).

    ``tie`` is the unit the times are rounded to (0 for times to the second): a hop may then
    come in the same unit as the one before, a round made within one unit is found from each
    of its orders, and one of those paths is kept (the earliest start, then the least order
    id), as :func:`linkguard.detect.cycles.circular_trades` keeps one.
    """
    o = cyclic_orders(orders).select("order_id", "buyer_id", "seller_id", "amount", "ts")
    o = o.transform(run_cached)
    paths = o.select(
        F.col("buyer_id").alias("start"),
        F.col("seller_id").alias("cur"),
        F.col("ts").alias("t0"),
        F.col("ts").alias("last_t"),
        (F.col("amount") / params.amount_ratio).alias("lo"),
        (F.col("amount") * params.amount_ratio).alias("hi"),
        F.array("buyer_id", "seller_id").alias("nodes"),
        F.array("order_id").alias("path"),
        F.array("amount").alias("amounts"),
    )
    nxt = o.select(
        F.col("buyer_id").alias("cur"),
        F.col("seller_id").alias("to"),
        F.col("order_id").alias("e"),
        F.col("ts").alias("t"),
        F.col("amount").alias("a"),
    )
    found: DataFrame | None = None
    for depth in range(1, params.max_length):
        step = paths.join(nxt, "cur").where(
            (F.col("t") > F.col("last_t") - tie)
            & (F.col("t") <= F.col("t0") + params.window_seconds)
            & (F.col("a") >= F.col("lo"))
            & (F.col("a") <= F.col("hi"))
        )
        closing = step.where(F.col("to") == F.col("start"))
        if depth + 1 >= params.min_length:
            done = closing.select(
                F.array_sort(F.slice("nodes", 1, depth + 1)).alias("accounts"),
                F.concat("path", F.array("e")).alias("order_ids"),
                F.col("t0").alias("start_ts"),
                F.concat("amounts", F.array("a")).alias("amounts"),
                F.aggregate(
                    F.concat("amounts", F.array("a")), F.lit(0.0), lambda acc, x: acc + x
                ).alias("amount"),
            )
            found = done if found is None else found.unionByName(done)
        if depth + 1 >= params.max_length:
            break
        paths = (
            step.where((F.col("to") != F.col("start")) & ~F.array_contains("nodes", F.col("to")))
            .select(
                "start",
                F.col("to").alias("cur"),
                "t0",
                F.col("t").alias("last_t"),
                "lo",
                "hi",
                F.concat("nodes", F.array("to")).alias("nodes"),
                F.concat("path", F.array("e")).alias("path"),
                F.concat("amounts", F.array("a")).alias("amounts"),
            )
            .transform(truncate)
        )
    if found is None:
        raise ValueError("cycles: max_length must be at least min_length")
    if tie <= 0:
        return found
    same = Window.partitionBy(F.array_sort("order_ids")).orderBy("start_ts", "order_ids")
    return found.withColumn("_n", F.row_number().over(same)).where(F.col("_n") == 1).drop("_n")

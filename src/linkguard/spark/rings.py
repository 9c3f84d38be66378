"""Fake-reputation rings on Spark: parallel peeling, then the in-memory background test.

The buyer x seller graph carries FRAUDAR's column weights ``1 / log(seller_degree + c)``.
Each round finds a dense block by parallel peeling (Bahmani, Kumar, Vassilvitskii, VLDB 2012):
a pass computes every live node's weighted degree with one group-by and drops every node
below ``(1 + eps)`` times the current average degree; the live set with the best average
weight per node is the block, found in O(log n / eps) passes. The block's members and the
edges from its sellers to live buyers (bounded by the block's sellers' degrees) are collected,
and :func:`linkguard.detect._background.accept_parts` prunes, grows, splits and tests them
exactly as in memory, on a local numbering of just those nodes. The block leaves the graph and
the next round peels what is left (``max_peels``, ``patience`` as in memory). Rings that share
members are merged by :func:`linkguard.detect.rings.merge_rings` over the ring members' pairs.

The buyer x (seller, hour) view of :mod:`linkguard.detect.bursts` is not run by this engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from linkguard.detect._background import accept_parts
from linkguard.detect.rings import Ring, RingParams, merge_rings
from linkguard.graph import trade_pairs as local_pairs

__all__ = ["EPSILON", "MAX_BLOCK_NODES", "ring_search"]

#: Parallel peeling drops nodes below (1 + EPSILON) x the average weighted degree.
EPSILON = 0.1
#: A block bigger than this is no ring to collect (the market has no dense region left).
MAX_BLOCK_NODES = 200_000


def _peel(edges: DataFrame, eps: float) -> tuple[DataFrame, float]:
    """The densest live set found by parallel peeling: ``node`` (``b:id`` / ``s:id``), and
    its average weight per node."""
    alive = (edges.select(F.col("u").alias("node")).unionByName(
        edges.select(F.col("v").alias("node"))).distinct().withColumn("out", F.lit(None)
                                                                      .cast("int")))
    alive = alive.checkpoint()
    best_g, best_pass, p = -1.0, 0, 0
    live_e = edges
    while True:
        deg = (live_e.select(F.col("u").alias("node"), "w").unionByName(
            live_e.select(F.col("v").alias("node"), "w")).groupBy("node")
            .agg(F.sum("w").alias("d")))
        stats = deg.agg(F.sum("d").alias("s"), F.count("*").alias("n")).collect()[0]
        n = int(stats["n"])
        if n == 0:
            break
        total_w = float(stats["s"]) / 2.0
        g = total_w / n
        if g > best_g:
            best_g, best_pass = g, p
        cut = (1.0 + eps) * 2.0 * g
        drop = deg.where(F.col("d") < cut).select("node")
        # nodes with no live edge left also leave
        alive = (alive.join(deg.select("node", F.lit(1).alias("has")), "node", "left")
                 .join(drop.withColumn("drop", F.lit(1)), "node", "left")
                 .select("node", F.when(F.col("out").isNull() & (
                     F.col("has").isNull() | F.col("drop").isNotNull()), F.lit(p))
                     .otherwise(F.col("out")).alias("out"))).checkpoint()
        live = alive.where(F.col("out").isNull()).select("node")
        live_e = (edges.join(live.withColumnRenamed("node", "u"), "u", "left_semi")
                  .join(live.withColumnRenamed("node", "v"), "v", "left_semi")).checkpoint()
        p += 1
    block = alive.where((F.col("out") >= best_pass) | F.col("out").isNull()).select("node")
    return block, best_g


def ring_search(spark: SparkSession, orders: DataFrame, pairs: DataFrame,
                params: RingParams, eps: float = EPSILON,
                max_block: int = MAX_BLOCK_NODES) -> tuple[list[dict[str, Any]], DataFrame]:
    """Rings (dicts of ids and statistics, densest first) and ``account_id, role, ring``."""
    sdeg = pairs.groupBy("seller_id").agg(F.count("*").alias("sd"))
    bdeg = pairs.groupBy("buyer_id").agg(F.count("*").alias("bd"))
    total_edges = float(pairs.count())
    edges = (pairs.join(sdeg, "seller_id").select(
        F.concat(F.lit("b:"), "buyer_id").alias("u"), F.concat(F.lit("s:"), "seller_id")
        .alias("v"), (1.0 / F.log(F.col("sd") + params.column_c)).alias("w"))).checkpoint()
    found: list[Ring] = []
    names: dict[str, int] = {}
    idle = 0
    for _ in range(params.max_peels):
        if edges.limit(params.min_buyers + params.min_sellers).count() == 0:
            break
        block, best_g = _peel(edges, eps)
        nodes = [r["node"] for r in block.limit(max_block + 1).collect()]
        if not nodes or len(nodes) > max_block:
            break
        rows = [x[2:] for x in nodes if x.startswith("b:")]
        cols = [x[2:] for x in nodes if x.startswith("s:")]
        colset = spark.createDataFrame([(c,) for c in cols], "v string")
        inc = edges.join(colset.withColumn("v", F.concat(F.lit("s:"), "v")), "v",
                         "left_semi").select("u", "v").collect()
        hb_ids = [r["u"][2:] for r in inc]
        hc_ids = [r["v"][2:] for r in inc]
        b_local = sorted(set(rows) | set(hb_ids))
        s_local = sorted(set(cols) | set(hc_ids))
        bi = {a: i for i, a in enumerate(b_local)}
        si = {a: i for i, a in enumerate(s_local)}
        bd = {r["buyer_id"]: r["bd"] for r in bdeg.join(spark.createDataFrame(
            [(a,) for a in b_local], "buyer_id string"), "buyer_id").collect()}
        sd = {r["seller_id"]: r["sd"] for r in sdeg.join(spark.createDataFrame(
            [(a,) for a in s_local], "seller_id string"), "seller_id").collect()}
        row_deg = np.array([bd[a] for a in b_local], dtype=np.float64)
        col_deg = np.array([sd[a] for a in s_local], dtype=np.float64)
        parts = accept_parts(
            np.array([bi[a] for a in rows], dtype=np.int64),
            np.array([si[a] for a in cols], dtype=np.int64),
            np.array([bi[a] for a in hb_ids], dtype=np.int64),
            np.array([si[a] for a in hc_ids], dtype=np.int64),
            row_deg, col_deg, total_edges, best_g, params)
        dead = set(nodes)
        for r_idx, c_idx, stats in parts:
            bs = [b_local[i] for i in r_idx]
            ss = [s_local[i] for i in c_idx]
            dead |= {"b:" + a for a in bs} | {"s:" + a for a in ss}
            codes_b = np.array([names.setdefault(a, len(names)) for a in bs], dtype=np.int64)
            codes_s = np.array([names.setdefault(a, len(names)) for a in ss], dtype=np.int64)
            found.append(Ring(buyers=np.sort(codes_b), sellers=np.sort(codes_s),
                              **stats))  # type: ignore[arg-type]
        gone = spark.createDataFrame([(x,) for x in dead], "node string")
        edges = (edges.join(gone.withColumnRenamed("node", "u"), "u", "left_anti")
                 .join(gone.withColumnRenamed("node", "v"), "v", "left_anti")).checkpoint()
        idle = 0 if parts else idle + 1
        if idle >= params.patience:
            break
    return _merge(spark, found, names, pairs)


def _merge(spark: SparkSession, found: list[Ring], names: dict[str, int],
           pairs: DataFrame) -> tuple[list[dict[str, Any]], DataFrame]:
    empty = spark.createDataFrame([], "account_id string, role string, ring int")
    if not found:
        return [], empty
    ids = sorted(names, key=names.__getitem__)
    members = spark.createDataFrame([(a,) for a in ids], "a string")
    local = (pairs.join(members.withColumnRenamed("a", "buyer_id"), "buyer_id", "left_semi")
             .join(members.withColumnRenamed("a", "seller_id"), "seller_id", "left_semi")
             .select("buyer_id", "seller_id").collect())
    b = np.array([names[r["buyer_id"]] for r in local], dtype=np.int64)
    s = np.array([names[r["seller_id"]] for r in local], dtype=np.int64)
    tp = local_pairs(b, s, np.zeros(len(b)), np.zeros(len(b), dtype=np.int64),
                     np.full(len(b), np.nan))
    merged = merge_rings([found], tp, len(ids))
    out, rows = [], []
    for i, r in enumerate(merged.rings):
        buyers = sorted(ids[c] for c in r.buyers)
        sellers = sorted(ids[c] for c in r.sellers)
        out.append({"buyers": buyers, "sellers": sellers, "edges": r.edges,
                    "density": r.density, "score": r.score, "lift": r.lift,
                    "log10_p": r.log10_p})
        rows += [(a, "buyer", i) for a in buyers] + [(a, "seller", i) for a in sellers]
    return out, spark.createDataFrame(rows, "account_id string, role string, ring int")

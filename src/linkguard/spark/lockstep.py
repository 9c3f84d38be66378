"""Lockstep on Spark: (seller, time-cell) co-occurrence, as :mod:`linkguard.detect.lockstep`.

Per grid (two, half a window apart): distinct (seller, bucket, buyer) memberships are pruned
to a fixed point (a cell needs two kept buyers, a buyer ``min_shared_windows`` kept cells:
two group-bys a round), buyer pairs are counted over shared cells by a self-join per cell,
and the better grid's count is kept per pair. Cells with more than ``max_cell_buyers`` buyers
after pruning list no pairs (a flash sale with thousands of buyers would otherwise cost
millions of pairs; lockstep groups are a handful of accounts). Groups are the connected
components of the pairs at ``min_shared_windows``; their shops are tested against the shop's
share of all orders, on the driver, for the (group, shop) candidates only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from linkguard.detect._background import poisson_log10_tail
from linkguard.detect.lockstep import LockstepParams
from linkguard.spark.cache import run_cached, truncate
from linkguard.spark.components import connected_components
from linkguard.spark.local import codes, local_rows, prune_memberships, rows_of

__all__ = ["MAX_CELL_BUYERS", "lockstep_groups", "prune_cells"]

#: Cells with more buyers than this (after pruning) list no buyer pairs.
MAX_CELL_BUYERS = 1000


def prune_cells(m: DataFrame, cell: list[str], min_windows: int) -> DataFrame:
    """Memberships (``buyer_id`` + ``cell`` columns) pruned to a fixed point; the rounds
    finish on the driver once at most :func:`linkguard.spark.local.local_rows` are left."""
    limit = local_rows(m.sparkSession)
    m = m.transform(run_cached)
    n = m.count()
    while n:
        if n <= limit:
            return _prune_locally(m, cell, min_windows, n)
        per_cell = m.groupBy(*cell).agg(F.count("*").alias("nc"))
        per_buyer = m.groupBy("buyer_id").agg(F.count("*").alias("nb"))
        kept = truncate(
            m.join(per_cell, cell)
            .join(per_buyer, "buyer_id")
            .where((F.col("nc") >= 2) & (F.col("nb") >= min_windows))
            .drop("nc", "nb")
        )
        k = kept.count()
        m = kept
        if k == n:
            break
        n = k
    return m


def _prune_locally(m: DataFrame, cell: list[str], min_windows: int, n: int) -> DataFrame:
    rows = rows_of(m, m.columns, n)
    at = {c: i for i, c in enumerate(m.columns)}
    _, buyer = codes([r[at["buyer_id"]] for r in rows])
    _, cells = codes(["\x00".join(str(r[at[c]]) for c in cell) for r in rows])
    kept = prune_memberships(buyer, cells, min_windows)
    out = [rows[i] for i in np.flatnonzero(kept)]
    return m.sparkSession.createDataFrame(out, m.schema)


def _cells(orders: DataFrame, window: int, offset: int) -> DataFrame:
    return orders.select(
        "seller_id",
        F.floor((F.col("ts") + offset) / window).cast("long").alias("bucket"),
        "buyer_id",
    ).distinct()


def lockstep_groups(
    orders: DataFrame, params: LockstepParams, max_cell_buyers: int = MAX_CELL_BUYERS
) -> list[dict[str, Any]]:
    """Groups as dicts: ``buyers``, ``sellers`` (sorted ids), ``windows``,
    ``max_shared_windows``."""
    w = params.window_seconds
    cell = ["seller_id", "bucket"]
    grids = []
    pair_counts = None
    for g, offset in enumerate((0, w // 2)):
        m = prune_cells(_cells(orders, w, offset), cell, params.min_shared_windows)
        m = m.withColumn("grid", F.lit(g)).transform(run_cached)
        grids.append(m)
        sizes = m.groupBy(*cell).agg(F.count("*").alias("n"))
        small = m.join(sizes.where(F.col("n") <= max_cell_buyers), cell, "left_semi")
        a = small.select(*cell, F.col("buyer_id").alias("a"))
        b = small.select(*cell, F.col("buyer_id").alias("b"))
        pc = (
            a.join(b, cell)
            .where(F.col("a") < F.col("b"))
            .groupBy("a", "b")
            .agg(F.count("*").alias("n"))
        )
        pair_counts = pc if pair_counts is None else pair_counts.unionByName(pc)
    assert pair_counts is not None
    best = pair_counts.groupBy("a", "b").agg(F.max("n").alias("n"))
    strong = best.where(F.col("n") >= params.min_shared_windows).transform(run_cached)
    if strong.limit(1).count() == 0:
        return []
    comp = connected_components(strong.select(F.col("a").alias("src"), F.col("b").alias("dst")))
    sizes = comp.groupBy("component").agg(F.count("*").alias("size"))
    group_of = (
        comp.join(sizes.where(F.col("size") >= params.min_group), "component")
        .select(F.col("node").alias("buyer_id"), F.col("component").alias("group"))
        .transform(run_cached)
    )
    max_shared = {
        r["group"]: int(r["m"])
        for r in strong.join(group_of.withColumnRenamed("buyer_id", "a"), "a")
        .groupBy("group")
        .agg(F.max("n").alias("m"))
        .collect()
    }
    # per grid: windows in which 2+ members met, and the shops where they met repeatedly
    best_windows: dict[str, int] = {}
    best_sellers: dict[str, list[str]] = {}
    for m in grids:
        met = (
            m.join(group_of, "buyer_id")
            .groupBy("group", *cell)
            .agg(F.count("*").alias("n"))
            .where(F.col("n") >= 2)
        )
        windows = {
            r["group"]: int(r["w"])
            for r in met.groupBy("group").agg(F.count("*").alias("w")).collect()
        }
        rep = (
            met.groupBy("group", "seller_id")
            .agg(F.count("*").alias("k"))
            .where(F.col("k") >= params.min_seller_windows)
            .groupBy("group")
            .agg(F.array_sort(F.collect_list("seller_id")).alias("s"))
        )
        sellers = {r["group"]: list(r["s"]) for r in rep.collect()}
        for grp, n in windows.items():
            if n > best_windows.get(grp, 0):
                best_windows[grp] = n
                best_sellers[grp] = sellers.get(grp, [])
    kept = _beyond_chance(orders, group_of, best_sellers, params)
    members = {
        r["group"]: sorted(r["m"])
        for r in group_of.groupBy("group").agg(F.collect_list("buyer_id").alias("m")).collect()
    }
    out = [
        {
            "buyers": members[g],
            "sellers": kept[g],
            "windows": best_windows.get(g, 0),
            "max_shared_windows": max_shared[g],
        }
        for g in members
        if kept.get(g)
    ]
    out.sort(key=lambda grp: (-len(grp["buyers"]), grp["buyers"][0]))  # type: ignore[arg-type,index]
    return out


def _beyond_chance(
    orders: DataFrame, group_of: DataFrame, sellers: dict[str, list[str]], params: LockstepParams
) -> dict[str, list[str]]:
    spark = orders.sparkSession
    cand = [(g, s) for g, ss in sellers.items() for s in ss]
    if not cand:
        return {}
    cdf = spark.createDataFrame(cand, "group string, seller_id string")
    total = orders.count()
    shop = orders.groupBy("seller_id").agg(F.count("*").alias("shop_orders"))
    per_buyer = orders.groupBy("buyer_id").agg(F.count("*").alias("all_orders"))
    mine = orders.join(group_of, "buyer_id").join(cdf, ["group", "seller_id"])
    stats = (
        mine.groupBy("group", "seller_id", "buyer_id")
        .agg(F.count("*").alias("hits"))
        .join(per_buyer, "buyer_id")
        .groupBy("group", "seller_id")
        .agg(F.sum("hits").alias("k"), F.sum("all_orders").alias("spread"))
        .join(shop, "seller_id")
    ).collect()
    out: dict[str, list[str]] = {g: [] for g in sellers}
    for r in stats:
        k = float(r["k"])
        lam = max(float(r["spread"]) * float(r["shop_orders"]) / total, 1e-12)
        p = float(poisson_log10_tail(np.array([k]), np.array([lam]))[0])
        if k >= params.min_seller_lift * lam and p >= params.min_seller_log10_p:
            out[r["group"]].append(r["seller_id"])
    return {g: sorted(v) for g, v in out.items()}

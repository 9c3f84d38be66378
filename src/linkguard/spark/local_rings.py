"""Rings found locally, on Spark: :mod:`linkguard.detect.local_rings` with group-bys and joins.

1. Shop pairs: every buyer of 2 to ``max_buyer_shops`` small shops (shops with at most
   ``max(max_shop_buyers, max_shop_share x buyers)`` buyers) lists the pairs of its small
   shops (a self-join per buyer: at most ``max_buyer_shops^2 / 2`` rows each); a group-by
   counts each pair's shared buyers. Pairs with ``min_shared`` or more are compared with the
   configuration-model expectation ``sa sb sum d (d - 1) / (sum d)^2`` (Poisson tail, on the
   executors) and kept beyond the Bonferroni bound over every tested pair, exactly as
   the in-memory ``_significant_pairs``.
2. Seeds: connected components of the kept pairs; seeds of more than ``max_sellers`` shops
   are left out.
3. Each seed's orders (every order at its shops: a handful of small shops) go to one
   ``applyInPandas`` call running :func:`linkguard.detect.local_rings.seed_ring`, the
   in-memory test and growth. Only the rings found reach the driver, with the seed's best
   pair for the evidence.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from linkguard.detect._behaviour import UNKNOWN, Baseline
from linkguard.detect.local_rings import LocalRingParams, seed_ring
from linkguard.spark.behaviour import created_array, with_poisson_log10_p
from linkguard.spark.cache import run_cached
from linkguard.spark.components import connected_components
from linkguard.spark.farms import RING_SCHEMA, ring_frame

__all__ = ["local_rings", "significant_shop_pairs"]


def significant_shop_pairs(pairs: DataFrame, n_buyers: int, params: LocalRingParams) -> DataFrame:
    """``a, b, shared, log10_p``: shop pairs sharing improbably many buyers (``a < b``)."""
    deg = pairs.groupBy("buyer_id").agg(F.count("*").alias("d"))
    shop = pairs.groupBy("seller_id").agg(F.count("*").alias("sb"))
    cap = max(params.max_shop_buyers, params.max_shop_share * n_buyers)
    sub = pairs.select("buyer_id", "seller_id").join(shop.where(F.col("sb") <= cap), "seller_id")
    light = (
        sub.groupBy("buyer_id")
        .agg(F.count("*").alias("n"))
        .where((F.col("n") >= 2) & (F.col("n") <= params.max_buyer_shops))
    )
    sub = sub.join(light.select("buyer_id"), "buyer_id", "left_semi")
    a = sub.select("buyer_id", F.col("seller_id").alias("a"), F.col("sb").alias("sa"))
    b = sub.select("buyer_id", F.col("seller_id").alias("b"), F.col("sb").alias("sbb"))
    shared = (
        a.join(b, "buyer_id")
        .where(F.col("a") < F.col("b"))
        .groupBy("a", "b", "sa", "sbb")
        .agg(F.count("*").alias("shared"))
        .where(F.col("shared") >= params.min_shared)
    ).transform(run_cached)
    n_tested = shared.count()
    spark = pairs.sparkSession
    if n_tested == 0:
        return spark.createDataFrame([], "a string, b string, shared long, log10_p double")
    d = (
        deg.where(F.col("d") <= params.max_buyer_shops)
        .agg(F.sum("d").alias("s1"), F.sum(F.col("d") * (F.col("d") - 1)).alias("s2"))
        .collect()[0]
    )
    s1, s2 = float(d["s1"] or 0), float(d["s2"] or 0)
    lam = (
        F.col("sa").cast("double")
        * F.col("sbb").cast("double")
        * F.lit(s2)
        / F.lit(max(s1, 1.0) ** 2)
    )
    tested = shared.select("a", "b", "shared", lam.alias("lam"))
    bar = params.min_log10_p + math.log10(n_tested)
    return (
        with_poisson_log10_p(tested, "shared", "lam")
        .where(F.col("log10_p") >= bar)
        .select("a", "b", "shared", "log10_p")
    )


def local_rings(
    orders: DataFrame,
    pairs: DataFrame,
    created: DataFrame,
    base: Baseline,
    timed: bool,
    n_buyers: int,
    params: LocalRingParams,
) -> list[tuple[list[str], list[str], dict[str, Any]]]:
    """Local rings as (buyer ids, shop ids, ring statistics with ``evidence``); ``base`` is
    the market's baseline with 30 days for a new buyer (as the in-memory detector takes it)."""
    if not timed and math.isnan(base.five_star):
        return []  # no time of day and no ratings: nothing tells a ring from a fan community
    kept = significant_shop_pairs(pairs, n_buyers, params).transform(run_cached)
    comp = connected_components(kept.select(F.col("a").alias("src"), F.col("b").alias("dst")))
    seeds = comp.select(F.col("node").alias("seller_id"), F.col("component").alias("group"))
    sizes = seeds.groupBy("group").agg(F.count("*").alias("n"))
    seeds = seeds.join(sizes.where(F.col("n") <= params.max_sellers).select("group"), "group")
    seed_orders = (
        orders.select("buyer_id", "seller_id", "ts", "rating")
        .join(seeds, "seller_id")
        .join(created.withColumnRenamed("account_id", "buyer_id"), "buyer_id", "left")
    )

    def test(frame: pd.DataFrame) -> pd.DataFrame:
        return _test_seed(frame, base, params, coarse=not timed)

    found = seed_orders.groupBy("group").applyInPandas(test, RING_SCHEMA)
    best = (
        kept.join(seeds.withColumnRenamed("seller_id", "a"), "a")
        .groupBy("group")
        .agg(
            F.count("*").alias("shop_pairs"),
            F.max_by(F.struct("shared", "log10_p"), "log10_p").alias("best"),
        )
    )
    out = []
    for r in found.join(best, "group").collect():
        evidence = orjson.loads(r["evidence"])
        evidence.update(
            {
                "shop_pairs": int(r["shop_pairs"]),
                "shared_buyers_best_pair": int(r["best"]["shared"]),
                "best_pair_log10_p": round(float(r["best"]["log10_p"]), 1),
            }
        )
        stats = {k: r[k] for k in ("edges", "density", "score", "lift", "log10_p")}
        out.append((list(r["buyers"]), list(r["sellers"]), {**stats, "evidence": evidence}))
    return out


def _test_seed(
    frame: pd.DataFrame, base: Baseline, params: LocalRingParams, *, coarse: bool = False
) -> pd.DataFrame:
    """One seed's orders through :func:`linkguard.detect.local_rings.seed_ring`."""
    ids, codes = np.unique(
        np.r_[frame["buyer_id"].to_numpy(dtype=object), frame["seller_id"].to_numpy(dtype=object)],
        return_inverse=True,
    )
    n = len(frame)
    b, s = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    created = np.full(len(ids), UNKNOWN, dtype=np.int64)
    created[b] = created_array(frame["created"])
    ring = seed_ring(
        np.arange(n, dtype=np.int64),
        b,
        s,
        frame["ts"].to_numpy(dtype=np.int64),
        frame["rating"].to_numpy(dtype=np.float64),
        created,
        base,
        params,
        len(ids),
        coarse=coarse,
    )
    group = str(frame["group"].iloc[0])
    if ring is None:
        return ring_frame(group, None, [], [])
    names = [str(x) for x in ids]
    return ring_frame(group, ring, names, [names[i] for i in ring.sellers.tolist()])

"""Trade pairs, self-dealing and concentration on Spark: group-bys and joins.

The same figures as :mod:`linkguard.detect.self_dealing` and
:mod:`linkguard.detect.concentration`: self-dealing is a trade pair whose buyer and seller sit
in one linked cluster; concentration is each seller's HHI of buyers' GMV shares, top-1 and
top-5 shares, linked and ring buyers' shares and adjusted GMV over counted orders.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from linkguard.pipeline.detection import NOT_REVENUE_STATUSES
from linkguard.schema import STRONG_IDENTIFIER_KINDS

__all__ = ["concentration", "self_dealing", "trade_pairs"]


def trade_pairs(orders: DataFrame) -> DataFrame:
    """``buyer_id, seller_id, orders, amount, first_ts, rated, five`` over every order (as
    the in-memory pairs; ``rated`` and ``five`` count rated and five-star orders)."""
    return orders.groupBy("buyer_id", "seller_id").agg(
        F.count("*").alias("orders"),
        F.sum("amount").alias("amount"),
        F.min("ts").alias("first_ts"),
        F.count("rating").alias("rated"),
        F.count(F.when(F.col("rating") >= 5, 1)).alias("five"),
    )


def self_dealing(pairs: DataFrame, cluster_of: DataFrame, memberships: DataFrame) -> DataFrame:
    """One row per self-dealing seller: ``seller_id, puppets, orders, amount, gmv_share, kinds``.

    Also usable as the set of self-dealing pairs through :func:`self_dealing_pairs`.
    """
    sd = self_dealing_pairs(pairs, cluster_of)
    gmv = pairs.groupBy("seller_id").agg(F.sum("amount").alias("gmv"))
    per = sd.groupBy("seller_id").agg(
        F.array_sort(F.collect_list("buyer_id")).alias("puppets"),
        F.sum("orders").alias("orders"),
        F.sum("amount").alias("amount"),
    )
    strong = memberships.where(F.col("kind").isin(sorted(STRONG_IDENTIFIER_KINDS))).select(
        "account_id", "kind", "value_hash"
    )
    sv = strong.withColumnRenamed("account_id", "seller_id")
    bv = strong.select(F.col("account_id").alias("buyer_id"), "kind", "value_hash")
    shared = (
        sd.select("seller_id", "buyer_id")
        .join(bv, "buyer_id")
        .join(sv, ["seller_id", "kind", "value_hash"])
        .groupBy("seller_id")
        .agg(F.array_sort(F.collect_set("kind")).alias("kinds"))
    )
    out = per.join(gmv, "seller_id").join(shared, "seller_id", "left")
    return out.select(
        "seller_id",
        "puppets",
        "orders",
        "amount",
        F.when(F.col("gmv") > 0, F.col("amount") / F.col("gmv")).otherwise(0.0).alias("gmv_share"),
        F.coalesce(F.col("kinds"), F.array().cast("array<string>")).alias("kinds"),
    )


def self_dealing_pairs(pairs: DataFrame, cluster_of: DataFrame) -> DataFrame:
    cb = cluster_of.select(F.col("account_id").alias("buyer_id"), F.col("cluster").alias("cb"))
    cs = cluster_of.select(F.col("account_id").alias("seller_id"), F.col("cluster").alias("cs"))
    return (
        pairs.join(cb, "buyer_id")
        .join(cs, "seller_id")
        .where((F.col("cb") == F.col("cs")) & (F.col("buyer_id") != F.col("seller_id")))
        .drop("cb", "cs")
    )


def concentration(
    orders: DataFrame,
    cluster_of: DataFrame,
    ring_pairs: DataFrame,
    sd_pairs: DataFrame,
    cycle_orders: DataFrame,
) -> DataFrame:
    """Per seller: the columns of ``concentration.parquet`` (``seller_id`` first).

    ``ring_pairs`` and ``sd_pairs`` hold ``buyer_id, seller_id``; ``cycle_orders`` holds
    ``order_id`` of orders on found cycles.
    """
    counted = orders.where(~F.col("status").isin(list(NOT_REVENUE_STATUSES)))
    cb = cluster_of.select(F.col("account_id").alias("buyer_id"), F.col("cluster").alias("cb"))
    cs = cluster_of.select(F.col("account_id").alias("seller_id"), F.col("cluster").alias("cs"))
    rp = ring_pairs.select("buyer_id", "seller_id", F.lit(True).alias("ring"))
    sp = sd_pairs.select("buyer_id", "seller_id", F.lit(True).alias("sd"))
    co = cycle_orders.select("order_id", F.lit(True).alias("cyc"))
    o = (
        counted.join(cb, "buyer_id", "left")
        .join(cs, "seller_id", "left")
        .join(rp, ["buyer_id", "seller_id"], "left")
        .join(sp, ["buyer_id", "seller_id"], "left")
        .join(co, "order_id", "left")
    )
    o = o.select(
        "seller_id",
        "buyer_id",
        "amount",
        (F.col("cb").isNotNull() & (F.col("cb") == F.col("cs"))).alias("linked"),
        F.coalesce(F.col("ring"), F.lit(False)).alias("ring"),
        (
            F.coalesce(F.col("ring"), F.lit(False))
            | F.coalesce(F.col("sd"), F.lit(False))
            | F.coalesce(F.col("cyc"), F.lit(False))
        ).alias("removed"),
    )

    def amt_if(c: str) -> Column:
        return F.sum(F.when(F.col(c), F.col("amount")).otherwise(0.0))

    seller = o.groupBy("seller_id").agg(
        F.count("*").alias("orders"),
        F.sum("amount").alias("gmv"),
        amt_if("linked").alias("linked_amt"),
        amt_if("ring").alias("ring_amt"),
        amt_if("removed").alias("removed_amt"),
    )
    pair = o.groupBy("seller_id", "buyer_id").agg(F.sum("amount").alias("pamt"))
    pair = pair.join(seller.select("seller_id", "gmv"), "seller_id").withColumn(
        "share", F.when(F.col("gmv") > 0, F.col("pamt") / F.col("gmv")).otherwise(0.0)
    )
    rank = F.row_number().over(Window.partitionBy("seller_id").orderBy(F.desc("share")))
    pair = pair.withColumn("rank", rank)
    shares = pair.groupBy("seller_id").agg(
        F.count("*").alias("buyers"),
        F.sum((F.col("share") * 100.0) ** 2).alias("hhi"),
        F.max("share").alias("top1_share"),
        F.sum(F.when(F.col("rank") <= 5, F.col("share")).otherwise(0.0)).alias("top5_share"),
    )
    out = seller.join(shares, "seller_id")

    def share(c: str) -> Column:
        return F.when(F.col("gmv") > 0, F.col(c) / F.col("gmv")).otherwise(0.0)

    return out.select(
        "seller_id",
        F.col("orders").cast("long"),
        F.col("buyers").cast("long"),
        F.round("gmv", 2).alias("gmv"),
        "hhi",
        "top1_share",
        "top5_share",
        share("linked_amt").alias("linked_buyer_share"),
        share("ring_amt").alias("ring_buyer_share"),
        F.round(F.greatest(F.col("gmv") - F.col("removed_amt"), F.lit(0.0)), 2).alias(
            "adjusted_gmv"
        ),
    )

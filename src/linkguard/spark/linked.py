"""Linked accounts on Spark: hub-weighted shared identifiers, then connected components.

The weights are those of :func:`linkguard.detect.linked.identifier_weights`: a value shared by
``k`` accounts weighs ``base * min(1, free / k)`` and nothing when ``k < 2`` or ``k > hub``;
``k`` comes from a group-by over the distinct (account, value) memberships. Two kinds of values
are then turned into edges without ever listing the pairs of a hub value:

- a value heavy enough to link on its own (weight >= threshold) joins each member to its
  smallest member (a star: ``k - 1`` edges, not ``k^2``);
- lighter values list their member pairs (at most ``hub^2`` per value, as weight vanishes
  above ``hub``), whose weights are summed per pair and kept at the threshold.

Components come from :func:`linkguard.spark.components.connected_components`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from linkguard.detect.linked import LinkParams
from linkguard.schema import STRONG_IDENTIFIER_KINDS, WEAK_IDENTIFIER_KINDS
from linkguard.spark.cache import run_cached
from linkguard.spark.components import connected_components

__all__ = ["SparkLinked", "linked_accounts"]


@dataclass(frozen=True)
class SparkLinked:
    #: ``account_id, cluster`` (the cluster's smallest account id) for linked accounts.
    cluster_of: DataFrame
    #: ``cluster, size, kinds`` (kinds sorted).
    clusters: DataFrame
    #: ``account_id, kind, value_hash, k, weight``: distinct memberships with their value's
    #: sharers and weight.
    memberships: DataFrame
    #: ``src, dst``: links that strong kinds carry on their own (a star per heavy strong
    #: value, and pairs whose light strong values sum to the threshold), for owner groups.
    strong_edges: DataFrame


def _weight(k: Column, kind: Column, p: LinkParams) -> Column:
    strong = kind.isin(sorted(STRONG_IDENTIFIER_KINDS))
    weak = kind.isin(sorted(WEAK_IDENTIFIER_KINDS))
    base = (
        F.when(strong, F.lit(p.strong_weight))
        .when(weak, F.lit(p.weak_weight))
        .otherwise(F.lit(p.other_weight))
    )
    free = F.when(weak, F.lit(float(p.weak_free))).otherwise(F.lit(float(p.strong_free)))
    hub = F.when(weak, F.lit(p.weak_hub)).otherwise(F.lit(p.strong_hub))
    w = base * F.least(F.lit(1.0), free / k.cast("double"))
    return F.when((k < 2) | (k > hub), F.lit(0.0)).otherwise(w)


def linked_accounts(identifiers: DataFrame, params: LinkParams) -> SparkLinked:
    """Cluster the accounts of ``identifiers`` (``account_id, kind, value_hash``)."""
    m = identifiers.select("account_id", "kind", "value_hash").distinct()
    sharers = m.groupBy("kind", "value_hash").agg(F.count("*").alias("k"))
    sharers = sharers.withColumn("weight", _weight(F.col("k"), F.col("kind"), params))
    m = m.join(sharers, ["kind", "value_hash"]).transform(run_cached)
    live = m.where(F.col("weight") > 0)
    cut = params.threshold - 1e-9
    heavy = live.where(F.col("weight") >= cut)
    star_root = heavy.groupBy("kind", "value_hash").agg(F.min("account_id").alias("root"))
    strong = F.col("kind").isin(sorted(STRONG_IDENTIFIER_KINDS))
    star = heavy.join(star_root, ["kind", "value_hash"]).select(
        F.col("account_id").alias("src"), F.col("root").alias("dst"), strong.alias("strong")
    )
    light = live.where(F.col("weight") < cut).select("kind", "value_hash", "account_id", "weight")
    a = light.alias("a")
    b = light.select("kind", "value_hash", F.col("account_id").alias("other"))
    pairs = a.join(b, ["kind", "value_hash"]).where(F.col("account_id") < F.col("other"))
    summed = pairs.groupBy("account_id", "other").agg(
        F.sum("weight").alias("w"),
        F.sum(F.when(strong, F.col("weight")).otherwise(0.0)).alias("ws"),
    )
    linked_pairs = summed.where(F.col("w") >= cut).select(
        F.col("account_id").alias("src"),
        F.col("other").alias("dst"),
        (F.col("ws") >= cut).alias("strong"),
    )
    both = star.unionByName(linked_pairs).where(F.col("src") != F.col("dst")).transform(run_cached)
    edges = both.select("src", "dst")
    strong_edges = both.where("strong").select("src", "dst")
    comp = connected_components(edges)
    cluster_of = comp.select(
        F.col("node").alias("account_id"), F.col("component").alias("cluster")
    ).transform(run_cached)
    sizes = cluster_of.groupBy("cluster").agg(F.count("*").alias("size"))
    shared = (
        live.join(cluster_of, "account_id")
        .groupBy("cluster", "kind", "value_hash")
        .agg(F.count("*").alias("n"))
        .where(F.col("n") >= 2)
        .select("cluster", "kind")
        .distinct()
    )
    kinds = shared.groupBy("cluster").agg(F.array_sort(F.collect_list("kind")).alias("kinds"))
    clusters = sizes.join(kinds, "cluster", "left").withColumn(
        "kinds", F.coalesce(F.col("kinds"), F.array().cast("array<string>"))
    )
    return SparkLinked(cluster_of, clusters, m, strong_edges)

"""Buyer farms on Spark: :mod:`linkguard.detect.farms` with group-bys, joins and components.

Candidates are generated where the data lies:

1. memberships of identifier values shared by 2 to ``max_sharers`` accounts meet their
   holders' trade pairs (buyer side), less the values the shop itself holds;
2. a (value, shop) with two or more such buyers links them: each joins the smallest
   (a star per value and shop, never a pair list); a shop's linked buyers are the connected
   components (:func:`linkguard.spark.components.connected_components`) of those links,
   over nodes ``shop + buyer``, so a component never spans two shops;
3. per group, its reach (distinct holders of its linking values), its share of buyers on
   strong linking values, its shop's buyers and the market's buyers give the expectation of
   :func:`linkguard.detect.farms.farm_rings`; the Poisson tail is taken on the executors and
   compared with the same Bonferroni bound over every group of ``min_buyers`` or more.

The groups that pass are tested where they lie: each group's orders at its shop (one shop,
the group's buyers: at most ``max_sharers`` accounts per linking value) go to one
``applyInPandas`` call that runs :func:`linkguard.detect.farms.farm_ring` (the in-memory
behaviour test and evidence) on them. Only the rings found reach the driver.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from linkguard.detect._behaviour import Baseline
from linkguard.detect.farms import FarmParams, farm_ring
from linkguard.schema import STRONG_IDENTIFIER_KINDS
from linkguard.spark.behaviour import created_array, with_poisson_log10_p
from linkguard.spark.cache import run_cached
from linkguard.spark.components import connected_components

__all__ = ["RING_SCHEMA", "farm_rings", "ring_frame"]

#: One ring per row, as the pandas stages return them (ids; evidence as JSON).
RING_SCHEMA = (
    "group string, buyers array<string>, sellers array<string>, edges long, "
    "density double, score double, lift double, log10_p double, evidence string"
)

_SEP = "\x01"  # ids hold no control characters (:func:`linkguard.ids.bad_ids`)


def _node(seller: str, buyer: str) -> Column:
    return F.concat_ws(_SEP, F.col(seller), F.col(buyer))


def farm_rings(
    orders: DataFrame,
    pairs: DataFrame,
    memberships: DataFrame,
    created: DataFrame,
    base: Baseline,
    timed: bool,
    n_buyers: int,
    params: FarmParams,
) -> list[tuple[list[str], list[str], dict[str, Any]]]:
    """Farms as (buyer ids, [shop id], ring statistics with ``evidence``).

    ``memberships`` are the distinct ``account_id, kind, value_hash, k`` (``k`` sharers) of
    :class:`linkguard.spark.linked.SparkLinked`; ``created`` is ``account_id, created``;
    ``base``, ``timed`` and ``n_buyers`` are the market's (:mod:`linkguard.spark.behaviour`).
    """
    m = (
        memberships.where((F.col("k") >= 2) & (F.col("k") <= params.max_sharers))
        .select("account_id", "kind", "value_hash", "k")
        .transform(run_cached)
    )
    own = m.select(F.col("account_id").alias("seller_id"), "kind", "value_hash")
    # Buyers linked to their seller are the seller's own accounts (self-dealing), not a farm.
    rows = (
        m.withColumnRenamed("account_id", "buyer_id")
        .join(pairs.select("buyer_id", "seller_id"), "buyer_id")
        .join(own, ["seller_id", "kind", "value_hash"], "left_anti")
    )
    linking = (
        rows.groupBy("seller_id", "kind", "value_hash")
        .agg(F.count("*").alias("n"), F.min("buyer_id").alias("root"), F.first("k").alias("k"))
        .where(F.col("n") >= 2)
        .drop("n")
    )
    members = rows.join(
        linking.select("seller_id", "kind", "value_hash", "root"),
        ["seller_id", "kind", "value_hash"],
    )
    edges = members.select(
        _node("seller_id", "buyer_id").alias("src"), _node("seller_id", "root").alias("dst")
    )
    comp = connected_components(edges).withColumnRenamed("component", "group").transform(run_cached)
    nodes = (
        members.select("seller_id", "buyer_id")
        .distinct()
        .withColumn("node", _node("seller_id", "buyer_id"))
        .join(comp, "node")
        .select("group", "seller_id", "buyer_id")
    ).transform(run_cached)
    size = nodes.groupBy("group").agg(
        F.first("seller_id").alias("seller_id"), F.count("*").alias("size")
    )
    links = (
        linking.withColumn("node", _node("seller_id", "root"))
        .join(comp, "node")
        .select("group", "kind", "value_hash", "k")
    )
    holders = links.join(m.select("kind", "value_hash", "account_id"), ["kind", "value_hash"])
    reach = (
        holders.select("group", "account_id")
        .distinct()
        .groupBy("group")
        .agg(F.count("*").alias("reach"))
    )
    strong = (
        holders.where(F.col("kind").isin(sorted(STRONG_IDENTIFIER_KINDS)))
        .select("group", F.col("account_id").alias("buyer_id"))
        .distinct()
    )
    on_strong = (
        nodes.join(strong, ["group", "buyer_id"], "left_semi")
        .groupBy("group")
        .agg(F.count("*").alias("n_strong"))
    )
    shop = pairs.groupBy("seller_id").agg(F.count("*").alias("shop_buyers"))
    big = (
        size.where(F.col("size") >= params.min_buyers)
        .join(reach, "group")
        .join(on_strong, "group", "left")
        .join(shop, "seller_id")
        .select(
            "group",
            "seller_id",
            F.col("size").cast("double").alias("size"),
            (F.col("reach") * F.col("shop_buyers") / max(n_buyers, 1)).alias("lam"),
            (F.coalesce(F.col("n_strong"), F.lit(0)) / F.col("size")).alias("strong_share"),
        )
    )
    big = with_poisson_log10_p(big, "size", "lam").transform(run_cached)
    n_big = big.count()
    if n_big == 0:
        return []
    bar = params.min_log10_p + math.log10(max(n_big, 1))
    passed = big.where(F.col("log10_p") >= bar)
    link_lists = (
        links.join(passed.select("group"), "group", "left_semi")
        .groupBy("group")
        .agg(F.collect_list(F.struct("kind", "k")).alias("links"))
    )
    group_orders = (
        nodes.join(passed.select("group"), "group", "left_semi")
        .join(orders.select("buyer_id", "seller_id", "ts", "rating"), ["buyer_id", "seller_id"])
        .join(created.withColumnRenamed("account_id", "buyer_id"), "buyer_id", "left")
        .join(passed.drop("seller_id"), "group")
        .join(link_lists, "group")
    )

    def test(frame: pd.DataFrame) -> pd.DataFrame:
        return _test_group(frame, base, timed, params)

    found = group_orders.groupBy("group").applyInPandas(test, RING_SCHEMA).collect()
    out = []
    for r in found:
        stats = {k: r[k] for k in ("edges", "density", "score", "lift", "log10_p")}
        out.append(
            (
                list(r["buyers"]),
                list(r["sellers"]),
                {**stats, "evidence": orjson.loads(r["evidence"])},
            )
        )
    return out


def _test_group(
    frame: pd.DataFrame, base: Baseline, timed: bool, params: FarmParams
) -> pd.DataFrame:
    """One group's orders at its shop through :func:`linkguard.detect.farms.farm_ring`."""
    ids, b = np.unique(frame["buyer_id"].to_numpy(dtype=object), return_inverse=True)
    first = frame.iloc[0]
    links = list(first["links"])
    created = np.full(len(ids) + 1, np.iinfo(np.int64).min, dtype=np.int64)
    created[b] = created_array(frame["created"])
    ring = farm_ring(
        np.arange(len(ids), dtype=np.int64),
        len(ids),
        np.arange(len(frame), dtype=np.int64),
        b.astype(np.int64),
        frame["ts"].to_numpy(dtype=np.int64),
        frame["rating"].to_numpy(dtype=np.float64),
        created,
        base,
        params,
        strong_share=float(first["strong_share"]),
        log10_p=float(first["log10_p"]),
        lam=float(first["lam"]),
        link_kinds=np.asarray([x["kind"] for x in links], dtype=object),
        link_sharers=np.asarray([x["k"] for x in links], dtype=np.int64),
        timed=timed,
    )
    return ring_frame(first["group"], ring, list(ids), [str(first["seller_id"])])


def ring_frame(group: str, ring: Any, buyer_ids: list[str], seller_ids: list[str]) -> pd.DataFrame:
    """A one-row (or empty) frame of :data:`RING_SCHEMA` for ``ring``, whose buyers are
    codes into ``buyer_ids``; ``seller_ids`` are its sellers' ids."""
    cols = [
        "group",
        "buyers",
        "sellers",
        "edges",
        "density",
        "score",
        "lift",
        "log10_p",
        "evidence",
    ]
    if ring is None:
        return pd.DataFrame(
            {
                c: pd.Series(
                    [],
                    dtype=object
                    if c in ("buyers", "sellers")
                    else "int64"
                    if c == "edges"
                    else "float64"
                    if c != "group" and c != "evidence"
                    else object,
                )
                for c in cols
            }
        )
    return pd.DataFrame(
        [
            {
                "group": group,
                "buyers": [buyer_ids[i] for i in ring.buyers.tolist()],
                "sellers": seller_ids,
                "edges": int(ring.edges),
                "density": float(ring.density),
                "score": float(ring.score),
                "lift": float(ring.lift),
                "log10_p": float(ring.log10_p),
                "evidence": orjson.dumps(ring.evidence, option=orjson.OPT_SERIALIZE_NUMPY).decode(),
            }
        ],
        columns=cols,
    )

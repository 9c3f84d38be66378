"""The second looks of :mod:`linkguard.detect.ring_checks` on Spark: sparse sellers trimmed
from peeled rings, rings and lockstep groups rated like everyone else dropped.

Both checks read only the pairs among a handful of candidate groups' members and the
market's degrees of those members: :func:`member_pairs` gathers them with semi-joins and
group-bys restricted to the members (at most :data:`MAX_MEMBERS` accounts and
:data:`MAX_MEMBER_PAIRS` pairs, asserted), streamed a partition at a time. The in-memory
functions :func:`linkguard.detect.ring_checks.trim_by_degrees` and
:func:`linkguard.detect.ring_checks.rated_like_base` then run on them in local codes, with the
market-wide figures (pairs, sellers, five-star rate) from one aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from linkguard.detect.ring_checks import rated_like_base

__all__ = [
    "MAX_MEMBERS",
    "MAX_MEMBER_PAIRS",
    "MarketCounts",
    "MemberPairs",
    "market_counts",
    "member_pairs",
    "ordinary_groups",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Candidate groups' members read back at once, at most (the checks are for found groups).
MAX_MEMBERS = 2_000_000
#: Trade pairs among them, at most.
MAX_MEMBER_PAIRS = 20_000_000


@dataclass(frozen=True)
class MarketCounts:
    """Whole-market figures the checks and the hidden-ring detectors compare with."""

    pairs: int
    sellers: int
    buyers: int


def market_counts(pairs: DataFrame) -> MarketCounts:
    row = pairs.agg(
        F.count("*").alias("p"),
        F.countDistinct("seller_id").alias("s"),
        F.countDistinct("buyer_id").alias("b"),
    ).collect()[0]
    return MarketCounts(int(row["p"]), int(row["s"]), int(row["b"]))


@dataclass(frozen=True)
class MemberPairs:
    """The trade pairs among some accounts, in local codes (``ids[code]``)."""

    ids: list[str]
    code: dict[str, int]
    buyer: IntArray
    seller: IntArray
    #: Per pair: its rated orders and its five-star orders.
    rated: IntArray
    five: IntArray
    #: Per code: the whole market's trade pairs as seller and as buyer.
    seller_deg: FloatArray
    buyer_deg: FloatArray


def member_pairs(pairs: DataFrame, ids: list[str]) -> MemberPairs:
    """:class:`MemberPairs` of ``ids``; ``pairs`` carry ``buyer_id, seller_id, rated, five``."""
    if len(ids) > MAX_MEMBERS:
        raise RuntimeError(f"{len(ids):,} candidate group members: more than {MAX_MEMBERS:,}")
    spark = pairs.sparkSession
    code = {a: i for i, a in enumerate(ids)}
    members = F.broadcast(spark.createDataFrame([(a,) for a in ids], "a string"))
    as_buyer = members.withColumnRenamed("a", "buyer_id")
    as_seller = members.withColumnRenamed("a", "seller_id")
    local = (
        pairs.join(as_buyer, "buyer_id", "left_semi")
        .join(as_seller, "seller_id", "left_semi")
        .select("buyer_id", "seller_id", "rated", "five")
    )
    b, s, rated, five = [], [], [], []
    for r in local.toLocalIterator():
        b.append(code[r["buyer_id"]])
        s.append(code[r["seller_id"]])
        rated.append(int(r["rated"]))
        five.append(int(r["five"]))
        if len(b) > MAX_MEMBER_PAIRS:
            raise RuntimeError(
                f"more than {MAX_MEMBER_PAIRS:,} trade pairs among candidate group members"
            )
    seller_deg = np.zeros(len(ids))
    buyer_deg = np.zeros(len(ids))
    sd = (
        pairs.join(as_seller, "seller_id", "left_semi")
        .groupBy(F.col("seller_id").alias("a"))
        .agg(F.count("*").alias("d"))
        .withColumn("role", F.lit(0))
    )
    bd = (
        pairs.join(as_buyer, "buyer_id", "left_semi")
        .groupBy(F.col("buyer_id").alias("a"))
        .agg(F.count("*").alias("d"))
        .withColumn("role", F.lit(1))
    )
    for r in sd.unionByName(bd).toLocalIterator():
        (seller_deg if r["role"] == 0 else buyer_deg)[code[r["a"]]] = float(r["d"])
    return MemberPairs(
        ids,
        code,
        np.asarray(b, dtype=np.int64),
        np.asarray(s, dtype=np.int64),
        np.asarray(rated, dtype=np.int64),
        np.asarray(five, dtype=np.int64),
        seller_deg,
        buyer_deg,
    )


def ordinary_groups(
    pairs: DataFrame, groups: list[tuple[list[str], list[str]]], five_star: float
) -> list[bool]:
    """Per (buyer ids, seller ids) group: rated like everyone else, or at one shop without any
    rating (:func:`linkguard.detect.ring_checks.rated_like_everyone`); ``five_star`` is the
    market's five-star rate (NaN: nothing is rated)."""
    if not groups:
        return []
    ids = sorted({a for bs, ss in groups for a in (*bs, *ss)})
    mp = member_pairs(pairs, ids)
    coded = [
        (
            np.array([mp.code[a] for a in bs], dtype=np.int64),
            np.array([mp.code[a] for a in ss], dtype=np.int64),
        )
        for bs, ss in groups
    ]
    return rated_like_base(coded, mp.buyer, mp.seller, mp.rated, mp.five, five_star, len(ids))

"""Fake-reputation rings on Spark: parallel peeling to find dense regions, then the in-memory
peel and background test inside each region.

Both views of :mod:`linkguard.detect.rings` and :mod:`linkguard.detect.bursts` are searched:
buyer x seller pairs, and buyer x (seller, hour) cells pruned to a fixed point (a cell needs two
buyers, a buyer two cells). Edges carry FRAUDAR's column weights ``1 / log(degree + c)``.

A round finds the densest region left by parallel peeling (Bahmani, Kumar, Vassilvitskii,
VLDB 2012): each pass computes every live node's weighted degree with one group-by and drops
every node below ``(1 + eps)`` times the average weighted degree; the live set with the best
average weight per node is the region, found in O(log n / eps) passes. The region's columns'
edges (bounded by their degrees, at most ``MAX_BLOCK_NODES`` nodes) are collected, and the
in-memory loop (greedy peel in compiled code, then
:func:`linkguard.detect._background.accept_parts`: prune, grow, split, background test) runs
on them with the whole graph's degrees, so weights and the background are the in-memory ones.
What that loop peeled away and the rings it accepted leave the graph; the next round peels
what is left, until ``patience`` rounds in a row accept no ring. Rings found in both views
that share members are merged by :func:`linkguard.detect.rings.merge_rings` over the pairs
among ring members.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from linkguard.detect._background import Block
from linkguard.detect.bursts import _split_by_repeat_sellers
from linkguard.detect.graph import trade_pairs as local_pairs
from linkguard.detect.ring_checks import rated_like_base, trim_by_degrees
from linkguard.detect.rings import Ring, RingParams, merge_rings
from linkguard.spark.cache import run_cached, truncate
from linkguard.spark.local import codes, local_rows, rows_of
from linkguard.spark.lockstep import prune_cells
from linkguard.spark.peeling import parallel_peel, peel_on_driver, peel_region
from linkguard.spark.ring_checks import MarketCounts, member_pairs

__all__ = ["EPSILON", "MAX_BLOCK_NODES", "ring_search"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Parallel peeling drops nodes below (1 + EPSILON) x the average weighted degree.
EPSILON = 0.1
#: A block bigger than this is no ring to collect (the market has no dense region left).
MAX_BLOCK_NODES = 200_000


@dataclass(frozen=True)
class _Region:
    """One dense region's collected edges (local numbers) and the blocks found in it."""

    rows: list[str]
    cols: list[str]
    row: IntArray
    col: IntArray
    blocks: list[Block]


def _regions(
    spark: SparkSession,
    edges: DataFrame,
    row_deg: DataFrame,
    col_deg: DataFrame,
    total_edges: float,
    params: RingParams,
    eps: float,
    max_block: int,
) -> list[_Region]:
    """Peel dense regions off ``edges`` (``u`` row, ``v`` column, ``w``) until ``patience``
    regions in a row hold no ring; ``row_deg``/``col_deg`` (``node, d``) are the whole graph's.
    Once at most :func:`linkguard.spark.local.local_rows` edges are left, the rest of the
    regions are peeled on the driver (:func:`_local_regions`).
    """
    limit = local_rows(spark)
    edges = truncate(edges)
    out: list[_Region] = []
    idle = 0
    for done in range(params.max_peels):
        n = edges.count()
        if n == 0:
            break
        if n <= limit:
            out += _local_regions(
                edges, n, row_deg, col_deg, total_edges, params, eps, max_block,
                params.max_peels - done, idle,
            )  # fmt: skip
            break
        nodes = parallel_peel(edges, eps, limit, max_block)
        if not nodes or len(nodes) > max_block:
            break
        in_region = set(nodes)
        colset = spark.createDataFrame([(c,) for c in nodes], "v string")
        inc = edges.join(colset, "v", "left_semi").select("u", "v").collect()

        def degrees(rows: list[str], cols: list[str]) -> tuple[dict[str, int], dict[str, int]]:
            return _degrees(spark, row_deg, rows), _degrees(spark, col_deg, cols)

        region, dead = _take_region(
            [r["u"] for r in inc], [r["v"] for r in inc], in_region, degrees, total_edges, params
        )
        out.append(region)
        gone = spark.createDataFrame([(x,) for x in dead], "node string")
        edges = truncate(
            edges.join(gone.withColumnRenamed("node", "u"), "u", "left_anti").join(
                gone.withColumnRenamed("node", "v"), "v", "left_anti"
            )
        )
        idle = 0 if region.blocks else idle + 1
        if idle >= params.patience:
            break
    return out


Degrees = Callable[[list[str], list[str]], tuple[Mapping[str, float], Mapping[str, float]]]


def _take_region(
    inc_u: list[str],
    inc_v: list[str],
    in_region: set[str],
    degrees: Degrees,
    total_edges: float,
    params: RingParams,
) -> tuple[_Region, set[str]]:
    """The in-memory loop on one region: ``inc_u[i] - inc_v[i]`` are the edges of the
    region's columns; ``degrees(rows, cols)`` gives their whole-graph degrees. Returns the
    region and the nodes that leave the graph."""
    rows = sorted(set(inc_u))
    cols = sorted(set(inc_v))
    ri = {a: i for i, a in enumerate(rows)}
    ci = {a: i for i, a in enumerate(cols)}
    rd, cd = degrees(rows, cols)
    row = np.array([ri[a] for a in inc_u], dtype=np.int64)
    col = np.array([ci[a] for a in inc_v], dtype=np.int64)
    peelable = np.array([a in in_region for a in inc_u], dtype=np.bool_)
    blocks, peeled = peel_region(
        row,
        col,
        peelable,
        np.array([rd[a] for a in rows], dtype=np.float64),
        np.array([cd[a] for a in cols], dtype=np.float64),
        total_edges,
        params,
    )
    # What the in-memory loop took out leaves the graph (peeled blocks and rings); the
    # rest of the region stays for the next region, unless nothing at all was taken.
    nr = len(rows)
    dead = {rows[i] for i in np.flatnonzero(peeled[:nr])}
    dead |= {cols[i] for i in np.flatnonzero(peeled[nr:])}
    for r_idx, c_idx, _ in blocks:
        dead |= {rows[i] for i in r_idx} | {cols[i] for i in c_idx}
    if not dead:
        dead = in_region
    return _Region(rows, cols, row, col, blocks), dead


def _local_regions(
    edges: DataFrame,
    n_edges: int,
    row_deg: DataFrame,
    col_deg: DataFrame,
    total_edges: float,
    params: RingParams,
    eps: float,
    max_block: int,
    rounds: int,
    idle: int,
) -> list[_Region]:
    """:func:`_regions`' remaining ``rounds`` on the driver, over ``edges`` (``n_edges`` of
    them) read back once, with their ends' degrees; ``idle``: regions in a row without a
    ring so far."""
    rows = rows_of(edges, ["u", "v", "w"], n_edges)
    ends = (
        edges.select(F.col("u").alias("node"))
        .unionByName(edges.select(F.col("v").alias("node")))
        .distinct()
    )
    known = row_deg.unionByName(col_deg).join(ends, "node", "left_semi")
    deg = {str(r[0]): float(r[1]) for r in rows_of(known, ["node", "d"], 2 * n_edges)}
    names, inv = codes([r[0] for r in rows] + [r[1] for r in rows])
    u_all, v_all = inv[: len(rows)], inv[len(rows) :]
    w_all = np.array([r[2] for r in rows], dtype=np.float64)
    pos = {a: i for i, a in enumerate(names)}
    live = np.ones(len(rows), dtype=np.bool_)

    def degrees(rs: list[str], cs: list[str]) -> tuple[dict[str, float], dict[str, float]]:
        return {a: deg[a] for a in rs}, {a: deg[a] for a in cs}

    out: list[_Region] = []
    for _ in range(rounds):
        if not live.any():
            break
        u, v = u_all[live], v_all[live]
        block, _best = peel_on_driver(u, v, w_all[live], len(names), eps)
        nodes = np.flatnonzero(block)
        if len(nodes) == 0 or len(nodes) > max_block:
            break
        in_block = np.zeros(len(names), dtype=np.bool_)
        in_block[nodes] = True
        inc = in_block[v]
        region, dead = _take_region(
            [names[i] for i in u[inc]],
            [names[i] for i in v[inc]],
            {names[i] for i in nodes},
            degrees,
            total_edges,
            params,
        )
        out.append(region)
        gone = np.zeros(len(names), dtype=np.bool_)
        gone[[pos[a] for a in dead if a in pos]] = True
        live &= ~gone[u_all] & ~gone[v_all]
        idle = 0 if region.blocks else idle + 1
        if idle >= params.patience:
            break
    return out


def _structural(
    spark: SparkSession, pairs: DataFrame, params: RingParams, eps: float, max_block: int
) -> list[tuple[list[str], list[str], dict[str, Any]]]:
    """Rings of the buyer x seller view (ids, statistics)."""
    cdeg = pairs.groupBy(F.col("seller_id").alias("s")).agg(F.count("*").alias("d"))
    rdeg = pairs.groupBy(F.col("buyer_id").alias("node")).agg(F.count("*").alias("d"))
    total = float(pairs.count())
    edges = pairs.join(cdeg.withColumnRenamed("s", "seller_id"), "seller_id").select(
        F.concat(F.lit("b:"), "buyer_id").alias("u"),
        F.concat(F.lit("s:"), "seller_id").alias("v"),
        (1.0 / F.log(F.col("d") + params.column_c)).alias("w"),
    )
    rdeg = rdeg.select(F.concat(F.lit("b:"), "node").alias("node"), "d")
    cdeg = cdeg.select(F.concat(F.lit("s:"), "s").alias("node"), "d")
    out = []
    for reg in _regions(spark, edges, rdeg, cdeg, total, params, eps, max_block):
        for r_idx, c_idx, stats in reg.blocks:
            out.append(([reg.rows[i][2:] for i in r_idx], [reg.cols[i][2:] for i in c_idx], stats))
    return out


def _bursts(
    spark: SparkSession, orders: DataFrame, params: RingParams, eps: float, max_block: int
) -> list[tuple[list[str], list[str], dict[str, Any]]]:
    """Rings of the buyer x (seller, time bucket) view (:mod:`linkguard.detect.bursts`)."""
    window = params.burst_window_seconds
    m = (
        orders.select(
            "buyer_id",
            F.concat_ws(
                "|",
                F.concat(F.lit("c:"), "seller_id"),
                F.floor(F.col("ts") / window).cast("string"),
            ).alias("cell"),
        )
        .distinct()
        .transform(run_cached)
    )
    cdeg = m.groupBy(F.col("cell").alias("node")).agg(F.count("*").alias("d"))
    rdeg = m.groupBy(F.concat(F.lit("b:"), "buyer_id").alias("node")).agg(F.count("*").alias("d"))
    total = float(m.count())
    kept = prune_cells(m, ["cell"], 2)
    edges = kept.join(cdeg.withColumnRenamed("node", "cell"), "cell").select(
        F.concat(F.lit("b:"), "buyer_id").alias("u"),
        F.col("cell").alias("v"),
        (1.0 / F.log(F.col("d") + params.column_c)).alias("w"),
    )
    out = []
    for reg in _regions(spark, edges, rdeg, cdeg, total, params, eps, max_block):
        if not reg.blocks:
            continue
        seller_of_col = np.array([c[2:].rsplit("|", 1)[0] for c in reg.cols], dtype=object)
        seller_codes, seller_num = np.unique(seller_of_col, return_inverse=True)
        by_row = np.argsort(reg.row, kind="stable")
        ptr = np.zeros(len(reg.rows) + 1, dtype=np.int64)
        np.cumsum(np.bincount(reg.row, minlength=len(reg.rows)), out=ptr[1:])
        for r_idx, c_idx, stats in reg.blocks:
            for part_rows, part_cols in _split_by_repeat_sellers(
                r_idx,
                c_idx,
                reg.row,
                reg.col,
                by_row,
                ptr,
                seller_num.astype(np.int64),
                params.min_buyers,
            ):
                sellers = sorted({str(seller_codes[seller_num[i]]) for i in part_cols})
                out.append(([reg.rows[i][2:] for i in part_rows], sellers, stats))
    return out


RingList = list[tuple[list[str], list[str], dict[str, Any]]]


def ring_search(
    spark: SparkSession,
    orders: DataFrame,
    pairs: DataFrame,
    params: RingParams,
    *,
    counts: MarketCounts,
    five_star: float,
    hidden: RingList | None = None,
    eps: float = EPSILON,
    max_block: int = MAX_BLOCK_NODES,
) -> tuple[list[dict[str, Any]], DataFrame]:
    """Rings (dicts of ids, statistics and evidence, densest first) and
    ``account_id, role, ring``.

    The peeled rings of both views go through the in-memory checks (sparse sellers trimmed,
    ordinary ratings dropped: :mod:`linkguard.spark.ring_checks`), then merge with the
    ``hidden`` rings (farms, local rings) as :func:`linkguard.detect.rings.merge_rings` does.
    """
    structural = _structural(spark, pairs, params, eps, max_block)
    temporal = _bursts(spark, orders, params, eps, max_block)
    hidden = hidden or []
    ids = sorted({a for b, s, _ in [*structural, *temporal, *hidden] for a in (*b, *s)})
    if not ids:
        return [], spark.createDataFrame([], "account_id string, role string, ring int")
    mp = member_pairs(pairs, ids)

    def coded(found: RingList) -> list[Ring]:
        return [
            Ring(
                buyers=np.sort(np.array([mp.code[a] for a in b], dtype=np.int64)),
                sellers=np.sort(np.array([mp.code[a] for a in s], dtype=np.int64)),
                **stats,
            )
            for b, s, stats in found
        ]

    def trimmed(found: RingList, min_hits: int) -> list[Ring]:
        return trim_by_degrees(
            coded(found),
            mp.buyer,
            mp.seller,
            mp.seller_deg,
            mp.buyer_deg,
            float(counts.pairs),
            counts.sellers,
            params,
            min_hits,
        )

    peeled = trimmed(structural, 2) + trimmed(temporal, 1)
    ordinary = rated_like_base(
        [(r.buyers, r.sellers) for r in peeled],
        mp.buyer,
        mp.seller,
        mp.rated,
        mp.five,
        five_star,
        len(ids),
    )
    peeled = [r for r, o in zip(peeled, ordinary, strict=True) if not o]
    tp = local_pairs(
        mp.buyer,
        mp.seller,
        np.zeros(len(mp.buyer)),
        np.zeros(len(mp.buyer), dtype=np.int64),
        np.full(len(mp.buyer), np.nan),
    )
    merged = merge_rings([peeled, coded(hidden)], tp, len(ids))
    out, rows = [], []
    for i, r in enumerate(merged.rings):
        buyers = sorted(ids[c] for c in r.buyers)
        sellers = sorted(ids[c] for c in r.sellers)
        out.append(
            {
                "buyers": buyers,
                "sellers": sellers,
                "edges": r.edges,
                "density": r.density,
                "score": r.score,
                "lift": r.lift,
                "log10_p": r.log10_p,
                "evidence": r.evidence,
            }
        )
        rows += [(a, "buyer", i) for a in buyers] + [(a, "seller", i) for a in sellers]
    return out, spark.createDataFrame(rows, "account_id string, role string, ring int")


def _degrees(spark: SparkSession, deg: DataFrame, ids: list[str]) -> dict[str, int]:
    wanted = spark.createDataFrame([(a,) for a in ids], "node string")
    return {r["node"]: int(r["d"]) for r in deg.join(wanted, "node", "left_semi").collect()}

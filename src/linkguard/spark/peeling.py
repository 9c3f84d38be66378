"""Parallel peeling on Spark (Bahmani, Kumar, Vassilvitskii, VLDB 2012) and the in-memory
peel of a region, for :mod:`linkguard.spark.rings`.

Each pass computes every live node's weighted degree with one group-by and drops every node
below ``(1 + eps)`` times the average weighted degree; the live set with the best average
weight per node is the densest region. Once few edges are live, the passes go on on the driver.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from linkguard.detect._background import Block, accept_parts
from linkguard.detect._live import LiveGraph
from linkguard.detect.rings import RingParams, peel_loop
from linkguard.spark.cache import truncate
from linkguard.spark.local import codes, rows_of

__all__ = ["parallel_peel", "peel_on_driver", "peel_region"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def parallel_peel(edges: DataFrame, eps: float, limit: int, max_block: int) -> list[str]:
    """The densest live set found by parallel peeling: its nodes (``b:id`` / ``s:id``), at
    most ``max_block + 1`` of them (more means no ring). Once at most ``limit`` edges are
    live, the passes go on on the driver (:func:`peel_on_driver`)."""
    alive = truncate(
        edges.select(F.col("u").alias("node"))
        .unionByName(edges.select(F.col("v").alias("node")))
        .distinct()
        .withColumn("out", F.lit(None).cast("int"))
    )
    best_g, best_pass, p = -1.0, 0, 0
    live_e = edges
    while True:
        deg = (
            live_e.select(F.col("u").alias("node"), "w")
            .unionByName(live_e.select(F.col("v").alias("node"), "w"))
            .groupBy("node")
            .agg(F.sum("w").alias("d"), F.count("*").alias("k"))
        )
        stats = deg.agg(
            F.sum("d").alias("s"), F.count("*").alias("n"), F.sum("k").alias("k")
        ).collect()[0]
        n = int(stats["n"])
        if n == 0:
            break
        if int(stats["k"]) // 2 <= limit:
            rows = rows_of(live_e, ["u", "v", "w"], int(stats["k"]) // 2)
            names, inv = codes([r[0] for r in rows] + [r[1] for r in rows])
            local_block, best_pass = peel_on_driver(
                inv[: len(rows)],
                inv[len(rows) :],
                np.array([r[2] for r in rows], dtype=np.float64),
                len(names),
                eps,
                p,
                best_g,
                best_pass,
            )
            if best_pass > p:
                return [names[i] for i in np.flatnonzero(local_block)[: max_block + 1]]
            break
        total_w = float(stats["s"]) / 2.0
        g = total_w / n
        if g > best_g:
            best_g, best_pass = g, p
        cut = (1.0 + eps) * 2.0 * g
        drop = deg.where(F.col("d") < cut).select("node")
        # nodes with no live edge left also leave
        alive = truncate(
            alive.join(deg.select("node", F.lit(1).alias("has")), "node", "left")
            .join(drop.withColumn("drop", F.lit(1)), "node", "left")
            .select(
                "node",
                F.when(
                    F.col("out").isNull() & (F.col("has").isNull() | F.col("drop").isNotNull()),
                    F.lit(p),
                )
                .otherwise(F.col("out"))
                .alias("out"),
            )
        )
        live = alive.where(F.col("out").isNull()).select("node")
        live_e = truncate(
            edges.join(live.withColumnRenamed("node", "u"), "u", "left_semi").join(
                live.withColumnRenamed("node", "v"), "v", "left_semi"
            )
        )
        p += 1
    block = alive.where((F.col("out") >= best_pass) | F.col("out").isNull()).select("node")
    return [r["node"] for r in block.limit(max_block + 1).collect()]


def peel_on_driver(
    u: IntArray,
    v: IntArray,
    w: FloatArray,
    n_nodes: int,
    eps: float,
    p: int = 0,
    best_g: float = -1.0,
    best_pass: int = 0,
) -> tuple[npt.NDArray[np.bool_], int]:
    """:func:`parallel_peel`'s passes on the driver, from pass ``p`` on, over the live edges
    ``u - v`` (node codes below ``n_nodes``) with weights ``w``; ``best_g``, ``best_pass``: the best
    pass before ``p``. Returns the nodes live at the start of the best pass (among those with
    an edge here) and that pass."""
    start = np.zeros(n_nodes, dtype=np.bool_)
    start[u] = True
    start[v] = True
    out = np.where(start, -1, -2).astype(np.int64)
    em = np.ones(len(u), dtype=np.bool_)
    while True:
        uu, vv, ww = u[em], v[em], w[em]
        d = np.bincount(uu, ww, n_nodes) + np.bincount(vv, ww, n_nodes)
        has = np.zeros(n_nodes, dtype=np.bool_)
        has[uu] = True
        has[vv] = True
        n = int(has.sum())
        if n == 0:
            break
        g = float(d[has].sum()) / 2.0 / n
        if g > best_g:
            best_g, best_pass = g, p
        cut = (1.0 + eps) * 2.0 * g
        out[(out == -1) & (~has | (d < cut))] = p
        em &= (out[u] == -1) & (out[v] == -1)
        p += 1
    return start & ((out == -1) | (out >= best_pass)), best_pass


def peel_region(
    row: IntArray,
    col: IntArray,
    peelable: npt.NDArray[np.bool_],
    row_deg: FloatArray,
    col_deg: FloatArray,
    total_edges: float,
    params: RingParams,
) -> tuple[list[Block], npt.NDArray[np.bool_]]:
    """The in-memory peeling loop (:func:`linkguard.detect.rings.peel_blocks`) on one region.

    ``row, col`` are every edge of the region's sellers (local numbers); only ``peelable``
    ones (both ends in the region) are peeled, all of them are the block's incident edges.
    Degrees are the whole graph's, so weights and the background are the in-memory ones.
    Returns the accepted blocks and which local nodes (rows, then columns) were peeled away.
    """
    nr = len(row_deg)
    weight = (1.0 / np.log(col_deg + params.column_c))[col]
    u, v = row[peelable], col[peelable] + nr
    alive = np.zeros(nr + len(col_deg), dtype=np.bool_)
    alive[u] = True
    alive[v] = True
    buyer_alive = np.ones(nr, dtype=np.bool_)  # not yet taken by a block or a ring
    graph = LiveGraph(u, v, weight[peelable], np.zeros(len(alive)), alive)

    def accept(block: IntArray, best_g: float) -> list[Block]:
        # The block's incident edges: all its sellers' edges in the region, peelable or not,
        # from buyers no block or ring has taken yet.
        cols = block[block >= nr] - nr
        col_in = np.zeros(len(col_deg), dtype=np.bool_)
        col_in[cols] = True
        inc = col_in[col] & buyer_alive[row]
        found = accept_parts(
            block[block < nr],
            cols,
            row[inc],
            col[inc],
            row_deg,
            col_deg,
            total_edges,
            best_g,
            params,
        )
        buyer_alive[block[block < nr]] = False  # the loop retires the same nodes next
        for rows, _, _ in found:
            buyer_alive[rows] = False
        return found

    blocks = peel_loop(graph, alive, nr, params, accept)
    gone = np.zeros(len(alive), dtype=np.bool_)
    gone[u] = ~alive[u]
    gone[v] = ~alive[v]
    return blocks, gone

"""Whether a peeled block is a ring: its members and edges against an honest background.

The background is a configuration model: with ``E`` edges in all, a buyer of degree ``d_b``
and a seller of degree ``d_s`` share ``d_b * d_s / E`` edges on average. A block's edges beyond
the ones that merely connect it (a spanning tree: every star, i.e. one shop and its customers,
has none) are compared with what the model predicts from the members' degrees. A ring passes
when that excess is both large (``lift``) and improbable (Poisson tail, ``log10_p``).

All work here is in proportion to the block: its edges come from the live graph's adjacency
(:meth:`linkguard.detect._live.LiveGraph.incident`), never from a pass over every edge.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from linkguard._arrays import components

if TYPE_CHECKING:
    from linkguard.detect.rings import RingParams

__all__ = ["Block", "accept_parts", "poisson_log10_tail"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: (buyer rows, seller columns, statistics) of one accepted ring.
Block = tuple[IntArray, IntArray, dict[str, float | int]]


def poisson_log10_tail(k: npt.ArrayLike, lam: npt.ArrayLike) -> FloatArray:
    """-log10 of the Chernoff bound on P(X >= k) for X ~ Poisson(lam); 0 where k <= lam.

    Elementwise over arrays; ``lam`` is floored at 1e-12.

    >>> poisson_log10_tail([1.0, 10.0], [2.0, 1.0]).round(2).tolist()
    [0.0, 6.09]
    """
    k = np.asarray(k, dtype=np.float64)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        nats = lam - k + k * np.log(k / lam)
    return np.where(k > lam, nats / math.log(10), 0.0)


def _mask(members: IntArray, n: int) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n, dtype=np.bool_)
    mask[members] = True
    return mask


def _prune_members(
    rows: IntArray,
    cols: IntArray,
    eb: IntArray,
    ec: IntArray,
    row_deg: FloatArray,
    col_deg: FloatArray,
    total_edges: float,
    params: RingParams,
) -> tuple[IntArray, IntArray]:
    """Drop members whose edges into the rest of the block are no more than chance.

    Camouflage pulls popular shops into a ring's block: a shop with 5,000 buyers that sold
    to ten ring accounts is expected to (its configuration-model expectation is high), a ring
    shop that sold to thirty of them is not. Alternates over sellers and buyers until stable.
    ``eb, ec`` are the edges (buyer row, seller column) among the block's members.
    """
    row_in = np.zeros(len(row_deg), dtype=np.bool_)
    col_in = np.zeros(len(col_deg), dtype=np.bool_)
    for _ in range(10):
        row_in[rows] = True
        in_rows = row_in[eb]
        row_in[rows] = False
        e_col = np.bincount(ec[in_rows], minlength=len(col_deg))[cols]
        lam_col = col_deg[cols] * row_deg[rows].sum() / total_edges
        keep_c = cols[(e_col >= 2) & (e_col >= params.min_member_lift * lam_col)]
        col_in[keep_c] = True
        both = in_rows & col_in[ec]
        col_in[keep_c] = False
        e_row = np.bincount(eb[both], minlength=len(row_deg))[rows]
        lam_row = row_deg[rows] * col_deg[keep_c].sum() / total_edges
        keep_r = rows[(e_row >= 2) & (e_row >= params.min_member_lift * lam_row)]
        if len(keep_r) == len(rows) and len(keep_c) == len(cols):
            break
        rows, cols = keep_r, keep_c
    return rows, cols


def _grow_rows(
    rows: IntArray,
    cols: IntArray,
    hb: IntArray,
    hc: IntArray,
    row_deg: FloatArray,
    col_deg: FloatArray,
    total_edges: float,
    params: RingParams,
) -> IntArray:
    """Add the buyers outside the block that hit its sellers far beyond their expectation.

    The densest block is a ring's core: greedy peeling drops members with fewer ring orders,
    since they lower the average. A still-unassigned buyer joins when its edges into the
    block's sellers (two or more) are ``min_member_lift`` times what its degree predicts and
    improbable under the background even after correcting for every buyer tried. ``hb, hc``
    are the edges (buyer row, seller column) from the block's sellers to live buyers.
    """
    if len(cols) == 0:
        return rows
    col_in = np.zeros(len(col_deg), dtype=np.bool_)
    col_in[cols] = True
    hits = np.bincount(hb[col_in[hc]], minlength=len(row_deg))
    candidates = np.flatnonzero(hits >= 2)
    k = hits[candidates].astype(np.float64)
    if len(candidates) == 0:
        return rows
    lam = np.maximum(row_deg[candidates] * col_deg[cols].sum() / total_edges, 1e-12)
    log10_p = poisson_log10_tail(k, lam)
    # Many buyers are tried: demand improbability beyond a Bonferroni bound for all of them.
    bar = math.log10(len(candidates)) + 0.5
    grown = candidates[(k >= params.min_member_lift * lam) & (log10_p >= bar)]
    return np.union1d(rows, grown)


def accept_parts(
    rows: IntArray,
    cols: IntArray,
    hb: IntArray,
    hc: IntArray,
    row_deg: FloatArray,
    col_deg: FloatArray,
    total_edges: float,
    best_g: float,
    params: RingParams,
) -> list[Block]:
    """Prune a peeled block to its significant members, grow it by the buyers it left out,
    split it into connected parts and keep those that pass the background test.

    Parameters
    ----------
    rows, cols
        The block's buyer rows and seller columns.
    hb, hc
        Every edge (buyer row, seller column) from the block's sellers to live buyers.
    row_deg, col_deg
        Degrees of every row and column in the whole graph (the background).
    total_edges
        Edges in the whole graph.
    best_g
        The block's peeling score.
    params
        Settings.
    """
    in_block = _mask(rows, len(row_deg))[hb]
    rows, cols = _prune_members(
        rows, cols, hb[in_block], hc[in_block], row_deg, col_deg, total_edges, params
    )
    if len(cols) < params.min_sellers:
        return []
    rows = _grow_rows(rows, cols, hb, hc, row_deg, col_deg, total_edges, params)
    if len(rows) < params.min_buyers:
        return []
    keep = _mask(rows, len(row_deg))[hb] & _mask(cols, len(col_deg))[hc]
    eb, ec = hb[keep], hc[keep]
    nr = len(row_deg)
    nodes, inv = np.unique(np.r_[eb, ec + nr], return_inverse=True)
    if len(nodes) == 0:
        return []
    membership = components(len(nodes), inv[: len(eb)], inv[len(eb) :])
    edge_part = membership[inv[: len(eb)]]
    is_row = nodes < nr
    n_parts = int(membership.max()) + 1
    n_rows = np.bincount(membership[is_row], minlength=n_parts)
    n_cols = np.bincount(membership[~is_row], minlength=n_parts)
    n_edges = np.bincount(edge_part, minlength=n_parts)
    node_deg = np.where(
        is_row, row_deg[np.minimum(nodes, nr - 1)], col_deg[np.maximum(nodes - nr, 0)]
    )
    sum_row_deg = np.bincount(membership[is_row], weights=node_deg[is_row], minlength=n_parts)
    sum_col_deg = np.bincount(membership[~is_row], weights=node_deg[~is_row], minlength=n_parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = n_edges / (n_rows * n_cols)
    # Edges beyond a spanning tree: a star (one shop and its customers) has none.
    excess = n_edges - (n_rows + n_cols - 1)
    expected = sum_row_deg * sum_col_deg / total_edges
    lift = excess / np.maximum(expected, 1e-9)
    candidates = np.flatnonzero(
        (n_rows >= params.min_buyers)
        & (n_cols >= params.min_sellers)
        & (density >= params.min_density)
        & (lift >= params.min_lift)
    )
    accepted: list[Block] = []
    for part in candidates:
        log10_p = float(poisson_log10_tail(excess[part], expected[part]))
        if log10_p < params.min_log10_p:
            continue
        members = nodes[membership == part]
        accepted.append(
            (
                members[members < nr],
                members[members >= nr] - nr,
                {
                    "edges": int(n_edges[part]),
                    "density": float(density[part]),
                    "score": float(best_g),
                    "lift": float(lift[part]),
                    "log10_p": float(log10_p),
                },
            )
        )
    return accepted

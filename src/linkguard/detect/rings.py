"""Fake-reputation rings: dense buyer x seller blocks that stay dense after discounting camouflage.

The detector follows FRAUDAR (Hooi et al., KDD 2016): each buyer-seller pair is an edge of
weight ``1 / log(seller_buyers + c)``, so edges into popular shops (where ring accounts hide
camouflage orders) count little; optional per-buyer priors add behavioural suspicion. Greedy
peeling (:mod:`linkguard.detect._peel`) finds the densest block; its connected parts are kept
as rings only when they are far denser than an honest background would make them; the block
is then taken out and the peeling repeated to find the next.

The background test: a block's edges beyond the ones that merely connect it (a spanning
tree: every star, i.e. one shop and its customers, has none) are compared with what a
configuration model predicts from the members' degrees. A ring passes when that excess is
both large (``lift``) and improbable (Poisson tail, ``log10_p``).

Examples
--------
>>> import numpy as np
>>> from linkguard.graph import trade_pairs
>>> rng = np.random.default_rng(1)
>>> b = np.r_[np.repeat(np.arange(8), 3), rng.integers(8, 400, 2000)]
>>> s = np.r_[np.tile([400, 401, 402], 8), rng.integers(403, 500, 2000)]
>>> pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), 5.0))
>>> res = dense_rings(pairs, 500)
>>> [(r.buyers.tolist(), r.sellers.tolist()) for r in res.rings]
[([0, 1, 2, 3, 4, 5, 6, 7], [400, 401, 402])]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import numpy.typing as npt

from linkguard.detect._peel import build_csr, peel
from linkguard.graph import TradePairs

__all__ = ["Ring", "RingParams", "RingResult", "dense_rings"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RingParams:
    """Peeling and acceptance settings."""

    #: The ``c`` in FRAUDAR's column weight ``1 / log(d + c)``.
    column_c: float = 5.0
    #: How many times to peel (each peel may yield several rings).
    max_peels: int = 30
    #: Stop after this many peels in a row that yield no ring.
    patience: int = 4
    min_buyers: int = 5
    min_sellers: int = 1
    min_density: float = 0.02
    #: A ring's edges beyond a spanning tree over the configuration-model expectation.
    min_lift: float = 3.0
    #: A member's edges into the rest of its ring over the member's own expectation.
    min_member_lift: float = 2.0
    #: Required improbability of the excess under the background, -log10 p.
    min_log10_p: float = 6.0
    #: Time bucket of the buyer x (seller, bucket) view (:mod:`linkguard.detect.bursts`).
    burst_window_seconds: int = 3600


@dataclass(frozen=True)
class Ring:
    """One suspected fake-reputation ring (account codes)."""

    buyers: IntArray
    sellers: IntArray
    edges: int
    density: float
    score: float
    lift: float
    log10_p: float


@dataclass(frozen=True)
class RingResult:
    """Rings found, densest first, and per-pair membership (``pair_ring[i]``, -1 outside)."""

    rings: list[Ring]
    pair_ring: IntArray = field(repr=False)

    def ring_of(self, n_accounts: int) -> tuple[IntArray, IntArray]:
        """Per account code: ring index as a buyer, ring index as a seller (-1 when none)."""
        as_buyer = np.full(n_accounts, -1, dtype=np.int64)
        as_seller = np.full(n_accounts, -1, dtype=np.int64)
        for i, ring in enumerate(self.rings):
            as_buyer[ring.buyers] = i
            as_seller[ring.sellers] = i
        return as_buyer, as_seller


def _compact(codes: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """The distinct codes (sorted) and each entry's position among them, without sorting."""
    present = np.zeros(n, dtype=np.bool_)
    present[codes] = True
    position = np.cumsum(present) - 1
    return np.flatnonzero(present), position[codes]


def _poisson_log10_tail(k: float, lam: float) -> float:
    """-log10 of the Chernoff bound on P(X >= k) for X ~ Poisson(lam), k > lam."""
    if k <= lam:
        return 0.0
    lam = max(lam, 1e-12)
    nats = lam - k + k * math.log(k / lam)
    return nats / math.log(10)


class _LiveGraph:
    """The part of the graph still being peeled, renumbered densely.

    Peeling costs time in proportion to the nodes and edges it is given, live or not; once
    half of them have left (as rings or as peeled-away background), the graph is rebuilt
    from the live ones, so later peels work on what is left rather than on everything.
    """

    def __init__(self, u: IntArray, v: IntArray, weight: FloatArray, prior: FloatArray,
                 alive: npt.NDArray[np.bool_]) -> None:
        self._u, self._v, self._w, self._prior = u, v, weight, prior
        self._build(alive)

    def _build(self, alive: npt.NDArray[np.bool_]) -> None:
        keep = alive[self._u] & alive[self._v]
        self._u, self._v, self._w = self._u[keep], self._v[keep], self._w[keep]
        self.nodes, local = np.unique(np.r_[self._u, self._v], return_inverse=True)
        m = len(self._u)
        self._csr = build_csr(len(self.nodes), local[:m], local[m:],
                              np.asarray(self._w, dtype=np.float64))
        self._local_prior = self._prior[self.nodes]
        self._live = np.ones(len(self.nodes), dtype=np.bool_)

    @property
    def n_alive(self) -> int:
        return int(self._live.sum())

    def peel(self) -> tuple[IntArray, float]:
        """The densest block left (global node ids) and its average weight."""
        order, best_removed, best_g = peel(*self._csr, self._local_prior, self._live)
        return self.nodes[order[best_removed:]], float(best_g)

    def retire(self, alive: npt.NDArray[np.bool_]) -> None:
        """Follow ``alive``; rebuild once fewer than half the nodes are live."""
        self._live &= alive[self.nodes]
        if self.n_alive < len(self.nodes) // 2:
            self._build(alive)


def peel_blocks(
    row: IntArray,
    col: IntArray,
    nr: int,
    nc: int,
    pair_weight: FloatArray | None,
    prior: FloatArray | None,
    params: RingParams,
    peelable: npt.NDArray[np.bool_] | None = None,
) -> list[tuple[IntArray, IntArray, dict[str, float | int]]]:
    """Repeatedly peel the bipartite graph ``row x col`` (local indices) for dense blocks.

    Returns the accepted blocks as (rows, cols, statistics). Every node of a peeled block
    leaves the graph before the next peel, so blocks are disjoint. With ``peelable``, only
    those edges are peeled; all edges still set the degrees that weigh edges and that the
    background test expects from.
    """
    row_deg = np.bincount(row, minlength=nr).astype(np.float64)
    col_deg = np.bincount(col, minlength=nc).astype(np.float64)
    weight = 1.0 / np.log(col_deg[col] + params.column_c)
    if pair_weight is not None:
        weight = weight * pair_weight
    node_prior = np.zeros(nr + nc) if prior is None else prior
    u, v = row.astype(np.int64), (col + nr).astype(np.int64)
    # Only peelable edges can lie inside a block, or give a buyer two hits on one: the block
    # tests and the peeling both work on them alone.
    if peelable is not None:
        u, v, weight = u[peelable], v[peelable], weight[peelable]
    alive = np.zeros(nr + nc, dtype=np.bool_)
    alive[u] = True
    alive[v] = True
    total_edges = float(len(row))
    blocks: list[tuple[IntArray, IntArray, dict[str, float | int]]] = []
    graph = _LiveGraph(u, v, weight, node_prior, alive)
    idle = 0
    for _ in range(params.max_peels):
        if graph.n_alive < params.min_buyers + params.min_sellers:
            break
        block, best_g = graph.peel()
        if len(block) == 0:
            break
        found = _accept_parts(block, u, v, nr, alive, row_deg, col_deg, total_edges, best_g,
                              params)
        blocks.extend(found)
        alive[block] = False
        for rows, cols, _ in found:  # members the ring grew to take leave too
            alive[rows] = False
            alive[cols + nr] = False
        graph.retire(alive)
        idle = 0 if found else idle + 1
        if idle >= params.patience:
            break
    return blocks


def dense_rings(
    pairs: TradePairs,
    n_accounts: int,
    buyer_prior: FloatArray | None = None,
    seller_prior: FloatArray | None = None,
    pair_weight: FloatArray | None = None,
    params: RingParams | None = None,
) -> RingResult:
    """Find dense buyer x seller blocks (fake-reputation rings).

    Parameters
    ----------
    pairs
        Trade pairs (:func:`linkguard.graph.trade_pairs`).
    n_accounts
        Number of account codes.
    buyer_prior, seller_prior
        Optional suspicion per account code added to the node's weight while peeling.
    pair_weight
        Optional multiplier per pair (behavioural suspicion of the pair's orders).
    params
        Settings.

    Notes
    -----
    Each peel is O(E log V) in compiled code; at most ``max_peels`` peels run.
    """
    params = params or RingParams()
    if len(pairs) == 0:
        return RingResult([], np.full(0, -1, dtype=np.int64))
    buyers, row = _compact(pairs.buyer, n_accounts)
    sellers, col = _compact(pairs.seller, n_accounts)
    nr, nc = len(buyers), len(sellers)
    prior = None
    if buyer_prior is not None or seller_prior is not None:
        prior = np.zeros(nr + nc)
        if buyer_prior is not None:
            prior[:nr] = buyer_prior[buyers]
        if seller_prior is not None:
            prior[nr:] = seller_prior[sellers]
    blocks = peel_blocks(row, col, nr, nc, pair_weight, prior, params)
    rings = [
        Ring(buyers=np.sort(buyers[r]), sellers=np.sort(sellers[c]), **stats)  # type: ignore[arg-type]
        for r, c, stats in blocks
    ]
    return merge_rings([rings], pairs, n_accounts)


def merge_rings(ring_lists: list[list[Ring]], pairs: TradePairs, n_accounts: int) -> RingResult:
    """Merge rings found in different views that share members into one ring each.

    A ring's statistics are those of its strongest constituent (highest ``log10_p``), with the
    density recomputed over the merged buyers x sellers.
    """
    rings = [r for lst in ring_lists for r in lst]
    pair_ring = np.full(len(pairs), -1, dtype=np.int64)
    if not rings:
        return RingResult([], pair_ring)
    # Union-find over ring indices through shared accounts.
    parent = list(range(len(rings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    for i, ring in enumerate(rings):
        for acc in np.r_[ring.buyers, ring.sellers].tolist():
            j = owner.setdefault(acc, i)
            if j != i:
                parent[find(i)] = find(j)
    groups: dict[int, list[Ring]] = {}
    for i, ring in enumerate(rings):
        groups.setdefault(find(i), []).append(ring)
    merged_parts: list[tuple[list[Ring], IntArray, IntArray]] = []
    as_buyer = np.full(n_accounts, -1, dtype=np.int64)
    as_seller = np.full(n_accounts, -1, dtype=np.int64)
    for parts in groups.values():
        sellers = np.unique(np.concatenate([p.sellers for p in parts]))
        buyers = np.setdiff1d(np.unique(np.concatenate([p.buyers for p in parts])), sellers)
        if len(buyers) == 0:
            continue
        as_buyer[buyers] = len(merged_parts)
        as_seller[sellers] = len(merged_parts)
        merged_parts.append((parts, buyers, sellers))
    rb, rs = as_buyer[pairs.buyer], as_seller[pairs.seller]
    inside = (rb >= 0) & (rb == rs)
    edges = np.bincount(rb[inside], minlength=len(merged_parts))
    merged = []
    for i, (parts, buyers, sellers) in enumerate(merged_parts):
        best = max(parts, key=lambda p: p.log10_p)
        merged.append(Ring(
            buyers=buyers, sellers=sellers, edges=int(edges[i]),
            density=float(edges[i] / (len(buyers) * len(sellers))),
            score=max(p.score for p in parts), lift=best.lift, log10_p=best.log10_p,
        ))
    merged.sort(key=lambda r: (-r.score, int(r.sellers[0])))
    result = RingResult(merged, pair_ring)
    as_buyer, as_seller = result.ring_of(n_accounts)
    rb, rs = as_buyer[pairs.buyer], as_seller[pairs.seller]
    same = (rb >= 0) & (rb == rs)
    pair_ring[same] = rb[same]
    return result


def _prune_members(
    rows: IntArray, cols: IntArray, eu: IntArray, ev: IntArray, nr: int,
    row_deg: FloatArray, col_deg: FloatArray, total_edges: float, params: RingParams,
) -> tuple[IntArray, IntArray]:
    """Drop members whose edges into the rest of the block are no more than chance.

    Camouflage pulls popular shops into a ring's block: a shop with 5,000 buyers that sold
    to ten ring accounts is expected to (its configuration-model expectation is high), a ring
    shop that sold to thirty of them is not. Alternates over sellers and buyers until stable.
    """
    row_in = np.zeros(len(row_deg), dtype=np.bool_)
    col_in = np.zeros(len(col_deg), dtype=np.bool_)
    for _ in range(10):
        row_in[:] = False
        row_in[rows] = True
        col_in[:] = False
        col_in[cols] = True
        in_r = row_in[eu]
        both = in_r & col_in[ev - nr]
        e_col = np.bincount(ev[both] - nr, minlength=len(col_deg))[cols]
        lam_col = col_deg[cols] * row_deg[rows].sum() / total_edges
        keep_c = cols[(e_col >= 2) & (e_col >= params.min_member_lift * lam_col)]
        col_in[:] = False
        col_in[keep_c] = True
        both = in_r & col_in[ev - nr]
        e_row = np.bincount(eu[both], minlength=len(row_deg))[rows]
        lam_row = row_deg[rows] * col_deg[keep_c].sum() / total_edges
        keep_r = rows[(e_row >= 2) & (e_row >= params.min_member_lift * lam_row)]
        if len(keep_r) == len(rows) and len(keep_c) == len(cols):
            break
        rows, cols = keep_r, keep_c
    return rows, cols


def _grow_rows(
    rows: IntArray, cols: IntArray, u: IntArray, v: IntArray, nr: int,
    alive: npt.NDArray[np.bool_], row_deg: FloatArray, col_deg: FloatArray,
    total_edges: float, params: RingParams,
) -> IntArray:
    """Add the buyers outside the block that hit its sellers far beyond their expectation.

    The densest block is a ring's core: greedy peeling drops members with fewer ring orders,
    since they lower the average. A still-unassigned buyer joins when its edges into the
    block's sellers (two or more) are ``min_member_lift`` times what its degree predicts and
    improbable under the background even after correcting for every buyer tried.
    """
    if len(cols) == 0:
        return rows
    col_in = np.zeros(len(col_deg), dtype=np.bool_)
    col_in[cols] = True
    sel = col_in[v - nr] & alive[u]
    hits = np.bincount(u[sel], minlength=nr).astype(np.float64)
    candidates = np.flatnonzero(hits >= 2)
    if len(candidates) == 0:
        return rows
    k = hits[candidates]
    lam = np.maximum(row_deg[candidates] * col_deg[cols].sum() / total_edges, 1e-12)
    log10_p = np.where(k > lam, (lam - k + k * np.log(k / lam)) / np.log(10), 0.0)
    # Many buyers are tried: demand improbability beyond a Bonferroni bound for all of them.
    bar = math.log10(len(candidates)) + 0.5
    grown = candidates[(k >= params.min_member_lift * lam) & (log10_p >= bar)]
    return np.union1d(rows, grown)


def _accept_parts(
    block: IntArray,
    u: IntArray,
    v: IntArray,
    nr: int,
    alive: npt.NDArray[np.bool_],
    row_deg: FloatArray,
    col_deg: FloatArray,
    total_edges: float,
    best_g: float,
    params: RingParams,
) -> list[tuple[IntArray, IntArray, dict[str, float | int]]]:
    """Prune a peeled block to its significant members, grow it by the buyers it left out,
    split it into connected parts and keep those that pass the background test."""
    in_block = np.zeros(len(row_deg) + len(col_deg), dtype=np.bool_)
    in_block[block] = True
    e_sel = in_block[u] & in_block[v]
    eu, ev = u[e_sel], v[e_sel]
    rows, cols = block[block < nr], block[block >= nr] - nr
    rows, cols = _prune_members(rows, cols, eu, ev, nr, row_deg, col_deg, total_edges, params)
    rows = _grow_rows(rows, cols, u, v, nr, alive, row_deg, col_deg, total_edges, params)
    row_in = np.zeros(nr, dtype=np.bool_)
    row_in[rows] = True
    col_in = np.zeros(len(col_deg), dtype=np.bool_)
    col_in[cols] = True
    keep = row_in[u] & col_in[v - nr]
    eu, ev = u[keep], v[keep]
    nodes, inv = np.unique(np.r_[eu, ev], return_inverse=True)
    if len(nodes) == 0:
        return []
    g = ig.Graph(n=len(nodes), edges=inv.reshape(2, -1).T, directed=False)
    membership = np.asarray(g.connected_components().membership)
    edge_part = membership[inv[: len(eu)]]
    is_row = nodes < nr
    n_parts = int(membership.max()) + 1
    n_rows = np.bincount(membership[is_row], minlength=n_parts)
    n_cols = np.bincount(membership[~is_row], minlength=n_parts)
    n_edges = np.bincount(edge_part, minlength=n_parts)
    node_deg = np.where(is_row, row_deg[np.minimum(nodes, nr - 1)],
                        col_deg[np.maximum(nodes - nr, 0)])
    sum_row_deg = np.bincount(membership[is_row], weights=node_deg[is_row], minlength=n_parts)
    sum_col_deg = np.bincount(membership[~is_row], weights=node_deg[~is_row], minlength=n_parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = n_edges / (n_rows * n_cols)
    # Edges beyond a spanning tree: a star (one shop and its customers) has none.
    excess = n_edges - (n_rows + n_cols - 1)
    expected = sum_row_deg * sum_col_deg / total_edges
    lift = excess / np.maximum(expected, 1e-9)
    candidates = np.flatnonzero(
        (n_rows >= params.min_buyers) & (n_cols >= params.min_sellers)
        & (density >= params.min_density) & (lift >= params.min_lift)
    )
    accepted = []
    for part in candidates:
        log10_p = _poisson_log10_tail(float(excess[part]), float(expected[part]))
        if log10_p < params.min_log10_p:
            continue
        members = nodes[membership == part]
        accepted.append(
            (members[members < nr], members[members >= nr] - nr,
             {"edges": int(n_edges[part]), "density": float(density[part]),
              "score": float(best_g), "lift": float(lift[part]), "log10_p": float(log10_p)})
        )
    return accepted

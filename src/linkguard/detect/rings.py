"""Fake-reputation rings: dense buyer x seller blocks that stay dense after discounting camouflage.

The detector follows FRAUDAR (Hooi et al., KDD 2016): each buyer-seller pair is an edge of
weight ``1 / log(seller_buyers + c)``, so edges into popular shops (where ring accounts hide
camouflage orders) count little; optional per-buyer priors add behavioural suspicion. Greedy
peeling (:mod:`linkguard.detect._peel`) finds the densest block; its connected parts are kept
as rings only when they are far denser than an honest background would make them; the block
is then taken out and the peeling repeated to find the next.

The background test (:mod:`linkguard.detect._background`): a block's edges beyond the ones
that merely connect it (a spanning tree: every star, i.e. one shop and its customers, has
none) are compared with what a configuration model predicts from the members' degrees. A
ring passes when that excess is both large (``lift``) and improbable (Poisson tail,
``log10_p``).

Examples
--------
>>> import numpy as np
>>> from linkguard.detect.graph import trade_pairs
>>> rng = np.random.default_rng(1)
>>> b = np.r_[np.repeat(np.arange(8), 3), rng.integers(8, 400, 2000)]
>>> s = np.r_[np.tile([400, 401, 402], 8), rng.integers(403, 500, 2000)]
>>> pairs = trade_pairs(b, s, np.ones(len(b)), np.zeros(len(b)), np.full(len(b), 5.0))
>>> res = dense_rings(pairs, 500)
>>> [(r.buyers.tolist(), r.sellers.tolist()) for r in res.rings]
[([0, 1, 2, 3, 4, 5, 6, 7], [400, 401, 402])]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from linkguard._arrays import dense_numbering
from linkguard.detect._background import Block, accept_parts
from linkguard.detect._live import LiveGraph
from linkguard.detect.graph import TradePairs

__all__ = ["Ring", "RingParams", "RingResult", "dense_rings", "peel_loop"]

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
    #: What the detector that found it saw (JSON-able, no account codes), for the flag.
    evidence: dict[str, Any] = field(default_factory=dict, compare=False)


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


def peel_blocks(
    row: IntArray,
    col: IntArray,
    nr: int,
    nc: int,
    pair_weight: FloatArray | None,
    prior: FloatArray | None,
    params: RingParams,
    peelable: npt.NDArray[np.bool_] | None = None,
) -> list[Block]:
    """Repeatedly peel the bipartite graph ``row x col`` (local indices) for dense blocks.

    Returns the accepted blocks as (rows, cols, statistics). Every node of a peeled block
    leaves the graph before the next peel, so blocks are disjoint. With ``peelable``, only
    those edges are peeled; all edges still set the degrees that weigh edges and that the
    background test expects from.
    """
    row_deg = np.bincount(row, minlength=nr).astype(np.float64)
    col_deg = np.bincount(col, minlength=nc).astype(np.float64)
    weight = (1.0 / np.log(col_deg + params.column_c))[col]
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
    graph = LiveGraph(u, v, weight, node_prior, alive)

    def accept(block: IntArray, best_g: float) -> list[Block]:
        cols = block[block >= nr]
        sellers, buyers = graph.incident(cols)
        return accept_parts(
            block[block < nr],
            cols - nr,
            buyers,
            sellers - nr,
            row_deg,
            col_deg,
            total_edges,
            best_g,
            params,
        )

    return peel_loop(graph, alive, nr, params, accept)


def peel_loop(
    graph: LiveGraph,
    alive: npt.NDArray[np.bool_],
    nr: int,
    params: RingParams,
    accept: Callable[[IntArray, float], list[Block]],
) -> list[Block]:
    """Peel ``graph`` again and again; ``accept`` turns each peeled block into ring blocks.

    ``alive`` marks live nodes (rows ``0..nr-1``, then columns); every node of a peeled block,
    and every member a ring grew to take, leaves the graph before the next peel. Stops after
    ``params.max_peels`` peels, when too few nodes are left for a ring, or after
    ``params.patience`` peels in a row that found none. ``accept(block, best_g)`` is called
    before the block's nodes leave, with the block's global ids and its peeling density.
    """
    blocks: list[Block] = []
    idle = 0
    for _ in range(params.max_peels):
        if graph.n_alive < params.min_buyers + params.min_sellers:
            break
        block, best_g = graph.peel()
        if len(block) == 0:
            break
        found = accept(block, best_g)
        blocks.extend(found)
        alive[block] = False
        for rows, ring_cols, _ in found:  # members the ring grew to take leave too
            alive[rows] = False
            alive[ring_cols + nr] = False
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
        Trade pairs (:func:`linkguard.detect.graph.trade_pairs`).
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
    buyers, buyer_position = dense_numbering(n_accounts, pairs.buyer)
    sellers, seller_position = dense_numbering(n_accounts, pairs.seller)
    row, col = buyer_position[pairs.buyer], seller_position[pairs.seller]
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
    rb = as_buyer[pairs.buyer]
    inside = (rb >= 0) & (rb == as_seller[pairs.seller])
    pair_ring[inside] = rb[inside]
    edges = np.bincount(rb[inside], minlength=len(merged_parts))
    merged = []
    for i, (parts, buyers, sellers) in enumerate(merged_parts):
        best = max(parts, key=lambda p: p.log10_p)
        evidence: dict[str, Any] = {}
        for p in sorted(parts, key=lambda p: p.log10_p):  # the strongest part's facts win
            evidence.update(p.evidence)
        merged.append(
            Ring(
                buyers=buyers,
                sellers=sellers,
                edges=int(edges[i]),
                density=float(edges[i] / (len(buyers) * len(sellers))),
                score=max(p.score for p in parts),
                lift=best.lift,
                log10_p=best.log10_p,
                evidence=evidence,
            )
        )
    # Densest first; pair_ring follows the new order.
    rank = sorted(range(len(merged)), key=lambda i: (-merged[i].score, int(merged[i].sellers[0])))
    new_index = np.empty(len(merged), dtype=np.int64)
    new_index[rank] = np.arange(len(merged))
    pair_ring[inside] = new_index[pair_ring[inside]]
    return RingResult([merged[i] for i in rank], pair_ring)

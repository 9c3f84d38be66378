"""Compiled greedy peeling (FRAUDAR's inner loop) over a bipartite graph in CSR form.

Peeling repeatedly deletes the node of smallest weighted degree and remembers the point at
which the average weight per node, ``g(S) = f(S) / |S|``, was highest. The node to delete
comes from a min segment tree over the nodes' weighted degrees (FRAUDAR's MinTree), O(E log V)
in all; numba compiles it once per machine (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["build_csr", "peel"]


@numba.njit(cache=True, nogil=True)
def build_csr(
    n_nodes: int, u: npt.NDArray[np.int64], v: npt.NDArray[np.int64], w: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Symmetric CSR adjacency (indptr, neighbours, weights) of the undirected edges u-v.

    A counting sort: O(V + E), no comparison sort.
    """
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(len(u)):
        indptr[u[i] + 1] += 1
        indptr[v[i] + 1] += 1
    for x in range(n_nodes):
        indptr[x + 1] += indptr[x]
    fill = indptr[:-1].copy()
    nbrs = np.empty(2 * len(u), dtype=np.int64)
    wts = np.empty(2 * len(u), dtype=np.float64)
    for i in range(len(u)):
        a, b = u[i], v[i]
        nbrs[fill[a]] = b
        wts[fill[a]] = w[i]
        fill[a] += 1
        nbrs[fill[b]] = a
        wts[fill[b]] = w[i]
        fill[b] += 1
    return indptr, nbrs, wts


@numba.njit(cache=True, nogil=True, inline="always")
def _pull(val: npt.NDArray[np.float64], arg: npt.NDArray[np.int64], pos: int) -> None:
    """Set tree node ``pos`` to the smaller of its two children."""
    left, right = 2 * pos, 2 * pos + 1
    if val[left] <= val[right]:
        val[pos] = val[left]
        arg[pos] = arg[left]
    else:
        val[pos] = val[right]
        arg[pos] = arg[right]


@numba.njit(cache=True, nogil=True, inline="always")
def _update(val: npt.NDArray[np.float64], arg: npt.NDArray[np.int64], size: int, i: int,
            v: float) -> None:
    pos = size + i
    val[pos] = v
    pos >>= 1
    while pos >= 1:
        _pull(val, arg, pos)
        pos >>= 1


@numba.njit(cache=True, nogil=True)
def _drop_light(
    indptr: npt.NDArray[np.int64],
    neighbours: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    deg: npt.NDArray[np.float64],
    live: npt.NDArray[np.bool_],
    floor: float,
    order: npt.NDArray[np.int64],
) -> int:
    """Remove, cascading, every live node whose degree is below ``floor``; returns how many.

    Removed nodes are written to the front of ``order``; ``deg`` keeps, for a removed node,
    its degree at removal (the weight it takes out of ``f``).
    """
    n = len(deg)
    queued = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for x in range(n):
        if live[x] and deg[x] < floor:
            queued[x] = True
            stack[top] = x
            top += 1
    removed = 0
    while top > 0:
        top -= 1
        x = stack[top]
        live[x] = False
        order[removed] = x
        removed += 1
        for p in range(indptr[x], indptr[x + 1]):
            y = neighbours[p]
            if live[y]:
                deg[y] -= weights[p]
                if deg[y] < floor and not queued[y]:
                    queued[y] = True
                    stack[top] = y
                    top += 1
    return removed


@numba.njit(cache=True, nogil=True)
def peel(
    indptr: npt.NDArray[np.int64],
    neighbours: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    prior: npt.NDArray[np.float64],
    alive: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], int, float]:
    """Peel the alive nodes; return (removal order, number removed before the best set, best g).

    The densest set found is ``order[best_removed:]``. The node of least weighted degree comes
    from a min segment tree (FRAUDAR's MinTree): one O(log n) update per removed edge end,
    after the nodes below the starting density have gone in O(1) each.
    """
    n = len(prior)
    deg = prior.copy()
    size = 0
    total = 0.0
    for x in range(n):
        if alive[x]:
            size += 1
            total += prior[x]
    for x in range(n):
        if not alive[x]:
            continue
        for p in range(indptr[x], indptr[x + 1]):
            y = neighbours[p]
            if alive[y]:
                deg[x] += weights[p]
                if x < y:
                    total += weights[p]
    live = alive.copy()
    order = np.empty(size, dtype=np.int64)
    # Nodes lighter than the whole graph's density leave first, and each such removal raises
    # the density, so the greedy's best set never holds one: drop them with a plain queue
    # (O(1) per edge) before the O(log V) tree takes over.
    removed = _drop_light(indptr, neighbours, weights, deg, live, total / max(size, 1), order)
    for i in range(removed):
        total -= deg[order[i]]
    if removed == size and size > 0:
        # Degenerate cascade: undo the last removal so the best set is never empty.
        removed -= 1
        last = order[removed]
        live[last] = True
        total += deg[last]
    leaves = 1
    while leaves < max(n, 1):
        leaves *= 2
    val = np.full(2 * leaves, np.inf)
    arg = np.zeros(2 * leaves, dtype=np.int64)
    for x in range(n):
        arg[leaves + x] = x
        if live[x]:
            val[leaves + x] = deg[x]
    for pos in range(leaves - 1, 0, -1):
        _pull(val, arg, pos)
    best_g = total / (size - removed) if size > removed else 0.0
    best_removed = removed
    while removed < size:
        removed += 1
        x = arg[1]
        live[x] = False
        order[removed - 1] = x
        # deg[x] is x's prior plus its live edges: exactly what leaves f(S) with x.
        total -= deg[x]
        _update(val, arg, leaves, x, np.inf)
        for p in range(indptr[x], indptr[x + 1]):
            y = neighbours[p]
            if live[y]:
                deg[y] -= weights[p]
                _update(val, arg, leaves, y, deg[y])
        remaining = size - removed
        if remaining > 0:
            g = total / remaining
            if g > best_g:
                best_g = g
                best_removed = removed
    return order, best_removed, best_g

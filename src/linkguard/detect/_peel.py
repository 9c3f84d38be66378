"""Compiled greedy peeling (FRAUDAR's inner loop) over a bipartite graph in CSR form.

Peeling repeatedly deletes the node of smallest weighted degree and remembers the point at
which the average weight per node, ``g(S) = f(S) / |S|``, was highest.

Two facts make it cheap. First, once some set has scored ``g*``, the greedy removes every node
lighter than ``g*`` before any heavier one (degrees only fall), and the set left when they are
gone is the same whatever their order. No set on the way beats both ``g*`` and that final set:
once the average passes ``g*``, dropping a node lighter than it raises it further. So those
nodes are taken from a plain stack, O(1) each, with the same best set as the strict greedy.
Second, the lightest of the other nodes comes from a bucket queue: nodes are filed by the
leading bits of their degree (4,096 buckets per doubling, so the node taken is within 0.02% of
the lightest), and a node that gets lighter is filed again in its new bucket with one write,
its old entry skipped when met. A peel is O(V + E) plus the bucket scans; numba compiles it
once per machine (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["build_csr", "incident_edges", "peel"]

#: Buckets per doubling of degree are ``2 ** _MANTISSA_BITS`` (relative width 2.4e-4).
_MANTISSA_BITS = 12
_SHIFT = 52 - _MANTISSA_BITS
#: Degrees below this fraction of the starting average share the lowest bucket.
_LOW = 2.0**-20


@numba.njit(cache=True, nogil=True)
def build_csr(
    n_nodes: int, u: npt.NDArray[np.int64], v: npt.NDArray[np.int64], w: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float64]]:
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
    nbrs = np.empty(2 * len(u), dtype=np.int32)
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


@numba.njit(cache=True, nogil=True)
def incident_edges(
    indptr: npt.NDArray[np.int64],
    neighbours: npt.NDArray[np.int32],
    nodes: npt.NDArray[np.int64],
    live: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The edges from ``nodes`` to live nodes, as (node, neighbour) arrays."""
    count = 0
    for x in nodes:
        for p in range(indptr[x], indptr[x + 1]):
            if live[neighbours[p]]:
                count += 1
    src = np.empty(count, dtype=np.int64)
    dst = np.empty(count, dtype=np.int64)
    i = 0
    for x in nodes:
        for p in range(indptr[x], indptr[x + 1]):
            y = neighbours[p]
            if live[y]:
                src[i] = x
                dst[i] = y
                i += 1
    return src, dst


@numba.njit(cache=True, nogil=True, inline="always")
def _bucket(
    scratch: npt.NDArray[np.float64],
    bits: npt.NDArray[np.int64],
    value: float,
    base: int,
    n_buckets: int,
) -> int:
    """The bucket of a degree: its float's exponent and leading mantissa bits, clamped.

    ``bits`` is ``scratch`` viewed as int64.
    """
    if value <= 0.0:
        return 0
    scratch[0] = value
    k = (bits[0] >> _SHIFT) - base
    if k < 0:
        return 0
    if k >= n_buckets:
        return n_buckets - 1
    return int(k)


@numba.njit(cache=True, nogil=True, inline="always")
def _file(
    x: int,
    k: int,
    state: npt.NDArray[np.int32],
    head: npt.NDArray[np.int64],
    entry_node: npt.NDArray[np.int32],
    entry_next: npt.NDArray[np.int64],
    used: int,
) -> int:
    """File node ``x`` in bucket ``k`` as entry ``used``; returns the next free entry."""
    state[x] = k
    entry_node[used] = x
    entry_next[used] = head[k]
    head[k] = used
    return used + 1


#: ``state`` of a node that has left (or never was alive) and of one waiting on the stack.
_GONE = -2
_STACKED = -1


@numba.njit(cache=True, nogil=True)
def peel(
    indptr: npt.NDArray[np.int64],
    neighbours: npt.NDArray[np.int32],
    weights: npt.NDArray[np.float64],
    prior: npt.NDArray[np.float64],
    alive: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], int, float]:
    """Peel the alive nodes; return (removal order, number removed before the best set, best g).

    The densest set found is ``order[best_removed:]``; a node's degree is its prior plus the
    weights of its edges to alive nodes.
    """
    n = len(prior)
    deg = prior.copy()
    size = 0
    total = 0.0
    top = 0.0
    for x in range(n):
        if not alive[x]:
            continue
        size += 1
        total += prior[x]
        for p in range(indptr[x], indptr[x + 1]):
            y = neighbours[p]
            if alive[y]:
                deg[x] += weights[p]
                if x < y:
                    total += weights[p]
        top = max(top, deg[x])
    order = np.empty(size, dtype=np.int64)
    if size == 0:
        return order, 0, 0.0
    g = total / size
    scratch = np.empty(1, dtype=np.float64)
    bits = scratch.view(np.int64)
    lowest = max(g, 1e-300) * _LOW
    base = _bucket(scratch, bits, lowest, 0, 1 << 62)
    n_buckets = _bucket(scratch, bits, max(top, lowest), base, 1 << 62) + 1
    # Buckets are singly linked lists of entries. A node that gets lighter is filed again in
    # its new bucket and its old entry is left behind, to be skipped when met (its bucket no
    # longer matches ``state``): one write per move instead of unlinking.
    head = np.full(n_buckets, -1, dtype=np.int64)
    entry_node = np.empty(size + indptr[n], dtype=np.int32)
    entry_next = np.empty(size + indptr[n], dtype=np.int64)
    used = 0
    state = np.full(n, _GONE, dtype=np.int32)  # the node's bucket, _STACKED or _GONE
    stack = np.empty(size, dtype=np.int64)
    sp = 0
    low = n_buckets  # no bucket below this one holds a node
    for x in range(n):
        if not alive[x]:
            continue
        if deg[x] < g:
            state[x] = _STACKED
            stack[sp] = x
            sp += 1
        else:
            k = _bucket(scratch, bits, deg[x], base, n_buckets)
            used = _file(x, k, state, head, entry_node, entry_next, used)
            low = min(low, k)
    removed = 0
    best_g = -1.0
    best_removed = 0
    while removed < size:
        g = total / (size - removed)
        if g > best_g:
            best_g = g
            best_removed = removed
        if sp > 0:
            sp -= 1
            x = stack[sp]
        else:
            # No node waits below the best score: take the lightest, to within a bucket's
            # width.
            while True:
                while head[low] < 0:
                    low += 1
                e = head[low]
                head[low] = entry_next[e]
                x = entry_node[e]
                if state[x] == low:
                    break
        state[x] = _GONE
        order[removed] = x
        removed += 1
        # deg[x] is x's prior plus its live edges: exactly what leaves f(S) with x.
        total -= deg[x]
        g = total / (size - removed) if removed < size else 0.0
        floor = max(g, best_g)
        for p in range(indptr[x], indptr[x + 1]):
            y = neighbours[p]
            k = state[y]
            if k == _GONE:
                continue
            deg[y] -= weights[p]
            if k == _STACKED:
                continue
            if deg[y] < floor:
                state[y] = _STACKED
                stack[sp] = y
                sp += 1
                continue
            new = _bucket(scratch, bits, deg[y], base, n_buckets)
            if new != k:
                used = _file(y, new, state, head, entry_node, entry_next, used)
                low = min(low, new)
    return order, best_removed, best_g

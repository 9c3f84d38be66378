"""Circular trade: money that goes round (A pays B pays C pays A) with similar amounts.

A bounded, time-respecting search rather than an enumeration of all simple cycles: only
orders inside a strongly connected component of the payment graph can lie on a cycle (in a
marketplace that leaves very few), and from each such order the search follows later orders
of similar amount, inside the time window, up to ``max_length`` hops. Because times increase
along a path, a cycle is found exactly once, from its earliest order.

Times rounded to a unit (dates without times, exports that keep the hour) cannot order the
hops made within one unit, so there a hop may follow the previous one in the same unit: a
cycle whose hops share a day is then found from each of its orders, and those paths are one
path of the cycle.

Examples
--------
>>> import numpy as np
>>> day = 86400
>>> # 0 -> 1 -> 2 -> 0 with similar amounts; 3 -> 4 -> 5 -> 3 with wildly different ones
>>> b = np.array([0, 1, 2, 3, 4, 5]); s = np.array([1, 2, 0, 4, 5, 3])
>>> amt = np.array([100.0, 98.0, 101.0, 100.0, 5.0, 900.0])
>>> t = np.array([0, 1, 2, 0, 1, 2]) * day
>>> res = circular_trades(b, s, amt, t)
>>> [c.accounts.tolist() for c in res.cycles]
[[0, 1, 2]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from linkguard._arrays import unique_ints
from linkguard.detect.lockstep import timestamp_granularity

__all__ = ["Cycle", "CycleParams", "CycleResult", "circular_trades"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CycleParams:
    """Cycle lengths, time window and amount tolerance."""

    min_length: int = 3
    max_length: int = 6
    window_seconds: int = 7 * 86400
    #: Every amount on a cycle lies within this factor of its first amount.
    amount_ratio: float = 1.25
    #: Stop after this many cycles (a guard against pathological inputs).
    max_cycles: int = 200_000


@dataclass(frozen=True)
class Cycle:
    """Accounts on a money cycle, grouped over every time the same accounts went round.

    The search finds every time-respecting path that closes the cycle, and paths share
    orders (two orders from A to B in a window close two paths through the same order
    from B to C), so figures count distinct orders and rounds that share no order.

    Attributes
    ----------
    accounts
        The account codes on the cycle, sorted.
    orders
        The order rows of every path found, one array per path (paths may share orders).
    distinct_orders
        Every order row on some path, once each, sorted.
    rounds
        How many times the money went round with orders of its own: paths taken in time
        order, each counted when it shares no order with a path counted before it.
    amount
        The sum of the amounts of ``distinct_orders``.
    """

    accounts: IntArray
    orders: list[IntArray]
    distinct_orders: IntArray
    rounds: int
    amount: float


@dataclass(frozen=True)
class CycleResult:
    cycles: list[Cycle]

    def order_mask(self, n_orders: int) -> npt.NDArray[np.bool_]:
        """True for every order that lies on a found cycle."""
        mask = np.zeros(n_orders, dtype=np.bool_)
        for c in self.cycles:
            for round_orders in c.orders:
                mask[round_orders] = True
        return mask


@numba.njit(cache=True, nogil=True)
def _search(
    indptr: IntArray,
    dst: IntArray,
    ts: IntArray,
    amount: FloatArray,
    candidates: IntArray,
    src_of: IntArray,
    min_len: int,
    max_len: int,
    window: int,
    ratio: float,
    max_cycles: int,
    tie: int,
) -> tuple[IntArray, IntArray]:
    """Depth-first search from each candidate order; returns cycles as flat order lists.

    A hop follows the previous one when its time is later by more than ``-tie`` seconds
    (``tie`` 0: strictly later; the times' rounding unit: later or in the same unit).
    """
    out = np.empty(max_cycles * max_len, dtype=np.int64)
    ptr = np.zeros(max_cycles + 1, dtype=np.int64)
    n_found = 0
    path = np.empty(max_len, dtype=np.int64)
    nodes = np.empty(max_len + 1, dtype=np.int64)
    cursor = np.empty(max_len, dtype=np.int64)
    for e0 in candidates:
        start = src_of[e0]
        lo_amt = amount[e0] / ratio
        hi_amt = amount[e0] * ratio
        deadline = ts[e0] + window
        path[0] = e0
        nodes[0] = start
        nodes[1] = dst[e0]
        depth = 1
        cursor[1] = -1
        while depth >= 1:
            if n_found >= max_cycles:
                break
            cur = nodes[depth]
            last_t = ts[path[depth - 1]] - tie
            if cursor[depth] < 0:
                # first outgoing order of `cur` after the previous hop (by more than -tie)
                lo, hi = indptr[cur], indptr[cur + 1]
                while lo < hi:
                    mid = (lo + hi) // 2
                    if ts[mid] <= last_t:
                        lo = mid + 1
                    else:
                        hi = mid
                cursor[depth] = lo
            advanced = False
            while cursor[depth] < indptr[cur + 1]:
                e = cursor[depth]
                cursor[depth] += 1
                if ts[e] > deadline:
                    cursor[depth] = indptr[cur + 1]
                    break
                if amount[e] < lo_amt or amount[e] > hi_amt:
                    continue
                nxt = dst[e]
                if nxt == start:
                    if depth + 1 >= min_len:
                        base = ptr[n_found]
                        for i in range(depth):
                            out[base + i] = path[i]
                        out[base + depth] = e
                        ptr[n_found + 1] = base + depth + 1
                        n_found += 1
                        if n_found >= max_cycles:
                            break
                    continue
                if depth + 1 >= max_len:
                    continue
                seen = False
                for i in range(depth + 1):
                    if nodes[i] == nxt:
                        seen = True
                        break
                if seen:
                    continue
                path[depth] = e
                nodes[depth + 1] = nxt
                depth += 1
                cursor[depth] = -1
                advanced = True
                break
            if not advanced:
                depth -= 1
    return out[: ptr[n_found]], ptr[: n_found + 1]


def circular_trades(
    buyer: npt.ArrayLike,
    seller: npt.ArrayLike,
    amount: npt.ArrayLike,
    ts: npt.ArrayLike,
    params: CycleParams | None = None,
    granularity: int | None = None,
) -> CycleResult:
    """Find payment cycles of similar amounts in time order within a window.

    Parameters
    ----------
    buyer, seller
        Account codes per order: money flows from buyer to seller.
    amount
        Order amounts.
    ts
        Order times in seconds since the epoch.
    params
        Lengths, window and tolerance.
    granularity
        The unit ``ts`` is rounded to, when the caller has measured it
        (:func:`~linkguard.detect.lockstep.timestamp_granularity`, which runs otherwise).

    Notes
    -----
    When the times are rounded to a unit coarser than a second
    (:func:`~linkguard.detect.lockstep.timestamp_granularity`), hops inside one unit count as
    in order. Strongly connected components (scipy's ``csgraph``, O(V + E)) prune every order that
    cannot close a cycle; the compiled search then costs at most the number of window- and
    amount-compatible paths of length ``max_length`` from each remaining order.
    """
    params = params or CycleParams()
    b = np.asarray(buyer, dtype=np.int64)
    s = np.asarray(seller, dtype=np.int64)
    amt = np.asarray(amount, dtype=np.float64)
    t = np.asarray(ts, dtype=np.int64)
    if len(b) == 0:
        return CycleResult([])
    n = int(max(b.max(), s.max())) + 1
    keys = _trim_acyclic_ends(unique_ints(b * n + s), n)
    if len(keys) == 0:
        return CycleResult([])
    # scipy labels strong components in compiled code; igraph's clustering object would walk
    # every account in Python to size its membership.
    graph = csr_matrix((np.ones(len(keys), dtype=np.int8), (keys // n, keys % n)), shape=(n, n))
    scc = connected_components(graph, directed=True, connection="strong")[1].astype(np.int64)
    scc_size = np.bincount(scc)
    inside = (scc[b] == scc[s]) & (scc_size[scc[b]] >= params.min_length) & (b != s)
    idx = np.flatnonzero(inside)
    if len(idx) == 0:
        return CycleResult([])
    order = idx[np.lexsort((t[idx], b[idx]))]
    unit = timestamp_granularity(t) if granularity is None else granularity
    src_sorted = b[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src_sorted, minlength=n), out=indptr[1:])
    flat, ptr = _search(
        indptr,
        s[order],
        t[order],
        amt[order],
        np.arange(len(order), dtype=np.int64),
        src_sorted,
        params.min_length,
        params.max_length,
        params.window_seconds,
        params.amount_ratio,
        params.max_cycles,
        0 if unit <= 1 else unit,
    )
    return CycleResult(_group_cycles(order[flat], ptr, b, amt, t))


def _trim_acyclic_ends(keys: IntArray, n: int) -> IntArray:
    """Drop edges (keys ``src * n + dst``) at accounts that only pay or only get paid.

    Such an account lies on no cycle; removing it can strand others, so repeat until stable.
    Most buyers never sell, so this leaves little for the strongly-connected-components pass.
    """
    while len(keys):
        src, dst = keys // n, keys % n
        pays = np.bincount(src, minlength=n) > 0
        paid = np.bincount(dst, minlength=n) > 0
        keep = pays[dst] & paid[src]
        if keep.all():
            break
        keys = keys[keep]
    return keys


def _disjoint_rounds(paths: list[IntArray], ts: IntArray) -> int:
    """Paths counted greedily by the time of their first order, skipping any that reuse one.

    Examples
    --------
    >>> t = np.arange(8)
    >>> _disjoint_rounds([np.array([1, 2, 3]), np.array([1, 2, 4]), np.array([5, 6, 7])], t)
    2
    """
    used: set[int] = set()
    rounds = 0
    for path in sorted(paths, key=lambda p: (int(ts[p[0]]), p.tolist())):
        members = path.tolist()
        if used.isdisjoint(members):
            used.update(members)
            rounds += 1
    return rounds


def _group_cycles(
    orders: IntArray, ptr: IntArray, buyer: IntArray, amount: FloatArray, ts: IntArray
) -> list[Cycle]:
    """Group found cycles by their account set (the same ring of accounts going round again)."""
    groups: dict[tuple[int, ...], list[IntArray]] = {}
    seen: set[tuple[int, ...]] = set()
    for i in range(len(ptr) - 1):
        cyc = orders[ptr[i] : ptr[i + 1]]
        path = tuple(sorted(cyc.tolist()))
        if path in seen:  # the same orders found from another of them (hops in one time unit)
            continue
        seen.add(path)
        key = tuple(sorted(buyer[cyc].tolist()))
        groups.setdefault(key, []).append(cyc)
    out = []
    for key, paths in groups.items():
        distinct = unique_ints(np.concatenate(paths))
        out.append(
            Cycle(
                accounts=np.array(key, dtype=np.int64),
                orders=paths,
                distinct_orders=distinct,
                rounds=_disjoint_rounds(paths, ts),
                amount=float(amount[distinct].sum()),
            )
        )
    out.sort(key=lambda c: (-c.rounds, c.accounts.tolist()))
    return out

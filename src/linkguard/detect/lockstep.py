"""Lockstep buying: groups of buyers that hit the same sellers inside the same short windows.

CopyCatch (Beutel et al., WWW 2013) in its simplest time-bucketed form. Orders fall into
cells ``(seller, time bucket)``; two buyers are in lockstep when they share at least
``min_shared_windows`` cells; groups are the connected components of such pairs. A flash
sale puts hundreds of buyers into one cell once, which never adds up to repeated
co-occurrence; a ring's bursts do. Buckets are laid on two grids half a window apart so a
burst that straddles a bucket edge is still seen whole on one of them. A group's sellers are
the shops where its members met in two or more windows and bought far more than the shop's
share of all orders predicts: ring accounts meet by chance at the popular shops they use as
camouflage, and a group that only ever met at such shops is dropped.

Coarse timestamps: dates without times (daily exports, review sites) cannot show who bought
within the same hour, and a (seller, day) cell at a busy shop holds a crowd whose pairs grow
with its square. The timestamps' granularity is measured first
(:func:`timestamp_granularity`); when it is coarser than the window, lockstep is not looked
for and the result says why. Whatever the data, pair counting is bounded: past
``pair_budget`` pairs per membership the most crowded cells are left out (and counted), so
the work stays linear in the number of orders.

Examples
--------
>>> import numpy as np
>>> hour = 3600
>>> # buyers 0-3 hit seller 9 together in three different hours; 100 flash buyers once
>>> b = np.r_[np.tile(np.arange(4), 3), np.arange(10, 110)]
>>> s = np.r_[np.full(12, 9), np.full(100, 8)]
>>> t = np.r_[np.repeat([0, 50, 90], 4) * hour, np.full(100, 7 * hour)]
>>> res = lockstep_groups(b, s, t)
>>> [g.buyers.tolist() for g in res.groups], [g.sellers.tolist() for g in res.groups]
([[0, 1, 2, 3]], [[9]])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard._arrays import components, pairs_within_groups, unique_ints
from linkguard.detect._background import poisson_log10_tail

__all__ = [
    "LockstepGroup",
    "LockstepParams",
    "LockstepResult",
    "bound_pair_work",
    "granularity_of_seconds_of_day",
    "lockstep_groups",
    "prune_memberships",
    "time_cells",
    "timestamp_granularity",
]

#: Units timestamps are commonly rounded to, finest first: second, minute, hour, day.
TIME_UNITS = (1, 60, 3_600, 86_400)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LockstepParams:
    """Window length and how much co-occurrence makes lockstep."""

    window_seconds: int = 3600
    min_shared_windows: int = 3
    min_group: int = 3
    #: A seller belongs to a group when group buyers met there in this many windows ...
    min_seller_windows: int = 2
    #: ... and the group's orders there are this many times what the seller's share of all
    #: orders predicts from the group's orders ...
    min_seller_lift: float = 3.0
    #: ... and that excess is this improbable by chance (-log10 of a Poisson tail).
    min_seller_log10_p: float = 3.0
    #: Buyer pairs counted at most per (cell, buyer) membership (with a floor of a million
    #: pairs); beyond it the most crowded cells are left out, largest first.
    pair_budget: float = 8.0


@dataclass(frozen=True)
class LockstepGroup:
    """Buyers (codes) acting together, the sellers they hit, and in how many windows."""

    buyers: IntArray
    sellers: IntArray
    windows: int
    max_shared_windows: int


@dataclass(frozen=True)
class LockstepResult:
    """Lockstep groups, and what the data allowed: the timestamps' granularity (seconds),
    the crowded cells left out to bound the work, and notes saying so in words."""

    groups: list[LockstepGroup]
    granularity: int = 1
    cells_skipped: int = 0
    notes: list[str] = field(default_factory=list)


def timestamp_granularity(ts: npt.ArrayLike, share: float = 0.99) -> int:
    """The coarsest of 1 s, 1 min, 1 h and 1 day that the timestamps are rounded to.

    Timestamps are rounded to a unit when (nearly: ``share`` of them) all fall at the same
    offset within it: dates read as midnight, or every order stamped noon, are rounded to the
    day; exports that keep the hour only, to the hour.

    Examples
    --------
    >>> day = 86_400
    >>> timestamp_granularity([3 * day + 43_200, 5 * day + 43_200, 9 * day + 43_200])
    86400
    >>> timestamp_granularity([0, 3_600, 7_200, 7_260])
    60
    """
    t = np.asarray(ts, dtype=np.int64)
    day = TIME_UNITS[-1]
    return granularity_of_seconds_of_day(np.bincount(t % day, minlength=day), share)


def granularity_of_seconds_of_day(counts: npt.ArrayLike, share: float = 0.99) -> int:
    """:func:`timestamp_granularity` from ``counts[s]``, the number of timestamps falling on
    second ``s`` of the day (what an engine that keeps the times elsewhere can send).

    >>> counts = np.zeros(86_400, np.int64); counts[[0, 3_600, 7_260]] = [5, 5, 1]
    >>> granularity_of_seconds_of_day(counts, share=0.9), granularity_of_seconds_of_day(counts)
    (3600, 60)
    """
    c = np.asarray(counts, dtype=np.int64)
    day = TIME_UNITS[-1]
    if len(c) != day:
        raise ValueError(f"counts must have one entry per second of the day ({day:,})")
    total = int(c.sum())
    best = 1
    if total == 0:
        return best
    for unit in TIME_UNITS[1:]:
        residue = c.reshape(day // unit, unit).sum(axis=0)
        if residue.max() < share * total:
            break
        best = unit
    return best


def time_cells(
    buyer: IntArray, seller: IntArray, ts: IntArray, window: int, offset: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct (cell, buyer) memberships; returns cell ids, buyers and each cell's seller."""
    bucket = (ts + offset) // window
    bucket = bucket - bucket.min(initial=0)
    n_buckets = int(bucket.max(initial=0)) + 1
    cell_key = seller * n_buckets + bucket
    key = unique_ints(cell_key * (int(buyer.max(initial=0)) + 1) + buyer)
    stride = int(buyer.max(initial=0)) + 1
    cell, who = key // stride, key % stride
    return cell, who, cell // n_buckets


def prune_memberships(
    cell: IntArray, who: IntArray, min_windows: int, start: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.bool_]:
    """Keep memberships whose cell has 2+ kept buyers and whose buyer has enough kept cells.

    ``cell`` is sorted (as :func:`time_cells` returns it), so dense cell numbers come from
    one pass; each round is then two bincounts. ``start`` (default: all) are the memberships
    pruning starts from.
    """
    dense_cell = np.cumsum(np.r_[True, cell[1:] != cell[:-1]]) - 1 if len(cell) else cell
    n_cells = int(dense_cell[-1]) + 1 if len(cell) else 0
    n_buyers = int(who.max(initial=-1)) + 1
    keep = np.ones(len(cell), dtype=np.bool_) if start is None else start.copy()
    while True:
        idx = np.flatnonzero(keep)
        c, b = dense_cell[idx], who[idx]
        ok = (np.bincount(c, minlength=n_cells)[c] >= 2) & (
            np.bincount(b, minlength=n_buyers)[b] >= min_windows
        )
        if ok.all():
            return keep
        keep[idx[~ok]] = False


def _pair_counts(cell: IntArray, who: IntArray, stride: int) -> tuple[IntArray, IntArray]:
    """Co-occurrence counts of buyer pairs (keys ``lo * stride + hi``) over shared cells."""
    order = np.lexsort((who, cell))
    cell, who = cell[order], who[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    sizes = np.diff(np.r_[starts, len(cell)])
    lo, hi, _ = pairs_within_groups(who, starts, sizes)  # sorted within a cell: lo < hi
    if len(lo) == 0:
        return lo, lo
    uniq, counts = np.unique(lo * stride + hi, return_counts=True)
    return uniq, counts.astype(np.int64)


def lockstep_groups(
    buyer: npt.ArrayLike,
    seller: npt.ArrayLike,
    ts: npt.ArrayLike,
    params: LockstepParams | None = None,
) -> LockstepResult:
    """Find groups of buyers that repeatedly buy from the same sellers in the same windows.

    Parameters
    ----------
    buyer, seller
        Account codes per order.
    ts
        Order times in seconds since the epoch.
    params
        Window and thresholds.

    Notes
    -----
    Memberships are pruned to a fixed point first (a buyer needs ``min_shared_windows``
    shared cells, a cell two buyers), so pair counting only touches the candidates:
    O(n log n) plus the sum of squared sizes of the surviving cells.
    """
    params = params or LockstepParams()
    b = np.asarray(buyer, dtype=np.int64)
    s = np.asarray(seller, dtype=np.int64)
    t = np.asarray(ts, dtype=np.int64)
    if len(b) == 0:
        return LockstepResult([])
    granularity = timestamp_granularity(t)
    w = params.window_seconds
    if granularity > w:
        return LockstepResult(
            [],
            granularity,
            notes=[
                f"lockstep not looked for: order times are rounded to {_unit_words(granularity)}, "
                f"coarser than its {w:,}-second window"
            ],
        )
    stride = int(max(b.max(), s.max())) + 1
    # A second grid half a window on only helps when times fall inside the window.
    offsets = (0, w // 2) if granularity < w else (0,)
    groups, skipped = _groups(b, s, t, stride, params, offsets)
    groups.sort(key=lambda grp: (-len(grp.buyers), int(grp.buyers[0])))
    notes = (
        [f"lockstep left out {skipped:,} crowded (seller, window) cell(s) to bound its work"]
        if skipped
        else []
    )
    return LockstepResult(groups, granularity, skipped, notes)


def _unit_words(seconds: int) -> str:
    return {86_400: "the day (dates without times)", 3_600: "the hour", 60: "the minute"}.get(
        seconds, f"{seconds} s"
    )


def bound_pair_work(
    cell: IntArray, who: IntArray, keep: npt.NDArray[np.bool_], min_windows: int, pair_budget: float
) -> tuple[npt.NDArray[np.bool_], int]:
    """Leave out the most crowded cells until the buyer pairs to count fit the budget.

    ``cell`` is sorted; ``keep`` marks the memberships that survived pruning. The budget is
    ``pair_budget`` pairs per kept membership, a million at least. Returns the new ``keep``
    (pruned again to a fixed point) and the number of cells left out.
    """
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return keep, 0
    kept_cells, size = np.unique(cell[idx], return_counts=True)
    pairs = size * (size - 1) // 2
    budget = max(1_000_000.0, pair_budget * len(idx))
    if pairs.sum() <= budget:
        return keep, 0
    by_size = np.argsort(size, kind="stable")
    fits = np.cumsum(pairs[by_size]) <= budget
    crowded = np.zeros(len(kept_cells), dtype=np.bool_)
    crowded[by_size[~fits]] = True
    out = keep.copy()
    out[idx[crowded[np.searchsorted(kept_cells, cell[idx])]]] = False
    out &= prune_memberships(cell, who, min_windows, out)
    return out, int(crowded.sum())


def _groups(
    b: IntArray,
    s: IntArray,
    t: IntArray,
    stride: int,
    params: LockstepParams,
    offsets: tuple[int, ...],
) -> tuple[list[LockstepGroup], int]:
    w = params.window_seconds
    pair_keys, pair_counts = [], []
    memberships = []
    skipped = 0
    for offset in offsets:
        cell, who, cell_seller = time_cells(b, s, t, w, offset)
        keep = prune_memberships(cell, who, params.min_shared_windows)
        keep, left_out = bound_pair_work(
            cell, who, keep, params.min_shared_windows, params.pair_budget
        )
        skipped = max(skipped, left_out)
        cell, who, cell_seller = cell[keep], who[keep], cell_seller[keep]
        keys, counts = _pair_counts(cell, who, stride)
        pair_keys.append(keys)
        pair_counts.append(counts)
        memberships.append((cell, who, cell_seller))
    keys = np.concatenate(pair_keys)
    counts = np.concatenate(pair_counts)
    if len(keys) == 0:
        return [], skipped
    order = np.lexsort((-counts, keys))
    keys, counts = keys[order], counts[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    keys, counts = keys[first], counts[first]  # the better of the two grids per pair
    strong = counts >= params.min_shared_windows
    if not strong.any():
        return [], skipped
    lo, hi = keys[strong] // stride, keys[strong] % stride
    nodes, inv = np.unique(np.r_[lo, hi], return_inverse=True)
    membership = components(len(nodes), inv[: len(lo)], inv[len(lo) :])
    comp_sizes = np.bincount(membership)
    big = np.flatnonzero(comp_sizes >= params.min_group)
    renumber = np.full(len(comp_sizes), -1, dtype=np.int64)
    renumber[big] = np.arange(len(big))
    group_of = np.full(stride, -1, dtype=np.int64)
    group_of[nodes] = renumber[membership]
    pair_group = renumber[membership[inv[: len(lo)]]]
    max_shared = np.zeros(len(big), dtype=np.int64)
    np.maximum.at(max_shared, pair_group[pair_group >= 0], counts[strong][pair_group >= 0])
    sellers, windows = _group_sellers(memberships, group_of, len(big), params)
    sellers = _beyond_chance(sellers, group_of, b, s, params)
    # A group whose members only ever met at shops busy enough to explain it is no lockstep.
    return [
        LockstepGroup(
            buyers=np.flatnonzero(group_of == gi),
            sellers=sellers[gi],
            windows=int(windows[gi]),
            max_shared_windows=int(max_shared[gi]),
        )
        for gi in range(len(big))
        if len(sellers[gi])
    ], skipped


def _beyond_chance(
    sellers: list[IntArray],
    group_of: IntArray,
    buyer: IntArray,
    seller: IntArray,
    params: LockstepParams,
) -> list[IntArray]:
    """Keep the group sellers whose orders from the group are far beyond chance.

    Ring accounts also buy at popular shops (camouflage); at a shop busy enough, two of them
    land in the same hour now and then. Under a configuration model the orders that the
    group's buyers at a shop place there are Poisson with mean (all the orders of those
    buyers) x (the shop's share of all orders): a ring's own shop gets many times that, a
    popular shop about that. Counting only the buyers who bought at the shop keeps the test
    sharp when chance meetings have swept outsiders into the group.
    """
    in_group = group_of[buyer]
    mine = in_group >= 0
    if not mine.any():
        return sellers
    stride = len(group_of)
    key = in_group[mine] * stride + seller[mine]
    who = buyer[mine]
    by_key = np.lexsort((who, key))
    key, who = key[by_key], who[by_key]
    keys, first, hits = np.unique(key, return_index=True, return_counts=True)
    # Each (group, shop)'s buyers, once each, and all the orders they placed anywhere.
    distinct = np.r_[True, (key[1:] != key[:-1]) | (who[1:] != who[:-1])]
    orders_of = np.bincount(buyer, minlength=stride).astype(np.float64)
    spread = np.add.reduceat(np.where(distinct, orders_of[who], 0.0), first)
    shop_share = np.bincount(seller, minlength=stride) / len(seller)
    out = []
    for gi, candidates in enumerate(sellers):
        if len(candidates) == 0:
            out.append(candidates)
            continue
        at = np.searchsorted(keys, gi * stride + candidates)
        k = hits[at].astype(np.float64)
        lam = np.maximum(spread[at] * shop_share[candidates], 1e-12)
        log10_p = poisson_log10_tail(k, lam)
        keep = (k >= params.min_seller_lift * lam) & (log10_p >= params.min_seller_log10_p)
        out.append(candidates[keep])
    return out


def _group_sellers(
    memberships: list[tuple[IntArray, IntArray, IntArray]],
    group_of: IntArray,
    n_groups: int,
    params: LockstepParams,
) -> tuple[list[IntArray], IntArray]:
    """Per group: sellers where 2+ members met in ``min_seller_windows`` windows, and the
    number of windows in which 2+ members met (the better of the two grids)."""
    best_windows = np.zeros(n_groups, dtype=np.int64)
    best_sellers: list[IntArray] = [np.zeros(0, dtype=np.int64)] * n_groups
    for cell, who, cell_seller in memberships:
        gsel = group_of[who]
        frame = pd.DataFrame({"group": gsel, "cell": cell, "seller": cell_seller})[gsel >= 0]
        counts = frame.groupby(["group", "cell", "seller"], sort=False).size()
        met: pd.DataFrame = counts[counts >= 2].reset_index()[["group", "seller"]]
        windows = np.bincount(met["group"].to_numpy(dtype=np.int64), minlength=n_groups)
        per_seller = met.groupby(["group", "seller"]).size()
        repeat: pd.DataFrame = per_seller[per_seller >= params.min_seller_windows].reset_index()
        groups = repeat["group"].to_numpy(dtype=np.int64)
        sellers = repeat["seller"].to_numpy(dtype=np.int64)
        better = windows > best_windows
        for gi in np.flatnonzero(better).tolist():
            best_sellers[gi] = np.sort(sellers[groups == gi])
        best_windows = np.maximum(best_windows, windows)
    return best_sellers, best_windows

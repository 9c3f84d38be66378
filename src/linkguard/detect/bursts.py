"""Rings seen through time: dense blocks of buyers x (seller, hour) cells.

A ring run through hijacked old accounts may use a single shop and no shared devices; in the
buyer x seller graph it is then only a star, like any shop and its regulars. Its orders come
in bursts, though: the same accounts at the same shop in the same hour, again and again. In
the graph of buyers x (seller, time bucket) cells those bursts are a dense block, while a
flash sale (many buyers, one cell, once) is a star and a loyal club (regulars spread over
months) is sparse. The same peeling and background test as for buyer x seller blocks
(:func:`linkguard.detect.rings.peel_blocks`) run on that graph. Dates without times cannot
show a burst inside the hour: when the timestamps are coarser than the time bucket
(:func:`~linkguard.detect.lockstep.timestamp_granularity`) the view is not built and the
buyer x seller peel alone looks for rings.

Examples
--------
>>> import numpy as np
>>> hour = 3600
>>> rng = np.random.default_rng(0)
>>> ring = np.tile(np.arange(10), 6)                      # 10 buyers, 6 bursts, one shop
>>> t_ring = np.repeat(np.arange(6) * 40 * hour, 10) + rng.integers(0, 1800, 60)
>>> other_b = rng.integers(10, 2000, 6000)
>>> other_s = rng.integers(2001, 2100, 6000)
>>> b = np.r_[ring, other_b]
>>> s = np.r_[np.full(60, 2000), other_s]
>>> t = np.r_[t_ring, rng.integers(0, 300 * hour, 6000)]
>>> rings = burst_rings(b, s, t, 2100)
>>> [(r.buyers.tolist(), r.sellers.tolist()) for r in rings]
[([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2000])]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard._arrays import components
from linkguard.detect.lockstep import prune_memberships, time_cells, timestamp_granularity
from linkguard.detect.rings import Ring, RingParams, peel_blocks

__all__ = ["burst_rings", "bursts_visible"]


def bursts_visible(ts: npt.ArrayLike, params: RingParams | None = None) -> bool:
    """Whether the timestamps are fine enough to show bursts inside the time bucket."""
    params = params or RingParams()
    return timestamp_granularity(ts) <= params.burst_window_seconds


def burst_rings(
    buyer: npt.ArrayLike,
    seller: npt.ArrayLike,
    ts: npt.ArrayLike,
    n_accounts: int,
    params: RingParams | None = None,
) -> list[Ring]:
    """Rings whose buyers hit their sellers together in repeated short windows.

    Parameters
    ----------
    buyer, seller
        Account codes per order.
    ts
        Order times in seconds since the epoch.
    n_accounts
        Number of account codes.
    params
        Peeling and acceptance settings (shared with :func:`~linkguard.detect.rings.dense_rings`),
        and the time bucket length ``burst_window_seconds``.

    Returns
    -------
    list of Ring
        ``edges`` and ``density`` count buyer x cell memberships.
    """
    params = params or RingParams()
    b = np.asarray(buyer, dtype=np.int64)
    s = np.asarray(seller, dtype=np.int64)
    t = np.asarray(ts, dtype=np.int64)
    if len(b) == 0 or not bursts_visible(t, params):
        return []
    cell, who, cell_seller = time_cells(b, s, t, params.burst_window_seconds, 0)
    # A cell with one buyer adds no edge beyond a spanning tree, and a buyer in one cell can
    # join no ring (members need two edges into it): only what survives pruning both to a
    # fixed point is peeled, while every membership still counts for the background.
    peelable = prune_memberships(cell, who, 2)
    if not peelable.any():
        return []
    cells, col = np.unique(cell, return_inverse=True)
    seller_of_col = np.zeros(len(cells), dtype=np.int64)
    seller_of_col[col] = cell_seller
    buyers, row = np.unique(who, return_inverse=True)
    blocks = peel_blocks(
        row.astype(np.int64),
        col.astype(np.int64),
        len(buyers),
        len(cells),
        None,
        None,
        params,
        peelable,
    )
    rings = []
    # Block members all come from the peeled (pruned) memberships: search only those.
    p_row, p_col = row[peelable].astype(np.int64), col[peelable].astype(np.int64)
    by_row = np.argsort(p_row, kind="stable")
    ptr = np.zeros(len(buyers) + 1, dtype=np.int64)
    np.cumsum(np.bincount(p_row, minlength=len(buyers)), out=ptr[1:])
    for r, c, stats in blocks:
        for part_rows, part_cols in _split_by_repeat_sellers(
            r, c, p_row, p_col, by_row, ptr, seller_of_col, params.min_buyers
        ):
            rings.append(
                Ring(
                    buyers=np.sort(buyers[part_rows]),
                    sellers=np.unique(seller_of_col[part_cols]),
                    **stats,  # type: ignore[arg-type]
                )
            )
    return rings


def _edges_of_rows(
    rows: npt.NDArray[np.int64], by_row: npt.NDArray[np.int64], ptr: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Positions (into arrays sorted by row) of every membership of ``rows``."""
    starts, lengths = ptr[rows], ptr[rows + 1] - ptr[rows]
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return by_row[offsets + np.arange(total)]


def _split_by_repeat_sellers(
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    col: npt.NDArray[np.int64],
    by_row: npt.NDArray[np.int64],
    ptr: npt.NDArray[np.int64],
    seller_of_col: npt.NDArray[np.int64],
    min_buyers: int,
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Keep the block's cells at sellers it hit in two or more windows, then split it apart.

    Ring accounts also buy at popular shops (camouflage), sometimes inside the same hour as a
    burst; such a shop appears in one cell of the block, a ring's own shop in many. Without
    those stray cells, two rings that only touched through them fall apart again. Work is in
    proportion to the block: its rows' memberships come from an index sorted by row.
    """
    sellers, per_seller = np.unique(seller_of_col[cols], return_counts=True)
    cols = cols[np.isin(seller_of_col[cols], sellers[per_seller >= 2])]
    idx = _edges_of_rows(rows, by_row, ptr)
    idx = idx[np.isin(col[idx], cols)]
    eu, ev = row[idx], col[idx]
    if len(eu) == 0:
        return []
    # connect cells through buyers, and the cells of one seller with each other
    n_rows = int(ptr.shape[0])
    seller_node = seller_of_col[ev] + n_rows + len(seller_of_col)
    ends = np.r_[eu, ev + n_rows, ev + n_rows, seller_node]
    nodes, local = np.unique(ends, return_inverse=True)
    half = len(local) // 2
    node_part = components(len(nodes), local[:half], local[half:])
    part_of_edge = node_part[local[: len(eu)]]
    out = []
    for part in np.unique(part_of_edge):
        part_rows = np.unique(eu[part_of_edge == part])
        part_cols = np.unique(ev[part_of_edge == part])
        if len(part_rows) >= min_buyers:
            out.append((part_rows, part_cols))
    return out

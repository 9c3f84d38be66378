"""Array helpers where numpy's general tool is slow for our shapes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

__all__ = ["components", "dense_numbering", "pairs_within_groups", "unique_ints"]

IntArray = npt.NDArray[np.int64]


def components(n: int, a: npt.ArrayLike, b: npt.ArrayLike) -> IntArray:
    """Connected component of each of ``n`` nodes under the undirected edges ``a[i] - b[i]``.

    Components are numbered from 0 in order of their smallest node. scipy's ``csgraph`` takes
    the edges as arrays; building an igraph ``Graph`` from them converts every edge through
    Python objects, which costs more than the search itself for large edge lists.

    >>> components(5, [0, 3], [1, 4]).tolist()
    [0, 0, 1, 2, 2]
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    graph = coo_array((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def dense_numbering(n: int, *codes: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values of ``codes`` (ints below ``n``), sorted, and a lookup array of
    length ``n`` giving each such value its place among them; O(n + len), no sort.

    >>> values, position = dense_numbering(6, np.array([4, 1]), np.array([4, 2]))
    >>> values.tolist(), position[[1, 2, 4]].tolist()
    ([1, 2, 4], [0, 1, 2])
    """
    present = np.zeros(n, dtype=np.bool_)
    for c in codes:
        present[c] = True
    return np.flatnonzero(present), np.cumsum(present) - 1


def unique_ints(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Sorted distinct values of an integer array.

    ``np.unique`` without ``return_*`` arguments takes a hash-based path that is an order of
    magnitude slower than sorting for millions of distinct int64 keys; numpy's sort of
    integers is a radix sort.

    >>> unique_ints([3, 1, 3, 2]).tolist()
    [1, 2, 3]
    """
    a = np.sort(np.asarray(values, dtype=np.int64))
    if len(a) == 0:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]


def pairs_within_groups(
    members_by_group: IntArray, starts: IntArray, sizes: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """All unordered member pairs within each group, vectorised per distinct group size.

    Groups are runs of ``members_by_group`` (``starts``, ``sizes``); returns the first and
    second member of every pair, in run order, and the pair's group number.

    >>> a, b, g = pairs_within_groups(np.array([1, 2, 3, 7, 8]), np.array([0, 3]),
    ...                               np.array([3, 2]))
    >>> list(zip(a.tolist(), b.tolist(), g.tolist()))
    [(7, 8, 1), (1, 2, 0), (1, 3, 0), (2, 3, 0)]
    """
    out_a, out_b, out_g = [], [], []
    for k in np.unique(sizes):
        groups = np.flatnonzero(sizes == k)
        block = members_by_group[starts[groups][:, None] + np.arange(k)[None, :]]
        i, j = np.triu_indices(int(k), 1)
        out_a.append(block[:, i].ravel())
        out_b.append(block[:, j].ravel())
        out_g.append(np.repeat(groups, len(i)))
    if not out_a:
        e = np.zeros(0, dtype=np.int64)
        return e, e, e
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_g)

"""Array helpers where numpy's general tool is slow for our shapes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["unique_ints"]


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

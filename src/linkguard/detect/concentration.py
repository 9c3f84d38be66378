"""Revenue concentration per seller: how much of a shop's sales come from how few buyers.

HHI is the Herfindahl-Hirschman index of the buyers' shares of the seller's GMV, on the
0-10,000 scale of merger practice (one buyer: 10,000; n equal buyers: 10,000 / n).

Examples
--------
>>> import numpy as np
>>> c = seller_concentration(seller=np.array([9, 9, 9]), buyer=np.array([1, 1, 2]),
...                          amount=np.array([30.0, 30.0, 40.0]))
>>> row = c.loc[9]
>>> float(row.gmv), float(row.hhi), float(row.top1_share), int(row.buyers)
(100.0, 5200.0, 0.6, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["SellerFigures", "seller_concentration", "seller_figures"]

BoolArray = npt.NDArray[np.bool_]


COLUMNS = [
    "orders",
    "buyers",
    "gmv",
    "hhi",
    "top1_share",
    "top5_share",
    "linked_buyer_share",
    "ring_buyer_share",
    "adjusted_gmv",
]


def seller_concentration(
    seller: npt.ArrayLike,
    buyer: npt.ArrayLike,
    amount: npt.ArrayLike,
    linked: BoolArray | None = None,
    in_ring: BoolArray | None = None,
    removed: BoolArray | None = None,
) -> pd.DataFrame:
    """Concentration figures per seller code (the frame's index).

    Parameters
    ----------
    seller, buyer, amount
        One entry per counted order (the caller drops cancelled and refunded orders).
    linked
        Per order: the buyer is linked to the seller (same owner cluster or shared strong
        identifiers).
    in_ring
        Per order: buyer and seller are in the same fake-reputation ring.
    removed
        Per order: the order is not honest revenue (ring, self-dealing or circular) and is
        left out of ``adjusted_gmv``.

    Returns
    -------
    pandas.DataFrame
        ``orders, buyers, gmv, hhi, top1_share, top5_share, linked_buyer_share,
        ring_buyer_share, adjusted_gmv`` indexed by seller code.
    """
    return seller_figures(seller, buyer, amount, linked).finish(in_ring, removed)


@dataclass(frozen=True)
class SellerFigures:
    """The figures that need no ring: built while the ring search runs, finished after it.

    ``frame`` holds every column but ``ring_buyer_share`` and ``adjusted_gmv``; ``local`` is
    each order's row in it, so the ring-dependent columns are two weighted counts.
    """

    frame: pd.DataFrame
    local: npt.NDArray[np.int64]
    amount: npt.NDArray[np.float64]
    gmv: npt.NDArray[np.float64]

    def _per_seller(self, mask: BoolArray | None) -> npt.NDArray[np.float64]:
        if mask is None:
            return np.zeros(len(self.gmv), dtype=np.float64)
        return np.bincount(
            self.local, weights=np.where(mask, self.amount, 0.0), minlength=len(self.gmv)
        ).astype(np.float64)

    def finish(
        self, in_ring: BoolArray | None = None, removed: BoolArray | None = None
    ) -> pd.DataFrame:
        """The whole frame, given the per-order ring and removed-revenue masks."""
        gmv = self.gmv
        safe = np.where(gmv > 0, gmv, 1.0)
        out = self.frame.copy()
        out["ring_buyer_share"] = np.where(gmv > 0, self._per_seller(in_ring) / safe, 0.0)
        out["adjusted_gmv"] = np.round(np.clip(gmv - self._per_seller(removed), 0.0, None), 2)
        return out[COLUMNS]


def seller_figures(
    seller: npt.ArrayLike,
    buyer: npt.ArrayLike,
    amount: npt.ArrayLike,
    linked: BoolArray | None = None,
) -> SellerFigures:
    """Orders, buyers, GMV, HHI, top-1/top-5 and linked shares per seller code."""
    s = np.asarray(seller, dtype=np.int64)
    b = np.asarray(buyer, dtype=np.int64)
    amt = np.asarray(amount, dtype=np.float64)
    if len(s) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS}).rename_axis("seller")
        return SellerFigures(empty, np.zeros(0, np.int64), amt, np.zeros(0, np.float64))
    # Buyer totals per seller: one sort of the (seller, buyer) key, sums per run.
    key = s * (int(b.max()) + 1) + b
    order = np.argsort(key)
    sk = key[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    pair_amount = np.add.reduceat(amt[order], starts)
    pair_seller = s[order][starts]
    sellers, seller_idx = np.unique(pair_seller, return_inverse=True)
    n = len(sellers)
    local = np.searchsorted(sellers, s)

    def per_seller(
        weights: npt.NDArray[np.float64] | None, at: npt.NDArray[np.int64] = local
    ) -> npt.NDArray[np.float64]:
        return np.bincount(at, weights=weights, minlength=n).astype(np.float64)

    gmv = per_seller(amt)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(gmv[seller_idx] > 0, pair_amount / gmv[seller_idx], 0.0)
    # Rank buyers within each seller by share, largest first (pairs are grouped by seller).
    rank_order = np.lexsort((-share, seller_idx))
    first = np.searchsorted(seller_idx[rank_order], np.arange(n))
    rank = np.arange(len(share)) - first[seller_idx[rank_order]]
    top = rank_order[rank < 5]
    safe = np.where(gmv > 0, gmv, 1.0)
    m = np.zeros(len(s), dtype=np.bool_) if linked is None else linked
    frame = pd.DataFrame(
        {
            "orders": per_seller(None).astype(np.int64),
            "buyers": np.bincount(seller_idx, minlength=n).astype(np.int64),
            "gmv": np.round(gmv, 2),
            "hhi": per_seller((share * 100.0) ** 2, seller_idx),
            "top1_share": share[rank_order[rank == 0]],
            "top5_share": per_seller(share[top], seller_idx[top]),
            "linked_buyer_share": np.where(gmv > 0, per_seller(np.where(m, amt, 0.0)) / safe, 0.0),
        },
        index=pd.Index(sellers, name="seller"),
    )
    return SellerFigures(frame, local, amt, gmv)

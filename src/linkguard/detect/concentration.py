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

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["seller_concentration"]

BoolArray = npt.NDArray[np.bool_]


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
    s = np.asarray(seller, dtype=np.int64)
    n = len(s)
    none = np.zeros(n, dtype=np.bool_)
    amt = np.asarray(amount, dtype=np.float64)
    frame = pd.DataFrame(
        {
            "seller": s,
            "buyer": np.asarray(buyer, dtype=np.int64),
            "amount": amt,
            "linked_amt": np.where(linked if linked is not None else none, amt, 0.0),
            "ring_amt": np.where(in_ring if in_ring is not None else none, amt, 0.0),
            "removed_amt": np.where(removed if removed is not None else none, amt, 0.0),
        }
    )
    per_pair = frame.groupby(["seller", "buyer"], sort=False)["amount"].sum().reset_index()
    by_seller = frame.groupby("seller")
    out = pd.DataFrame(
        {
            "orders": by_seller.size(),
            "gmv": by_seller["amount"].sum(),
            "linked_amt": by_seller["linked_amt"].sum(),
            "ring_amt": by_seller["ring_amt"].sum(),
            "removed_amt": by_seller["removed_amt"].sum(),
        }
    )
    gmv_of_pair = out["gmv"].reindex(per_pair["seller"]).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(gmv_of_pair > 0, per_pair["amount"].to_numpy() / gmv_of_pair, 0.0)
    per_pair["share"] = share
    per_pair["share_sq"] = (share * 100.0) ** 2
    per_pair = per_pair.sort_values(["seller", "share"], ascending=[True, False])
    per_pair["rank"] = per_pair.groupby("seller").cumcount()
    grouped = per_pair.groupby("seller")
    out["buyers"] = grouped.size()
    out["hhi"] = grouped["share_sq"].sum()
    out["top1_share"] = grouped["share"].max()
    out["top5_share"] = per_pair[per_pair["rank"] < 5].groupby("seller")["share"].sum()
    gmv = out["gmv"].to_numpy()
    safe = np.where(gmv > 0, gmv, 1.0)
    out["linked_buyer_share"] = np.where(gmv > 0, out["linked_amt"] / safe, 0.0)
    out["ring_buyer_share"] = np.where(gmv > 0, out["ring_amt"] / safe, 0.0)
    out["adjusted_gmv"] = (out["gmv"] - out["removed_amt"]).clip(lower=0.0).round(2)
    out["gmv"] = out["gmv"].round(2)
    out.index.name = "seller"
    return out[
        ["orders", "buyers", "gmv", "hhi", "top1_share", "top5_share", "linked_buyer_share",
         "ring_buyer_share", "adjusted_gmv"]
    ]

"""Self-dealing: a seller that buys from itself, directly or through its own other accounts.

The plainest case is an order whose buyer *is* its seller (``buyer_id == seller_id``): a
self-order. Beyond that, a buyer is a puppet of a seller when both sit in the same
linked-account cluster (they share strong identifiers directly or through a chain of the
owner's accounts). The evidence is the self-orders, the puppets, the identifier kinds they
share with the seller, and the share of the seller's GMV they made.

Examples
--------
>>> import numpy as np
>>> from linkguard.detect.graph import identifier_values, trade_pairs
>>> iv = identifier_values([0, 1, 2], ["phone", "phone", "ip"], ["p", "p", "x"])
>>> pairs = trade_pairs([1, 2, 2], [0, 0, 0], [60.0, 20.0, 20.0], [0, 0, 0], [5, 5, 5])
>>> res = self_dealing(pairs, np.array([0, 0, -1]), iv)
>>> [(f.seller, f.puppets.tolist(), round(f.gmv_share, 2), f.kinds) for f in res.findings]
[(0, [1], 0.6, ('phone',))]

A seller buying from itself needs no identifier at all:

>>> pairs = trade_pairs([0, 0, 1], [0, 0, 0], [500.0, 500.0, 20.0], [0, 0, 0], [5, 5, 5])
>>> f = self_dealing(pairs, np.array([-1, -1]), iv).findings[0]
>>> f.seller, f.puppets.tolist(), f.self_orders, f.self_amount, round(f.gmv_share, 3)
(0, [], 2, 1000.0, 0.98)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard.detect.graph import IdentifierValues, TradePairs
from linkguard.schema import STRONG_IDENTIFIER_KINDS

__all__ = ["SelfDealing", "SelfDealingResult", "self_dealing"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SelfDealing:
    """A seller, its puppet buyers, their orders and share of its GMV, the kinds they share.

    ``orders``, ``amount`` and ``gmv_share`` count the self-orders (``self_orders`` of them,
    worth ``self_amount``) and the puppets' orders together.
    """

    seller: int
    puppets: IntArray
    orders: int
    amount: float
    gmv_share: float
    kinds: tuple[str, ...]
    self_orders: int = 0
    self_amount: float = 0.0


@dataclass(frozen=True)
class SelfDealingResult:
    findings: list[SelfDealing]
    #: Per trade pair: the buyer is the seller itself or one of its puppets.
    pair_mask: npt.NDArray[np.bool_]


def self_dealing(
    pairs: TradePairs, cluster_of: IntArray, values: IdentifierValues
) -> SelfDealingResult:
    """Find sellers that buy from themselves, directly or through linked accounts.

    Parameters
    ----------
    pairs
        Trade pairs.
    cluster_of
        Linked-account cluster per account code (-1 unlinked).
    values
        Account-identifier memberships, for the evidence of which kinds are shared.
    """
    cb, cs = cluster_of[pairs.buyer], cluster_of[pairs.seller]
    itself = pairs.buyer == pairs.seller
    mask = ((cb >= 0) & (cb == cs)) | itself
    if not mask.any():
        return SelfDealingResult([], mask)
    gmv = np.bincount(pairs.seller, weights=pairs.amount, minlength=int(pairs.seller.max()) + 1)
    # The flagged pairs grouped by seller (stable: buyers keep their order within a seller).
    order = np.flatnonzero(mask)
    order = order[np.argsort(pairs.seller[order], kind="stable")]
    seller, buyer = pairs.seller[order], pairs.buyer[order]
    orders, amount, own = pairs.orders[order], pairs.amount[order], itself[order]
    kinds = _shared_kinds(pd.DataFrame({"seller": seller[~own], "buyer": buyer[~own]}), values)
    starts = np.flatnonzero(np.r_[True, seller[1:] != seller[:-1]])
    sum_orders = np.add.reduceat(orders, starts)
    sum_amount = np.add.reduceat(amount, starts)
    self_orders = np.add.reduceat(np.where(own, orders, 0), starts)
    self_amount = np.add.reduceat(np.where(own, amount, 0.0), starts)
    findings = []
    for i, (lo, hi) in enumerate(zip(starts, np.r_[starts[1:], len(order)], strict=True)):
        s = int(seller[lo])
        total = float(sum_amount[i])
        findings.append(
            SelfDealing(
                seller=s,
                puppets=np.sort(buyer[lo:hi][~own[lo:hi]].astype(np.int64)),
                orders=int(sum_orders[i]),
                amount=total,
                gmv_share=total / float(gmv[s]) if gmv[s] > 0 else 0.0,
                kinds=kinds.get(s, ()),
                self_orders=int(self_orders[i]),
                self_amount=float(self_amount[i]),
            )
        )
    return SelfDealingResult(findings, mask)


def _shared_kinds(sel: pd.DataFrame, values: IdentifierValues) -> dict[int, tuple[str, ...]]:
    """Strong identifier kinds each seller shares directly with at least one of its puppets."""
    memberships = pd.DataFrame(
        {
            "account": values.account,
            "value": values.value,
            "kind": values.kind_of_value[values.value],
        }
    )
    memberships = memberships[memberships["kind"].isin(list(STRONG_IDENTIFIER_KINDS))]
    seller_values = (
        sel[["seller"]]
        .drop_duplicates()
        .merge(memberships, left_on="seller", right_on="account")[["seller", "value", "kind"]]
    )
    buyer_values = sel[["seller", "buyer"]].merge(memberships, left_on="buyer", right_on="account")[
        ["seller", "value"]
    ]
    shared = seller_values.merge(buyer_values, on=["seller", "value"])
    return {
        int(str(seller)): tuple(sorted(set(part["kind"].astype(str))))
        for seller, part in shared.groupby("seller")
    }

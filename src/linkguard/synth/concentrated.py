"""Concentrated sellers: a small shop whose revenue comes mostly from one friendly buyer.

The shop has a trickle of real customers (7-13 orders) and a friend who places 15-25 large
orders spread over the history, so the friend's share of its GMV is far above one half and
the shop has at least the 20 counted orders the concentration rule needs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder, Style

__all__ = ["plant_concentrated"]


def plant_concentrated(b: MarketBuilder, customers: npt.NDArray[np.int64]) -> None:
    """Plant ``plan.concentrated`` seller-and-friend pairs; real orders come from ``customers``."""
    rng = b.rng
    weight = b.activity[customers] / b.activity[customers].sum()
    for _ in range(b.plan.concentrated):
        seller, friend = (int(x) for x in b.allocate(2))
        # No retail popularity: its only customers are the ones planted here.
        b.make_shops(np.array([seller]), 0.0)
        b.created_hint[[seller, friend]] = b.old_hint(2)
        b.activity[friend] = rng.gamma(1.5, 0.5)
        b.give_identifiers(np.array([seller, friend]))
        real = rng.choice(customers, int(rng.integers(7, 14)), p=weight)
        shop = np.full(len(real), seller)
        b.add_orders(real, shop, b.times(b.start, b.end, real), b.prices(shop))
        n = int(rng.integers(15, 26))
        big = (b.price[seller] * rng.uniform(4, 10, n)).astype(np.int64) // 100 * 100
        b.add_orders(
            np.full(n, friend),
            seller,
            b.times(b.start, b.end, np.full(n, friend)),
            big,
            label="concentrated",
            style=Style.BULK,
        )
        b.mark_fraud([seller, friend], "concentrated")

"""Circular trade: money that goes round a cycle of accounts to inflate their sales.

Three to six small shops pay each other in turn (position 0 pays 1, 1 pays 2, ..., the last
pays 0), each hop 2-18 hours after the previous one, so a round closes within a few days.
The amount stays within a couple of percent of a base sum (a fee taken here and there), and
the round repeats two to five times, one to two weeks apart.
"""

from __future__ import annotations

import numpy as np

from linkguard.synth.builder import MarketBuilder, Style
from linkguard.synth.plan import DAY, HOUR

__all__ = ["plant_cycles"]

#: Longest gap between rounds; the last round must still close before the history ends.
MAX_SPACING_DAYS = 16


def plant_cycles(b: MarketBuilder) -> None:
    """Plant ``plan.cycles`` cycles; members are recorded in position order."""
    rng = b.rng
    for length in b.plan.cycle_lengths:
        k = int(length)
        members = b.allocate(k)
        b.make_shops(members, 1.0 + 2.0 * rng.random(k))
        b.activity[members] = rng.gamma(1.5, 0.5, k)
        b.created_hint[members] = b.old_hint(k)
        b.give_identifiers(members)
        base = float(np.clip(rng.lognormal(np.log(150_000), 0.6), 30_000, 2_000_000))
        rounds = int(rng.integers(2, 6))
        spacing = rng.uniform(6, MAX_SPACING_DAYS, rounds) * DAY
        spacing[0] = 0
        latest = b.end - (rounds - 1) * MAX_SPACING_DAYS * DAY - 6 * DAY
        first = int(rng.integers(b.start + DAY, latest))
        round_start = first + np.cumsum(spacing).astype(np.int64)
        hops = rng.uniform(2, 18, (rounds, k)) * HOUR
        t = (round_start[:, None] + np.cumsum(hops, axis=1)).astype(np.int64).ravel()
        position = np.tile(np.arange(k), rounds)
        cents = (base * (1 + rng.normal(0, 0.015, rounds * k))).astype(np.int64)
        b.add_orders(
            members[position],
            members[(position + 1) % k],
            t,
            cents,
            label="circular",
            style=Style.BULK,
        )
        b.cycle[members] = len(b.cycles)
        b.cycles.append(members)
        b.mark_fraud(members, "circular")

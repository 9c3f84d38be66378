"""How big the market is and how many of each planted kind it holds.

Counts scale with the number of accounts. Below 2,000 accounts each kind keeps at least one
instance; from 2,000 up, at least the floor that makes a per-kind F1 score meaningful on the
committed 2,000-account sample (four rings, five self-dealing sellers, ...).

Examples
--------
>>> cfg = SynthConfig(accounts=2000, seed=7)
>>> plan = Plan.draw(np.random.default_rng(7), cfg)
>>> plan.device_rings, plan.self_dealing, plan.cycles, cfg.orders
(3, 5, 4, 10000)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

__all__ = ["DAY", "DIFFICULTIES", "HOUR", "MIN_ACCOUNTS", "Disguise", "Plan", "SynthConfig"]

DAY = 86_400
HOUR = 3_600
MIN_ACCOUNTS = 500
#: Orders per account when ``orders`` is not given.
ORDERS_PER_ACCOUNT = 5
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Disguise:
    """How hard the planted rings work to look ordinary.

    ``standard`` rings are textbook: most of a farm joins each short burst, a few camouflage
    orders each. ``hard`` rings spread thin: a third to a half of the farm joins a burst that
    drags on for up to two and a half hours (past the edges of the hour grids that lockstep
    and the time view use), each account hides behind many more camouflage orders at popular
    shops, a farm runs on more phones, and hijackers strike in fewer bursts.
    """

    #: Range of the share of a ring's buyers that join each burst.
    burst_share: tuple[float, float]
    #: Range of a burst's length, minutes.
    burst_minutes: tuple[int, int]
    #: Range (high end excluded) of camouflage orders per device-farm account.
    camouflage_orders: tuple[int, int]
    #: A farm of ``n`` accounts runs on ``clip(n // phones_divisor, *phones_clip)`` phones.
    phones_divisor: int
    phones_clip: tuple[int, int]
    #: Range (high end excluded) of a hijacked ring's bursts.
    hijacked_bursts: tuple[int, int]
    #: Range of the share of a hijacked ring's buyers that join each burst.
    hijacked_share: tuple[float, float]


DIFFICULTIES: dict[str, Disguise] = {
    "standard": Disguise((0.5, 0.9), (15, 30), (1, 5), 5, (2, 8), (4, 7), (0.6, 0.95)),
    "hard": Disguise((0.3, 0.55), (30, 150), (4, 13), 3, (3, 12), (3, 5), (0.35, 0.6)),
    # standard rings, plus the hidden shapes of :mod:`linkguard.synth.farms` and their honest
    # look-alikes (:mod:`linkguard.synth.lookalikes`)
    "realistic": Disguise((0.5, 0.9), (15, 30), (1, 5), 5, (2, 8), (4, 7), (0.6, 0.95)),
}


@dataclass(frozen=True)
class SynthConfig:
    """What to generate.

    Attributes
    ----------
    accounts
        Number of accounts (buyers, shops and planted fraud together).
    seed
        Seed of the single random generator everything is drawn from.
    orders_target
        Target number of orders; ``None`` means five per account (see :attr:`orders`).
    days
        Length of the order history, ending at ``end``.
    end
        End of the history (ISO-8601, UTC).
    dirty_fraction
        Share of extra, deliberately bad rows per table; 0 disables them.
    difficulty
        How well the rings disguise themselves: a key of :data:`DIFFICULTIES`.
    """

    accounts: int
    seed: int
    orders_target: int | None = None
    days: int = 90
    end: str = "2026-02-01T00:00:00Z"
    dirty_fraction: float = 0.001
    difficulty: str = "standard"

    def __post_init__(self) -> None:
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(
                f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {self.difficulty!r}"
            )
        if self.accounts < MIN_ACCOUNTS:
            raise ValueError(f"accounts must be at least {MIN_ACCOUNTS}, got {self.accounts}")
        if self.orders < self.accounts:
            raise ValueError(f"orders must be at least the number of accounts, got {self.orders}")
        if not 0.0 <= self.dirty_fraction <= 0.05:
            raise ValueError("dirty_fraction must lie between 0 and 0.05")
        if not 30 <= self.days <= 3650:
            raise ValueError("days must lie between 30 and 3650")

    @property
    def disguise(self) -> Disguise:
        return DIFFICULTIES[self.difficulty]

    @property
    def orders(self) -> int:
        return self.orders_target or ORDERS_PER_ACCOUNT * self.accounts

    @property
    def end_s(self) -> int:
        """End of the history in epoch seconds."""
        return int(
            datetime.fromisoformat(self.end.replace("Z", "+00:00")).astimezone(UTC).timestamp()
        )

    @property
    def start_s(self) -> int:
        """Start of the history in epoch seconds."""
        return self.end_s - self.days * DAY


def _count(n: int, floor: int, rate: float) -> int:
    """``floor`` instances at 2,000 accounts (fewer below, one at least), then ``rate`` each."""
    return max(1, round(floor * min(1.0, n / 2000)), round(rate * n))


@dataclass(frozen=True)
class Plan:
    """Counts of every planted kind and the sizes of the groups made of new accounts."""

    device_rings: int
    hijacked_rings: int
    self_dealing: int
    multi_account: int
    cycles: int
    defaulted: int
    concentrated: int
    households: int
    hub_ips: int
    offices: int
    flash_sales: int
    wholesale: int
    loyal_clubs: int
    ring_buyers: IntArray = field(repr=False)
    ring_sellers: IntArray = field(repr=False)
    hijacked_buyers: IntArray = field(repr=False)
    hijacked_sellers: IntArray = field(repr=False)
    puppets: IntArray = field(repr=False)
    multi_sizes: IntArray = field(repr=False)
    multi_shops: npt.NDArray[np.bool_] = field(repr=False)
    cycle_lengths: IntArray = field(repr=False)
    defaulted_links: IntArray = field(repr=False)

    @classmethod
    def draw(cls, rng: np.random.Generator, cfg: SynthConfig) -> Plan:
        """Counts from ``cfg.accounts`` and group sizes drawn from ``rng``."""
        n = cfg.accounts
        rings = _count(n, 3, 0.0004)
        hijacked = _count(n, 2, 0.0003)
        multi = _count(n, 5, 0.003)
        cycles = _count(n, 4, 0.002)
        defaulted = _count(n, 3, 0.0015)
        self_dealing = _count(n, 5, 0.0025)
        # Two ring sellers at least: a one-shop "ring" is a star, the same shape as any shop
        # and its customers, that no dense-block detector can tell apart (lockstep timing can).
        # Rings grow with the market: 10-14 buyers and 2-4 sellers at 2,000 accounts; 10-60
        # buyers from 25,000 on and 2-5 sellers from 10,000 on.
        ring_hi = int(np.clip(10 + n // 500, 14, 60))
        hijack_hi = int(np.clip(8 + n // 400, 10, 30))
        return cls(
            device_rings=rings,
            hijacked_rings=hijacked,
            self_dealing=self_dealing,
            multi_account=multi,
            cycles=cycles,
            defaulted=defaulted,
            concentrated=_count(n, 4, 0.002),
            households=max(2, round(0.025 * n)),
            hub_ips=_count(n, 2, 0.0001),
            offices=_count(n, 1, 0.00004),
            flash_sales=_count(n, 1, 0.00004),
            wholesale=_count(n, 2, 0.0002),
            loyal_clubs=_count(n, 2, 0.0002),
            ring_buyers=rng.integers(10, ring_hi + 1, rings),
            ring_sellers=rng.integers(2, 5 if n < 10_000 else 6, rings),
            hijacked_buyers=rng.integers(8, hijack_hi + 1, hijacked),
            hijacked_sellers=rng.integers(2, 4, hijacked),
            puppets=rng.integers(2, 5, self_dealing),
            multi_sizes=rng.choice([2, 3, 4, 5, 6], multi, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
            multi_shops=rng.random(multi) < 0.35,
            cycle_lengths=rng.integers(3, 7, cycles),
            defaulted_links=rng.integers(1, 4, defaulted),
        )

    @property
    def new_fraud_accounts(self) -> int:
        """Accounts the planted fraud creates (hijacked buyers are taken from honest ones)."""
        return int(
            self.ring_buyers.sum()
            + self.ring_sellers.sum()
            + self.hijacked_sellers.sum()
            + (self.puppets + 1).sum()
            + self.multi_sizes.sum()
            + self.cycle_lengths.sum()
            + (self.defaulted_links + 1).sum()
            + 2 * self.concentrated
        )

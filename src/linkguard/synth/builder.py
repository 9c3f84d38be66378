"""The generator's working state: per-account arrays, order chunks and planted-truth records.

Accounts are integer indices ``0 .. accounts-1`` while the market is built, handed out in a
random order; they get random string ids only when the tables are assembled, so nothing in the
files lines a planted group up. Every planting step appends orders as one vectorised
:class:`OrderChunk`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from linkguard.synth.identifiers import IdentifierBook, ValueFactory
from linkguard.synth.plan import DAY, HOUR, Plan, SynthConfig
from linkguard.synth.vocab import (
    FRAUD_TYPES,
    HONEST_STRUCTURES,
    HOUR_WEIGHTS,
    ORDER_LABELS,
    REGION_WEIGHTS,
    REGIONS,
    SELLER_LABELS,
    bit,
)

__all__ = ["NOT_SET", "MarketBuilder", "OrderChunk", "Ring", "Style"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: A creation time not fixed by the planting: derived from the account's first activity.
NOT_SET = np.iinfo(np.int64).min
_UTC_OFFSETS = np.array([r.utc_offset * HOUR for r in REGIONS], dtype=np.int64)
_HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


class Style:
    """How an order is confirmed and rated (see :mod:`linkguard.synth.orders`)."""

    RETAIL = 0  #: ordinary shopping: some cancel or refund, about half get rated
    PRAISE = 1  #: fake reputation: confirmed fast, nearly always five stars
    BULK = 2  #: trade between businesses: confirmed, rarely rated


@dataclass(frozen=True)
class OrderChunk:
    """Orders appended by one planting step (all arrays of one length)."""

    buyer: IntArray
    seller: IntArray
    t: IntArray
    cents: IntArray
    label: npt.NDArray[np.int8]
    style: npt.NDArray[np.int8]


@dataclass(frozen=True)
class Ring:
    """A planted ring for the truth files: its kind, members and each member's role."""

    kind: str
    members: IntArray
    roles: list[str]


@dataclass
class MarketBuilder:
    """Mutable state shared by the planting modules; see the module docstring."""

    cfg: SynthConfig
    plan: Plan
    rng: np.random.Generator
    n: int = 0
    created: IntArray = field(init=False)
    created_hint: IntArray = field(init=False)
    active_from: IntArray = field(init=False)
    active_to: IntArray = field(init=False)
    region: npt.NDArray[np.int8] = field(init=False)
    status: npt.NDArray[np.int8] = field(init=False)
    shop: BoolArray = field(init=False)
    fraud: npt.NDArray[np.uint16] = field(init=False)
    structure: npt.NDArray[np.uint16] = field(init=False)
    owner: npt.NDArray[np.int32] = field(init=False)
    household: npt.NDArray[np.int32] = field(init=False)
    ring: npt.NDArray[np.int32] = field(init=False)
    cycle: npt.NDArray[np.int32] = field(init=False)
    self_dealer: BoolArray = field(init=False)
    popularity: FloatArray = field(init=False)
    price: FloatArray = field(init=False)
    bad_shop: BoolArray = field(init=False)
    activity: FloatArray = field(init=False)
    shop_label: npt.NDArray[np.int8] = field(init=False)
    ids: IdentifierBook = field(init=False)
    chunks: list[OrderChunk] = field(default_factory=list)
    rings: list[Ring] = field(default_factory=list)
    #: Each cycle's members in position order (position 0 pays position 1 first).
    cycles: list[IntArray] = field(default_factory=list)
    planted_loans: list[tuple[int, int]] = field(default_factory=list)
    n_owners: int = 0
    n_households: int = 0
    _order: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        size = self.cfg.accounts
        self.created = np.full(size, NOT_SET, dtype=np.int64)
        self.created_hint = np.full(size, NOT_SET, dtype=np.int64)
        self.active_from = np.full(size, self.start, dtype=np.int64)
        self.active_to = np.full(size, self.end, dtype=np.int64)
        self.region = self.rng.choice(len(REGIONS), size, p=REGION_WEIGHTS).astype(np.int8)
        self.status = np.zeros(size, dtype=np.int8)
        self.shop = np.zeros(size, dtype=np.bool_)
        self.fraud = np.zeros(size, dtype=np.uint16)
        self.structure = np.zeros(size, dtype=np.uint16)
        self.owner = np.full(size, -1, dtype=np.int32)
        self.household = np.full(size, -1, dtype=np.int32)
        self.ring = np.full(size, -1, dtype=np.int32)
        self.cycle = np.full(size, -1, dtype=np.int32)
        self.self_dealer = np.zeros(size, dtype=np.bool_)
        self.popularity = np.zeros(size)
        self.price = np.zeros(size)
        self.bad_shop = np.zeros(size, dtype=np.bool_)
        self.activity = np.zeros(size)
        self.shop_label = np.zeros(size, dtype=np.int8)
        self.ids = IdentifierBook(size, ValueFactory(self.rng))
        # Accounts are handed out in random order, so nothing derived from an index (ids,
        # identifier values) lines planted groups up.
        self._order = self.rng.permutation(size).astype(np.int64)

    # --- time -----------------------------------------------------------------------------

    @property
    def start(self) -> int:
        return self.cfg.start_s

    @property
    def end(self) -> int:
        return self.cfg.end_s

    def times(self, lo: npt.ArrayLike, hi: npt.ArrayLike, who: npt.ArrayLike) -> IntArray:
        """Random times in ``[lo, hi)`` that follow the daily rhythm in ``who``'s time zone.

        A uniform time is drawn first; its local day keeps and its time of day is redrawn
        from :data:`~linkguard.synth.vocab.HOUR_WEIGHTS`. Where that falls outside the bounds
        (windows shorter than a day) the uniform time stays.
        """
        lo_a = np.asarray(lo, dtype=np.int64)
        hi_a = np.asarray(hi, dtype=np.int64)
        who_a = np.asarray(who, dtype=np.int64)
        n = max(lo_a.size, hi_a.size, who_a.size)
        lo_a, hi_a = np.broadcast_to(lo_a, n), np.broadcast_to(hi_a, n)
        uniform = lo_a + (self.rng.random(n) * (hi_a - lo_a)).astype(np.int64)
        offset = _UTC_OFFSETS[self.region[np.broadcast_to(who_a, n)]]
        day = (uniform + offset) // DAY * DAY
        clock = self.rng.choice(24, n, p=_HOUR_P) * HOUR + self.rng.integers(0, HOUR, n)
        t = day + clock - offset
        return np.where((t >= lo_a) & (t < hi_a), t, uniform)

    # --- accounts -------------------------------------------------------------------------

    def allocate(self, count: int) -> IntArray:
        """The next ``count`` unused account indices."""
        if self.n + count > self.cfg.accounts:
            raise RuntimeError("planted groups need more accounts than the market has")
        out = self._order[self.n : self.n + count]
        self.n += count
        return out

    def mark_fraud(self, accounts: npt.ArrayLike, kind: str) -> None:
        self.fraud[np.asarray(accounts, dtype=np.int64)] |= np.uint16(bit(FRAUD_TYPES, kind))

    def mark_structure(
        self, accounts: npt.ArrayLike, kind: str, shops: npt.ArrayLike | None = None
    ) -> None:
        """Record an honest structure; ``shops`` are the shops it is about (their label)."""
        self.structure[np.asarray(accounts, dtype=np.int64)] |= np.uint16(
            bit(HONEST_STRUCTURES, kind)
        )
        if shops is not None:
            self.shop_label[np.asarray(shops, dtype=np.int64)] = SELLER_LABELS.index(kind)

    def new_owner(self, members: IntArray) -> None:
        """Record that one party runs all ``members``."""
        self.owner[members] = self.n_owners
        self.n_owners += 1

    def same_group(self, a: IntArray, b: IntArray) -> npt.NDArray[np.bool_]:
        """Pairs in one planted group (ring, owner or cycle): their trade is planted, never
        chance."""
        out = np.zeros(len(a), dtype=np.bool_)
        for group in (self.ring, self.owner, self.cycle):
            out |= (group[a] >= 0) & (group[a] == group[b])
        return out

    def make_shops(self, shops: IntArray, popularity: FloatArray | float) -> None:
        """Open shops: price level (lognormal, in cents), quality and retail popularity."""
        self.shop[shops] = True
        self.popularity[shops] = popularity
        self.price[shops] = np.clip(self.rng.lognormal(np.log(2500), 0.85, len(shops)), 300, 5e5)
        self.bad_shop[shops] = self.rng.random(len(shops)) < 0.1

    def honest(self, accounts: IntArray) -> IntArray:
        """The accounts in ``accounts`` with no planted fraud."""
        return np.asarray(accounts[self.fraud[accounts] == 0], dtype=np.int64)

    def old_hint(self, count: int) -> IntArray:
        """Creation times of established accounts: months to years before the history."""
        age = np.minimum(self.rng.lognormal(np.log(420), 0.8, count), 8 * 365) * DAY
        return self.start - 5 * DAY - age.astype(np.int64)

    # --- orders and identifiers -------------------------------------------------------------

    def add_orders(
        self,
        buyer: npt.ArrayLike,
        seller: npt.ArrayLike,
        t: npt.ArrayLike,
        cents: npt.ArrayLike,
        label: str = "",
        style: int = Style.RETAIL,
    ) -> None:
        """Append orders (``label`` from :data:`~linkguard.synth.vocab.ORDER_LABELS`)."""
        b = np.asarray(buyer, dtype=np.int64)
        n = len(b)
        self.chunks.append(
            OrderChunk(
                buyer=b,
                seller=np.broadcast_to(np.asarray(seller, dtype=np.int64), n).copy(),
                t=np.broadcast_to(np.asarray(t, dtype=np.int64), n).copy(),
                cents=np.maximum(np.broadcast_to(np.asarray(cents, dtype=np.int64), n), 1).copy(),
                label=np.full(n, ORDER_LABELS.index(label), dtype=np.int8),
                style=np.full(n, style, dtype=np.int8),
            )
        )

    @property
    def n_orders(self) -> int:
        return sum(len(c.buyer) for c in self.chunks)

    def prices(self, shops: IntArray, spread: float = 0.45) -> IntArray:
        """Order amounts (cents) at ``shops``: the shop's price level times basket noise.

        Most prices end in .99, .95 or .00, as shop prices do.
        """
        n = len(shops)
        qty = self.rng.choice([1, 2, 3], n, p=[0.8, 0.15, 0.05])
        raw = self.price[shops] * self.rng.lognormal(0.0, spread, n) * qty
        dollars = np.maximum(np.round(raw / 100), 1).astype(np.int64)
        ending = self.rng.choice([-1, -5, 0, 1], n, p=[0.5, 0.1, 0.2, 0.2])
        cents = np.where(ending == 1, np.maximum(raw.astype(np.int64), 50), dollars * 100 + ending)
        return np.asarray(cents, dtype=np.int64)

    def give_identifiers(self, accounts: IntArray) -> None:
        """The identifiers every account has: email, phone, device, IP and address; a card
        for buyers (and some shops), a payout account and an id number for shops; some have a
        second device, a mobile-carrier IP or a second card."""
        rng, ids, n = self.rng, self.ids, len(accounts)
        for kind in ("email", "phone", "device", "ip", "address"):
            ids.has[kind][accounts] = True
        shop = self.shop[accounts]
        ids.has["card"][accounts] = ~shop | (rng.random(n) < 0.4)
        ids.has["payment_account"][accounts] = shop
        ids.has["id_number"][accounts] = shop
        for kind, share in (("device", 0.3), ("ip", 0.35), ("card", 0.1)):
            more = accounts[(rng.random(n) < share) & ids.has[kind][accounts]]
            ids.add_rows(kind, more, ids.new_values(kind, len(more)))

    def share(self, kind: str, members: IntArray, head: int, as_row: bool = False) -> None:
        """``members`` use ``head``'s value of ``kind``: replacing their own, or as an extra row."""
        others = members[members != head]
        self.ids.has[kind][head] = True
        if as_row:
            self.ids.add_rows(kind, others, head)
        else:
            self.ids.has[kind][others] = True
            self.ids.point(kind, others, head)

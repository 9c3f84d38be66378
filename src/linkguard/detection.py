"""Run every detector over a market: the in-memory (igraph + compiled peeling) engine.

This is the reference path; other engines (Neo4j) read their graph into a :class:`Market`
and call :func:`detect` so that every engine raises the same flags.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard.detect.bursts import burst_rings
from linkguard.detect.concentration import seller_figures
from linkguard.detect.cycles import CycleResult, circular_trades
from linkguard.detect.farms import farm_rings
from linkguard.detect.linked import LinkedResult, linked_accounts
from linkguard.detect.local_rings import local_rings
from linkguard.detect.lockstep import LockstepResult, lockstep_groups
from linkguard.detect.ring_checks import (
    drop_ordinary_ratings,
    rated_like_everyone,
    trim_sparse_sellers,
)
from linkguard.detect.rings import RingResult, dense_rings, merge_rings
from linkguard.detect.self_dealing import SelfDealingResult, self_dealing
from linkguard.graph import IdentifierValues, TradePairs, identifier_values, trade_pairs
from linkguard.market import Market, epoch_seconds
from linkguard.rules.ruleset import Ruleset
from linkguard.schema import BAD_ACCOUNT_STATUSES

__all__ = ["NOT_REVENUE_STATUSES", "Detection", "StageTimer", "detect"]

#: Orders in these states are not revenue: left out of GMV and concentration.
NOT_REVENUE_STATUSES = ("cancelled", "refunded")

#: Called as ``progress(stage_name)`` when a stage starts.
Progress = Callable[[str], None]


@dataclass
class StageTimer:
    """Wall-clock seconds per named stage."""

    seconds: dict[str, float] = field(default_factory=dict)
    progress: Progress | None = None

    @contextmanager
    def stage(self, name: str, announce: bool = True) -> Iterator[None]:
        """Time the block as stage ``name``; ``announce`` it through ``progress`` first.

        A stage run on a helper thread beside others is timed but not announced (its caller
        announces it when it starts waiting for it), so progress shows one stage at a time.
        """
        if announce and self.progress is not None:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(
                self.seconds.get(name, 0.0) + time.perf_counter() - start, 4
            )


@dataclass(frozen=True)
class Detection:
    """Every detector's result over one market."""

    ts: npt.NDArray[np.int64]
    pairs: TradePairs
    values: IdentifierValues
    linked: LinkedResult
    bad_account: npt.NDArray[np.bool_]
    self_dealing: SelfDealingResult
    rings: RingResult
    lockstep: LockstepResult
    cycles: CycleResult
    #: Per order: left out of adjusted GMV (ring, self-dealing or circular).
    removed_order: npt.NDArray[np.bool_]
    concentration: pd.DataFrame


def bad_accounts(market: Market) -> npt.NDArray[np.bool_]:
    """Accounts frozen, defaulted or blacklisted, or with a defaulted loan."""
    bad = market.accounts["status"].isin(list(BAD_ACCOUNT_STATUSES)).to_numpy()
    loans = market.loans
    if len(loans):
        defaulted = loans["account"].to_numpy()[loans["defaulted"].to_numpy() == 1]
        bad = bad.copy()
        bad[defaulted] = True
    return np.asarray(bad, dtype=np.bool_)


def detect(market: Market, ruleset: Ruleset, timer: StageTimer | None = None) -> Detection:
    """Run the detectors of ``ruleset`` over ``market``."""
    timer = timer or StageTimer()
    o = market.orders
    n = market.n_accounts
    with timer.stage("graph"):
        ts = epoch_seconds(o["created_at"])
        buyer = o["buyer"].to_numpy(dtype=np.int64)
        seller = o["seller"].to_numpy(dtype=np.int64)
        amount = o["amount"].to_numpy(dtype=np.float64)
        pairs = trade_pairs(buyer, seller, amount, ts, o["rating"].to_numpy(dtype=np.float64))
        ids = market.identifiers
        values = identifier_values(
            ids["account"].to_numpy(), ids["kind"], ids["value_hash"]
        )
        rating = o["rating"].to_numpy(dtype=np.float64)
        created = epoch_seconds(market.accounts["created_at"])

    def find_rings() -> RingResult:
        with timer.stage("rings", announce=False):
            structural = trim_sparse_sellers(dense_rings(pairs, n, params=ruleset.rings).rings,
                                             pairs, n, ruleset.rings)
            temporal = trim_sparse_sellers(burst_rings(buyer, seller, ts, n, ruleset.rings),
                                           pairs, n, ruleset.rings, min_hits=1)
            peeled = drop_ordinary_ratings(structural + temporal, buyer, seller, rating, n)
            # Rings the peels cannot reach: farms around one to three shops, seen through
            # their linked buyers, and a handful of shops sharing bursts of buyers.
            farms = farm_rings(pairs, values, buyer, ts, rating, created, n, ruleset.farms)
            local = local_rings(pairs, buyer, seller, ts, rating, n, ruleset.local_rings,
                                created)
            return merge_rings([peeled, farms, local], pairs, n)

    # Rings, the longest stage, run on a second thread beside linked accounts, lockstep and
    # cycles: the detectors share nothing but read-only arrays, and most of their time is in
    # numpy, scipy and compiled peeling, which let go of the interpreter lock.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkguard-rings") as pool:
        ring_search = pool.submit(find_rings)
        with timer.stage("linked"):
            linked = linked_accounts(values, n, ruleset.linked)
            bad = bad_accounts(market)
            dealing = self_dealing(pairs, linked.cluster_of, values)
        with timer.stage("lockstep"):
            lockstep = lockstep_groups(buyer, seller, ts, ruleset.lockstep)
            # Co-workers who order lunch together rate like everyone; bought orders do not.
            ordinary = rated_like_everyone([(g.buyers, g.sellers) for g in lockstep.groups],
                                           buyer, seller, rating, n)
            lockstep = dataclasses.replace(
                lockstep,
                groups=[g for g, o in zip(lockstep.groups, ordinary, strict=True) if not o],
            )
        with timer.stage("cycles"):
            cycles = circular_trades(buyer, seller, amount, ts, ruleset.cycles)
        with timer.stage("concentration"):
            # Everything but the ring-dependent columns, while the ring search runs.
            op = pairs.order_pair
            counted = ~o["status"].isin(NOT_REVENUE_STATUSES).to_numpy()
            cluster = linked.cluster_of
            linked_order = (cluster[buyer] >= 0) & (cluster[buyer] == cluster[seller])
            figures = seller_figures(seller[counted], buyer[counted], amount[counted],
                                     linked=linked_order[counted])
        if timer.progress is not None:
            timer.progress("rings")
        rings = ring_search.result()
    with timer.stage("concentration", announce=False):
        in_ring = rings.pair_ring[op] >= 0
        removed = in_ring | dealing.pair_mask[op] | cycles.order_mask(len(o))
        conc = figures.finish(in_ring=in_ring[counted], removed=removed[counted])
    return Detection(ts, pairs, values, linked, bad, dealing, rings, lockstep, cycles,
                     removed, conc)

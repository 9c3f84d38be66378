"""Run every detector over a market: the in-memory (igraph + compiled peeling) engine.

This is the reference path; other engines (Neo4j) read their graph into a :class:`Market`
and call :func:`detect` so that every engine raises the same flags. The result type,
:class:`~linkguard.detect.results.Detection`, lives with the detectors; the stage timer in
:mod:`linkguard.pipeline.timing`.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from linkguard.detect.bursts import burst_rings
from linkguard.detect.concentration import seller_figures
from linkguard.detect.cycles import circular_trades
from linkguard.detect.farms import farm_rings
from linkguard.detect.graph import identifier_values, trade_pairs
from linkguard.detect.linked import linked_accounts
from linkguard.detect.local_rings import local_rings
from linkguard.detect.lockstep import lockstep_groups
from linkguard.detect.results import Detection
from linkguard.detect.ring_checks import (
    drop_ordinary_ratings,
    rated_like_everyone,
    trim_sparse_sellers,
)
from linkguard.detect.rings import RingResult, dense_rings, merge_rings
from linkguard.detect.self_dealing import self_dealing
from linkguard.market import Market, epoch_seconds
from linkguard.pipeline.timing import StageTimer
from linkguard.rules.ruleset import Ruleset
from linkguard.schema import BAD_ACCOUNT_STATUSES

__all__ = ["NOT_REVENUE_STATUSES", "detect"]

#: Orders in these states are not revenue: left out of GMV and concentration.
NOT_REVENUE_STATUSES = ("cancelled", "refunded")


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
        values = identifier_values(ids["account"].to_numpy(), ids["kind"], ids["value_hash"])
        rating = o["rating"].to_numpy(dtype=np.float64)
        created = epoch_seconds(market.accounts["created_at"])

    def find_rings() -> RingResult:
        with timer.stage("rings", announce=False):
            structural = trim_sparse_sellers(
                dense_rings(pairs, n, params=ruleset.rings).rings, pairs, n, ruleset.rings
            )
            temporal = trim_sparse_sellers(
                burst_rings(buyer, seller, ts, n, ruleset.rings),
                pairs,
                n,
                ruleset.rings,
                min_hits=1,
            )
            peeled = drop_ordinary_ratings(structural + temporal, buyer, seller, rating, n)
            # Rings the peels cannot reach: farms around one to three shops, seen through
            # their linked buyers, and a handful of shops sharing bursts of buyers.
            farms = farm_rings(pairs, values, buyer, ts, rating, created, n, ruleset.farms)
            local = local_rings(pairs, buyer, seller, ts, rating, n, ruleset.local_rings, created)
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
            ordinary = rated_like_everyone(
                [(g.buyers, g.sellers) for g in lockstep.groups], buyer, seller, rating, n
            )
            lockstep = dataclasses.replace(
                lockstep,
                groups=[g for g, o in zip(lockstep.groups, ordinary, strict=True) if not o],
            )
        with timer.stage("cycles"):
            cycles = circular_trades(
                buyer, seller, amount, ts, ruleset.cycles, granularity=lockstep.granularity
            )
        with timer.stage("concentration"):
            # Everything but the ring-dependent columns, while the ring search runs.
            op = pairs.order_pair
            counted = ~o["status"].isin(NOT_REVENUE_STATUSES).to_numpy()
            cluster = linked.cluster_of
            linked_order = (cluster[buyer] >= 0) & (cluster[buyer] == cluster[seller])
            figures = seller_figures(
                seller[counted], buyer[counted], amount[counted], linked=linked_order[counted]
            )
        if timer.progress is not None:
            timer.progress("rings")
        rings = ring_search.result()
    with timer.stage("concentration", announce=False):
        in_ring = rings.pair_ring[op] >= 0
        removed = in_ring | dealing.pair_mask[op] | cycles.order_mask(len(o))
        conc = figures.finish(in_ring=in_ring[counted], removed=removed[counted])
    return Detection(
        ts, pairs, values, linked, bad, dealing, rings, lockstep, cycles, removed, conc
    )

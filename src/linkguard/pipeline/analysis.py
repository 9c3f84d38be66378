"""The main job: ingest, detect, score, and write a snapshot.

Data flows one way (read -> validate -> build graph -> detect -> score rules -> write); the
CLI and the engines (:mod:`linkguard.engines`, which picks one; the Neo4j engine, which hands
the flow the market it read back) are doors onto :func:`analyze_market` and
:func:`run_analysis`. Nothing here imports a door.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkguard import __version__
from linkguard.detect.results import Detection
from linkguard.market import Market
from linkguard.pipeline.detection import NOT_REVENUE_STATUSES, detect
from linkguard.pipeline.outdir import output_folder
from linkguard.pipeline.snapshot import Snapshot, write_snapshot
from linkguard.pipeline.timing import StageTimer
from linkguard.rules.findings import collect_findings, group_tables
from linkguard.rules.flags import apply_rules
from linkguard.rules.ruleset import FLAG_CODES, Ruleset, load_ruleset

__all__ = ["MarketReadBack", "activity_table", "analyze_market", "run_analysis"]

#: Puts a market into another engine's store and returns the market read back from it, which
#: the detectors then see (``analyze --engine neo4j``; :mod:`linkguard.engines` passes it).
MarketReadBack = Callable[[Market, StageTimer], Market]


def analyze_market(
    market: Market, ruleset: Ruleset, timer: StageTimer | None = None, engine: str = "igraph"
) -> Snapshot:
    """Detect, score and assemble a snapshot (nothing is written)."""
    timer = timer or StageTimer()
    det = detect(market, ruleset, timer)
    with timer.stage("flags"):
        groups = group_tables(market, det)
        flags, accounts = apply_rules(collect_findings(market, det, groups, ruleset), ruleset)
        cluster_of = groups.account_cluster()
        accounts["cluster_id"] = accounts["account_id"].map(cluster_of)
        conc = det.concentration.reset_index()
        conc.insert(0, "seller_id", market.account_ids[conc.pop("seller").to_numpy()].astype(str))
        conc = conc.sort_values("seller_id").reset_index(drop=True)
    created = datetime.now(UTC)
    digest = hashlib.blake2b(
        pd.util.hash_pandas_object(flags[["account_id", "code", "score"]], index=False)
        .to_numpy()
        .tobytes()
        + ruleset.version.encode(),
        digest_size=4,
    ).hexdigest()
    summary: dict[str, Any] = {
        "snapshot_id": f"{created:%Y%m%dT%H%M%SZ}-{digest}",
        "ruleset_version": ruleset.version,
        "linkguard_version": __version__,
        "engine": engine,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "inputs": {
            name: {
                "file": rep.file,
                "rows_in": rep.rows_in,
                "rows_loaded": rep.rows_loaded,
                "rows_quarantined": rep.rows_quarantined,
                "by_reason": rep.by_reason,
            }
            for name, rep in market.reports.items()
        },
        "accounts": market.n_accounts,
        "flags": {code: int((flags["code"] == code).sum()) for code in FLAG_CODES},
        "flagged_accounts": len(accounts),
        "risk_levels": accounts["risk_level"].value_counts().to_dict(),
        "clusters": det.linked.n_clusters,
        "rings": len(det.rings.rings),
        "lockstep_groups": len(det.lockstep.groups),
        "cycles": len(det.cycles.cycles),
        "time_granularity_seconds": det.lockstep.granularity,
        "notes": _coarse_time_notes(det, ruleset),
        "stage_seconds": timer.seconds,
    }
    return Snapshot(
        extra={"adjustments": _adjustments(market, det), "activity": activity_table(market)},
        flags=flags,
        accounts=accounts,
        clusters=groups.clusters(),
        rings=groups.rings(),
        concentration=conc,
        summary=summary,
        quarantine=dict(market.quarantine),
    )


def _coarse_time_notes(det: Detection, ruleset: Ruleset) -> list[str]:
    """What coarse timestamps kept the detectors from looking for (empty when nothing)."""
    notes = list(det.lockstep.notes)
    window = ruleset.rings.burst_window_seconds
    if len(det.ts) and det.lockstep.granularity > window:
        notes.append(
            f"the burst view of rings was not built: order times are coarser than "
            f"its {window:,}-second bucket"
        )
    return notes


def activity_table(market: Market) -> pd.DataFrame:
    """Every account of the market with the times of its first and last order (NaT: none).

    The flag API answers ``known`` from it: an id not in this table was never seen in the
    analysed market, which is not the same as an account seen and found clean.
    """
    o = market.orders
    n = market.n_accounts
    codes = np.concatenate([o["buyer"].to_numpy(np.int64), o["seller"].to_numpy(np.int64)])
    times = o["created_at"].to_numpy("datetime64[us]").view(np.int64)
    times = np.concatenate([times, times])
    valid = times != np.iinfo(np.int64).min  # NaT
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, codes[valid], times[valid])
    np.maximum.at(last, codes[valid], times[valid])
    seen = first != np.iinfo(np.int64).max
    nat = np.datetime64("NaT", "us")
    return pd.DataFrame(
        {
            "account_id": market.account_ids.astype(str),
            "first_seen": pd.to_datetime(
                np.where(seen, first.view("datetime64[us]"), nat), utc=True
            ),
            "last_seen": pd.to_datetime(np.where(seen, last.view("datetime64[us]"), nat), utc=True),
        }
    )


def _adjustments(market: Market, det: Detection) -> pd.DataFrame:
    """The orders left out of ``adjusted_gmv``, each with why (evidence for investigators)."""
    o = market.orders
    op = det.pairs.order_pair
    counted = ~o["status"].isin(NOT_REVENUE_STATUSES).to_numpy()
    reasons = [
        ("ring", det.rings.pair_ring[op] >= 0),
        ("self_dealing", det.self_dealing.pair_mask[op]),
        ("circular", det.cycles.order_mask(len(o))),
    ]
    sel = np.flatnonzero(det.removed_order & counted)
    reason = np.full(len(sel), "", dtype=object)
    for name, mask in reversed(reasons):  # the first reason in the list wins
        reason[mask[sel]] = name
    return pd.DataFrame(
        {
            # Only the selected rows are converted: a whole text column costs far more.
            "order_id": o["order_id"].iloc[sel].to_numpy().astype(str),
            "seller_id": market.account_ids[o["seller"].to_numpy()[sel]].astype(str),
            "buyer_id": market.account_ids[o["buyer"].to_numpy()[sel]].astype(str),
            "amount": o["amount"].to_numpy()[sel],
            "reason": reason.astype(str),
        }
    )


def run_analysis(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    ruleset_path: str | Path | None = None,
    timer: StageTimer | None = None,
    market: Market | None = None,
    engine: str = "igraph",
    read_back: MarketReadBack | None = None,
    force: bool = False,
    as_of: pd.Timestamp | None = None,
) -> Snapshot:
    """Read ``data_dir`` (unless ``market`` is given), analyse it and write ``out_dir``.

    ``out_dir`` is checked and locked before anything is read (:mod:`linkguard.pipeline.outdir`):
    only a missing or empty folder or a previous snapshot is replaced (``force``: any folder
    that does not hold or lie inside ``data_dir``), and a second run on it stops with exit
    code 2.

    ``engine`` is the name ``summary.json`` records. With ``read_back`` (the Neo4j engine's,
    through :func:`linkguard.engines.analyze_with_engine`) the validated market goes into that
    engine's store and detection runs on the market read back from it; quarantine and input
    counts still come from ingest. With ``as_of`` only what was known before it is analysed
    (:func:`linkguard.pipeline.pointintime.market_as_of`) and ``summary.json`` records
    ``as_of``.
    """
    from linkguard.io import read_market

    timer = timer or StageTimer()
    ruleset = load_ruleset(ruleset_path)
    inputs = [data_dir] if market is None else []
    with output_folder(out_dir, inputs=inputs, force=force) as target:
        if market is None:
            with timer.stage("ingest"):
                market = read_market(data_dir, max_amount=ruleset.ingest.max_amount)
        if as_of is not None:
            from linkguard.pipeline.pointintime import market_as_of

            market = market_as_of(market, as_of)
        if read_back is not None:
            market = read_back(market, timer)
        snapshot = analyze_market(market, ruleset, timer, engine=engine)
        if as_of is not None:
            snapshot.summary["as_of"] = as_of.isoformat().replace("+00:00", "Z")
        with timer.stage("write"):
            write_snapshot(snapshot, target, locked=True)
    snapshot.summary["stage_seconds"] = timer.seconds
    return snapshot

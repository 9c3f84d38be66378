"""The main job: ingest, detect, score, and write a snapshot.

Data flows one way (read -> validate -> build graph -> detect -> score rules -> write); the
CLI and the Neo4j engine are doors onto :func:`analyze_market` and :func:`run_analysis`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkguard import __version__
from linkguard.detection import NOT_REVENUE_STATUSES, Detection, StageTimer, detect
from linkguard.errors import InputError
from linkguard.market import Market
from linkguard.rules.findings import collect_findings, group_tables
from linkguard.rules.flags import apply_rules
from linkguard.rules.ruleset import FLAG_CODES, Ruleset, load_ruleset
from linkguard.snapshot import Snapshot, write_snapshot

__all__ = ["ENGINES", "analyze_market", "run_analysis"]

#: Where the graph lives while detectors run: in memory, or in a Neo4j database.
ENGINES = ("igraph", "neo4j", "spark")


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
        .to_numpy().tobytes() + ruleset.version.encode(),
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
                "file": rep.file, "rows_in": rep.rows_in, "rows_loaded": rep.rows_loaded,
                "rows_quarantined": rep.rows_quarantined, "by_reason": rep.by_reason,
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
        "stage_seconds": timer.seconds,
    }
    return Snapshot(
        extra={"adjustments": _adjustments(market, det)},
        flags=flags,
        accounts=accounts,
        clusters=groups.clusters(),
        rings=groups.rings(),
        concentration=conc,
        summary=summary,
        quarantine=dict(market.quarantine),
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
    reason = np.full(len(o), "", dtype=object)
    for name, mask in reversed(reasons):  # the first reason in the list wins
        reason[mask] = name
    sel = det.removed_order & counted
    return pd.DataFrame({
        "order_id": o["order_id"].to_numpy()[sel].astype(str),
        "seller_id": market.account_ids[o["seller"].to_numpy()[sel]].astype(str),
        "buyer_id": market.account_ids[o["buyer"].to_numpy()[sel]].astype(str),
        "amount": o["amount"].to_numpy()[sel],
        "reason": reason[sel].astype(str),
    })


def run_analysis(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    ruleset_path: str | Path | None = None,
    timer: StageTimer | None = None,
    market: Market | None = None,
    engine: str = "igraph",
) -> Snapshot:
    """Read ``data_dir`` (unless ``market`` is given), analyse it and write ``out_dir``.

    With ``engine="neo4j"`` the validated tables replace linkguard's graph in the database at
    ``NEO4J_URI`` and detection runs on the graph read back from it; quarantine and input
    counts still come from ingest.
    """
    from linkguard.io import read_market

    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "spark" and market is None:
        from linkguard.spark.engine import run_spark_analysis

        return run_spark_analysis(data_dir, out_dir, ruleset_path=ruleset_path, timer=timer)
    timer = timer or StageTimer()
    ruleset = load_ruleset(ruleset_path)
    if market is None:
        with timer.stage("ingest"):
            market = read_market(data_dir)
    if engine == "neo4j":
        from linkguard.neo4j.engine import analyze_with_neo4j

        snapshot = analyze_with_neo4j(market, ruleset, timer)
    else:
        snapshot = analyze_market(market, ruleset, timer, engine=engine)
    with timer.stage("write"):
        write_snapshot(snapshot, out_dir)
    snapshot.summary["stage_seconds"] = timer.seconds
    return snapshot

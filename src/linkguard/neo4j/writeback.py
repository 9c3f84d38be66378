"""Writing a snapshot's findings back onto the graph, for investigators in Neo4j Browser.

What a write-back adds (every value from the snapshot, every statement parameterised)::

    (:Account:Flagged:Decline|Review|Info {risk_level, risk_score, reason_codes, flags,
                                           cluster_id, snapshot_id})
    (:Account {hhi, top1_share, top5_share, gmv, adjusted_gmv, sales_orders, sales_buyers,
               linked_buyer_share, ring_buyer_share, snapshot_id})          -- every seller
    (:Account)-[:MEMBER_OF {role: 'member'}]->(:Cluster {id, size, identifier_kinds})
    (:Account)-[:MEMBER_OF {role: 'buyer'|'seller'}]->(:Ring {id, density, score, size})

``flags`` is JSON text: the account's flags as ``[{code, severity, score, reason, evidence}]``.
The previous snapshot's findings are removed first, so writing a snapshot twice, or a newer one
over an older one, leaves exactly that snapshot's findings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd

from linkguard.config import Neo4jSettings
from linkguard.neo4j.driver import GraphRunner, connect
from linkguard.neo4j.queries import load_query
from linkguard.pipeline.snapshot import Snapshot

__all__ = ["WritebackReport", "finding_rows", "write_findings"]

#: ``progress(step, rows_done, rows_total)`` after every batch.
WritebackProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class WritebackReport:
    """What a write-back wrote; ``missing_accounts`` counts snapshot accounts not in the graph."""

    snapshot_id: str
    accounts: int
    flagged: int
    sellers: int
    clusters: int
    rings: int
    memberships: int
    missing_accounts: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _none_if_missing(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _strings(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v) for v in value]


def _flags_json(flags: pd.DataFrame) -> dict[str, str]:
    """Per account id, its flags as JSON text (evidence parsed, so it nests as JSON)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for account, code, severity, score, reason, evidence in zip(
        flags["account_id"].astype(str),
        flags["code"].astype(str),
        flags["severity"].astype(str),
        flags["score"].astype(float),
        flags["reason"].astype(str),
        flags["evidence"].astype(str),
        strict=True,
    ):
        out.setdefault(account, []).append(
            {
                "code": code,
                "severity": severity,
                "score": score,
                "reason": reason,
                "evidence": orjson.loads(evidence) if evidence else {},
            }
        )
    return {account: orjson.dumps(items).decode() for account, items in out.items()}


def finding_rows(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """The write-back rows of ``snapshot`` per step: accounts, concentration, clusters, rings."""
    flags = _flags_json(snapshot.flags)
    acc = snapshot.accounts
    accounts = [
        {
            "id": str(account),
            "risk_level": str(level),
            "risk_score": float(score),
            "reason_codes": _strings(codes),
            "flags": flags.get(str(account), "[]"),
            "cluster_id": _none_if_missing(cluster),
        }
        for account, level, score, codes, cluster in zip(
            acc["account_id"],
            acc["risk_level"],
            acc["risk_score"],
            acc["reason_codes"],
            acc["cluster_id"],
            strict=True,
        )
    ]
    conc = snapshot.concentration
    concentration = [
        {
            "id": str(row["seller_id"]),
            "hhi": float(row["hhi"]),
            "top1_share": float(row["top1_share"]),
            "top5_share": float(row["top5_share"]),
            "gmv": float(row["gmv"]),
            "adjusted_gmv": float(row["adjusted_gmv"]),
            "orders": int(row["orders"]),
            "buyers": int(row["buyers"]),
            "linked_buyer_share": float(row["linked_buyer_share"]),
            "ring_buyer_share": float(row["ring_buyer_share"]),
        }
        for row in conc.to_dict("records")
    ]
    clusters = [
        {
            "id": str(cluster_id),
            "size": int(part["size"].iloc[0]),
            "identifier_kinds": _strings(part["identifier_kinds"].iloc[0]),
            "members": sorted(part["account_id"].astype(str)),
        }
        for cluster_id, part in snapshot.clusters.groupby("cluster_id", sort=True)
    ]
    rings = [
        {
            "id": str(ring_id),
            "density": float(part["density"].iloc[0]),
            "score": float(part["ring_score"].iloc[0]),
            "size": int(part["account_id"].nunique()),
            "members": [
                {"id": str(a), "role": str(r)}
                for a, r in sorted(zip(part["account_id"], part["role"], strict=True))
            ],
        }
        for ring_id, part in snapshot.rings.groupby("ring_id", sort=True)
    ]
    return {
        "accounts": accounts,
        "concentration": concentration,
        "clusters": clusters,
        "rings": rings,
        "roles": _role_rows(snapshot.flags),
    }


def _role_rows(flags: pd.DataFrame) -> list[dict[str, Any]]:
    """``{id, roles}`` for accounts named in another account's finding: a self-dealer's puppets."""
    roles: dict[str, set[str]] = {}
    dealing = flags[flags["code"] == "SELF_DEALING"]
    for text in dealing["evidence"]:
        try:
            evidence = orjson.loads(text) if isinstance(text, str) else {}
        except orjson.JSONDecodeError:
            continue
        for puppet in evidence.get("puppets") or ():
            roles.setdefault(str(puppet), set()).add("puppet")
    return [{"id": a, "roles": sorted(r)} for a, r in sorted(roles.items())]


def _batches(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _clear(graph: GraphRunner, name: str, limit: int) -> None:
    query = load_query(name)
    while int(graph.write(query, {"limit": limit}, name=name).scalar() or 0):
        pass


def write_findings(
    snapshot: Snapshot,
    settings: Neo4jSettings | None = None,
    *,
    runner: GraphRunner | None = None,
    batch_size: int = 5_000,
    progress: WritebackProgress | None = None,
) -> WritebackReport:
    """Replace the graph's findings with ``snapshot``'s.

    Parameters
    ----------
    snapshot
        An analysis snapshot (from ``analyze_market`` or ``read_snapshot``) of the market
        loaded in the graph.
    settings
        Where the server is (default: the ``NEO4J_*`` environment); unused with ``runner``.
    runner
        An open :class:`~linkguard.neo4j.driver.GraphRunner` to use (and leave open).
    batch_size
        Rows per transaction.
    progress
        Called as ``progress(step, rows_done, rows_total)`` after every batch.

    Returns
    -------
    WritebackReport
        ``missing_accounts`` > 0 means the snapshot is not of the market in the graph.
    """
    started = time.perf_counter()
    snapshot_id = str(snapshot.summary.get("snapshot_id", ""))
    rows = finding_rows(snapshot)
    total = sum(len(r) for r in rows.values())
    own = runner is None
    graph = runner if runner is not None else connect(settings)
    matched = {"accounts": 0, "concentration": 0}
    memberships = 0
    done = 0
    try:
        _clear(graph, "writeback_clear_accounts", 10_000)
        _clear(graph, "writeback_clear_groups", 10_000)
        for step in ("accounts", "concentration", "clusters", "rings", "roles"):
            name = f"writeback_{step}"
            query = load_query(name)
            for batch in _batches(rows[step], batch_size):
                result = graph.write(query, {"rows": batch, "snapshot_id": snapshot_id}, name=name)
                count = int(result.scalar() or 0)
                if step in matched:
                    matched[step] += count
                elif step != "roles":
                    memberships += count
                done += len(batch)
                if progress is not None:
                    progress(step, done, total)
    finally:
        if own:
            graph.close()
    flagged = sum(1 for r in rows["accounts"] if r["risk_level"] != "none")
    missing = (len(rows["accounts"]) - matched["accounts"]) + (
        len(rows["concentration"]) - matched["concentration"]
    )
    return WritebackReport(
        snapshot_id=snapshot_id,
        accounts=len(rows["accounts"]),
        flagged=flagged,
        sellers=len(rows["concentration"]),
        clusters=len(rows["clusters"]),
        rings=len(rows["rings"]),
        memberships=memberships,
        missing_accounts=missing,
        seconds=round(time.perf_counter() - started, 4),
    )

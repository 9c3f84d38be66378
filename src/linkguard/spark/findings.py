"""Findings from the Spark engine's (small, collected) results, worded as the in-memory ones.

Each builder mirrors its twin in :mod:`linkguard.rules.findings`, fact for fact, so that the
ruleset turns them into the same flags; ids are account ids already (Spark never numbers
accounts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from linkguard.detect import group_id
from linkguard.rules.findings import MAX_EVIDENCE_IDS, _kinds_text
from linkguard.rules.flags import Finding
from linkguard.rules.ruleset import Ruleset

__all__ = ["concentration_findings", "cycle_findings", "linked_findings", "self_dealing_findings"]


def _capped(ids: list[str]) -> list[str]:
    return ids[:MAX_EVIDENCE_IDS]


def linked_findings(
    members: list[str],
    kinds: list[str],
    bad: dict[str, str],
    owners: dict[str, dict[str, Any]] | None = None,
) -> tuple[str, list[Finding]]:
    """One cluster: its id and its members' findings; ``bad`` maps bad members to status,
    ``owners`` members of owner groups to their group's facts (:mod:`.owners`)."""
    ids = sorted(members)
    cid = group_id("C", ids)
    base: dict[str, Any] = {
        "cluster_id": cid,
        "size": len(ids),
        "identifier_kinds": list(kinds),
        "kinds": _kinds_text(list(kinds)),
        "members": _capped(ids),
        "lending_parties": 0,
        "exposure": "",
    }
    owners = owners or {}
    bad_words = sorted({s or "defaulted" for s in bad.values()})
    out = []
    for acc in ids:
        facts = {**base, **owners[acc]} if acc in owners else base
        out.append(Finding(acc, "LINKED_ACCOUNTS", facts))
        others = sorted(set(bad) - {acc})
        if others:
            out.append(
                Finding(
                    acc,
                    "LINKED_TO_BAD",
                    {
                        **facts,
                        "n_bad": len(others),
                        "bad_accounts": _capped(others),
                        "bad_statuses": "are " + " or ".join(bad_words)
                        if bad_words != ["active"]
                        else "defaulted on a loan",
                    },
                )
            )
    return cid, out


def self_dealing_findings(rows: Iterable[dict[str, Any]]) -> list[Finding]:
    out = []
    for r in rows:
        puppets = sorted(r["puppets"])
        kinds = tuple(r["kinds"])
        kinds_text = _kinds_text(kinds) if kinds else "owner's linked accounts"
        out.append(
            Finding(
                r["seller_id"],
                "SELF_DEALING",
                {
                    "n_puppets": len(puppets),
                    "puppets": _capped(puppets),
                    "identifier_kinds": list(kinds),
                    "kinds": kinds_text,
                    "self_orders": 0,
                    "self_amount": 0.0,
                    "who": f"{len(puppets)} of its buyers share its {kinds_text}",
                    "orders": int(r["orders"]),
                    "amount": round(float(r["amount"]), 2),
                    "gmv_share": round(float(r["gmv_share"]), 4),
                },
            )
        )
    return out


def cycle_findings(cycles: Iterable[dict[str, Any]]) -> list[Finding]:
    """``cycles``: ``accounts`` (sorted), ``rounds`` (lists of order ids), ``amount``."""
    out = []
    for c in cycles:
        accounts = sorted(c["accounts"])
        # As the in-memory engine counts them: distinct orders once each, and rounds taken in
        # time order, each counted when it shares no order with a round counted before it.
        amounts: dict[str, float] = {}
        counted: set[str] = set()
        separate = 0
        for ids, amts in zip(
            c["rounds"], c.get("round_amounts") or [[]] * len(c["rounds"]), strict=True
        ):
            ids = [str(x) for x in ids]
            if counted.isdisjoint(ids):
                separate += 1
                counted.update(ids)
            for x, a in zip(ids, amts or [0.0] * len(ids), strict=True):
                amounts.setdefault(x, float(a))
        facts: dict[str, Any] = {
            "length": len(accounts),
            "rounds": separate,
            "amount": round(sum(amounts.values()), 2),
            "n_orders": len(amounts),
            "accounts": accounts,
            "orders": _capped(list(amounts)),
        }
        for acc in accounts:
            out.append(Finding(acc, "CIRCULAR_TRADE", facts))
    return out


def concentration_findings(rows: Iterable[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            r["seller_id"],
            "HIGH_CONCENTRATION",
            {
                "hhi": round(float(r["hhi"]), 1),
                "top1_share": round(float(r["top1_share"]), 4),
                "top5_share": round(float(r["top5_share"]), 4),
                "orders": int(r["orders"]),
                "buyers": int(r["buyers"]),
                "gmv": float(r["gmv"]),
            },
        )
        for r in rows
    ]


def group_findings(
    code: str,
    buyers: list[str],
    sellers: list[str],
    facts: dict[str, Any],
    order: tuple[str, str],
) -> list[Finding]:
    """Per member of a ring or lockstep group: the group's facts and the member's role."""
    out = []
    by_role = {"buyer": sorted(buyers), "seller": sorted(sellers)}
    for role in order:
        for acc in by_role[role]:
            out.append(Finding(acc, code, {**facts, "role": role}))
    return out


def ring_id(buyers: list[str], sellers: list[str]) -> str:
    return group_id("R", [*buyers, *sellers])


def concentration_rule(ruleset: Ruleset) -> tuple[int, float, float]:
    r = ruleset.concentration
    return r.min_orders, r.hhi, r.top1_share

"""Detector results to findings (per-account facts) and to the snapshot's group tables.

Facts carry account ids (never codes) so evidence reads the same whichever engine ran.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard.detect import group_id
from linkguard.detect.linked import owner_groups
from linkguard.detect.results import Detection
from linkguard.market import Market
from linkguard.rules.flags import Finding
from linkguard.rules.ruleset import Ruleset

__all__ = ["MAX_EVIDENCE_IDS", "GroupTables", "collect_findings", "exposure_text", "group_tables"]

#: Id lists in evidence are cut to this many (with the full count beside them).
MAX_EVIDENCE_IDS = 50


def _ids(market: Market, codes: npt.ArrayLike) -> list[str]:
    return sorted(str(a) for a in market.account_ids[np.asarray(codes, dtype=np.int64)])


def _capped(ids: list[str]) -> list[str]:
    return ids[:MAX_EVIDENCE_IDS]


def _kinds_text(kinds: tuple[str, ...] | list[str]) -> str:
    names = [k.replace("_", " ") for k in kinds]
    if not names:
        return "identifiers"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class GroupTables:
    """Stable ids for clusters and rings, shared by findings and the snapshot tables."""

    def __init__(self, market: Market, det: Detection) -> None:
        self.market = market
        self.det = det
        linked = det.linked
        order = np.argsort(linked.cluster_of, kind="stable")
        sorted_clusters = linked.cluster_of[order]
        start = np.searchsorted(sorted_clusters, 0)
        members = order[start:]
        bounds = np.searchsorted(sorted_clusters[start:], np.arange(linked.n_clusters + 1))
        self.cluster_members = [
            members[bounds[i] : bounds[i + 1]] for i in range(linked.n_clusters)
        ]
        self.cluster_ids = [group_id("C", _ids(market, m)) for m in self.cluster_members]
        self.ring_ids = [
            group_id("R", _ids(market, np.r_[r.buyers, r.sellers])) for r in det.rings.rings
        ]

    def clusters(self) -> pd.DataFrame:
        rows = []
        for i, members in enumerate(self.cluster_members):
            kinds = list(self.det.linked.cluster_kinds[i])
            for acc in _ids(self.market, members):
                rows.append((self.cluster_ids[i], acc, len(members), kinds))
        return pd.DataFrame(rows, columns=["cluster_id", "account_id", "size", "identifier_kinds"])

    def rings(self) -> pd.DataFrame:
        rows = []
        for i, ring in enumerate(self.det.rings.rings):
            for role, codes in (("seller", ring.sellers), ("buyer", ring.buyers)):
                for acc in _ids(self.market, codes):
                    rows.append((self.ring_ids[i], acc, role, ring.score, ring.density))
        return pd.DataFrame(
            rows, columns=["ring_id", "account_id", "role", "ring_score", "density"]
        )

    def account_cluster(self) -> dict[str, str]:
        out = {}
        for i, members in enumerate(self.cluster_members):
            for acc in self.market.account_ids[members]:
                out[str(acc)] = self.cluster_ids[i]
        return out


def group_tables(market: Market, det: Detection) -> GroupTables:
    return GroupTables(market, det)


def collect_findings(
    market: Market, det: Detection, groups: GroupTables, ruleset: Ruleset
) -> list[Finding]:
    """Every finding of every detector, as facts about accounts."""
    out: list[Finding] = []
    out += _linked(market, det, groups)
    out += _self_dealing(market, det)
    out += _rings(market, det, groups)
    out += _lockstep(market, det)
    out += _cycles(market, det)
    out += _concentration(market, det, ruleset)
    return out


def _owner_facts(market: Market, det: Detection) -> dict[int, dict[str, Any]]:
    """Per account code in an owner group: the group's combined exposure, for the evidence.

    An owner group is the part of a cluster that strong identifiers alone bind and that holds
    two or more shops or borrowers (:func:`~linkguard.detect.linked.owner_groups`): for a
    lender one borrower, whose GMV, adjusted GMV and loans add up.
    """
    n = market.n_accounts
    seller = np.zeros(n, dtype=np.bool_)
    seller[market.orders["seller"].to_numpy(dtype=np.int64)] = True
    loans = market.loans
    loan_account = loans["account"].to_numpy(dtype=np.int64)
    borrower = np.zeros(n, dtype=np.bool_)
    borrower[loan_account] = True
    loan_amount = np.bincount(
        loan_account, weights=loans["amount"].to_numpy(dtype=np.float64), minlength=n
    )
    loan_count = np.bincount(loan_account, minlength=n)
    conc = det.concentration
    gmv = np.zeros(n)
    adjusted = np.zeros(n)
    codes = conc.index.to_numpy(dtype=np.int64)
    gmv[codes] = conc["gmv"].to_numpy(dtype=np.float64)
    adjusted[codes] = conc["adjusted_gmv"].to_numpy(dtype=np.float64)
    out: dict[int, dict[str, Any]] = {}
    for grp in owner_groups(det.linked, seller | borrower):
        m = grp.members
        facts: dict[str, Any] = {
            "owner_accounts": _capped(_ids(market, m)),
            "owner_sellers": _capped(_ids(market, m[seller[m]])),
            "owner_borrowers": _capped(_ids(market, m[borrower[m]])),
            "n_owner_sellers": int(seller[m].sum()),
            "n_owner_borrowers": int(borrower[m].sum()),
            "lending_parties": len(grp.parties),
            "owner_gmv": round(float(gmv[m].sum()), 2),
            "owner_adjusted_gmv": round(float(adjusted[m].sum()), 2),
            "owner_loans": int(loan_count[m].sum()),
            "owner_loan_amount": round(float(loan_amount[m].sum()), 2),
        }
        facts["exposure"] = exposure_text(facts)
        for acc in m.tolist():
            out[acc] = facts
    return out


def exposure_text(facts: dict[str, Any]) -> str:
    """The ``{exposure}`` part of an owner group's LINKED_ACCOUNTS reason, from its facts."""
    return (
        f"; one owner behind {facts['n_owner_sellers']} shop(s) and "
        f"{facts['n_owner_borrowers']} borrower(s): GMV {facts['owner_gmv']:,.2f} "
        f"(adjusted {facts['owner_adjusted_gmv']:,.2f}), {facts['owner_loans']} loan(s) of "
        f"{facts['owner_loan_amount']:,.2f} in all"
    )


def _linked(market: Market, det: Detection, groups: GroupTables) -> list[Finding]:
    out = []
    statuses = market.accounts["status"].to_numpy()
    owners = _owner_facts(market, det)
    for i, members in enumerate(groups.cluster_members):
        kinds = list(det.linked.cluster_kinds[i])
        ids = _ids(market, members)
        base: dict[str, Any] = {
            "cluster_id": groups.cluster_ids[i],
            "size": len(members),
            "identifier_kinds": kinds,
            "kinds": _kinds_text(kinds),
            "members": _capped(ids),
            "lending_parties": 0,
            "exposure": "",
        }
        bad = members[det.bad_account[members]]
        bad_ids = set(_ids(market, bad))
        bad_words = sorted({str(statuses[b]) or "defaulted" for b in bad})
        for code in sorted(members.tolist(), key=lambda c: str(market.account_ids[c])):
            acc = str(market.account_ids[code])
            facts = {**base, **owners[code]} if code in owners else base
            out.append(Finding(acc, "LINKED_ACCOUNTS", facts))
            others_bad = sorted(bad_ids - {acc})
            if others_bad:
                out.append(
                    Finding(
                        acc,
                        "LINKED_TO_BAD",
                        {
                            **facts,
                            "n_bad": len(others_bad),
                            "bad_accounts": _capped(others_bad),
                            "bad_statuses": "are " + " or ".join(bad_words)
                            if bad_words != ["active"]
                            else "defaulted on a loan",
                        },
                    )
                )
    return out


def _self_dealing(market: Market, det: Detection) -> list[Finding]:
    out = []
    for f in det.self_dealing.findings:
        puppets = _ids(market, f.puppets)
        kinds = _kinds_text(f.kinds) if f.kinds else "owner's linked accounts"
        who = []
        if f.self_orders:
            who.append(f"this shop bought from itself in {f.self_orders} order(s)")
        if puppets:
            who.append(f"{len(puppets)} of its buyers share its {kinds}")
        out.append(
            Finding(
                str(market.account_ids[f.seller]),
                "SELF_DEALING",
                {
                    "n_puppets": len(puppets),
                    "puppets": _capped(puppets),
                    "identifier_kinds": list(f.kinds),
                    "kinds": kinds,
                    "self_orders": f.self_orders,
                    "self_amount": round(f.self_amount, 2),
                    "who": " and ".join(who),
                    "orders": f.orders,
                    "amount": round(f.amount, 2),
                    "gmv_share": round(f.gmv_share, 4),
                },
            )
        )
    return out


def _rings(market: Market, det: Detection, groups: GroupTables) -> list[Finding]:
    out = []
    op = det.pairs.order_pair
    ring_orders = np.bincount(
        det.rings.pair_ring[op][det.rings.pair_ring[op] >= 0], minlength=len(det.rings.rings)
    )
    for i, ring in enumerate(det.rings.rings):
        buyers, sellers = _ids(market, ring.buyers), _ids(market, ring.sellers)
        facts: dict[str, Any] = {
            "ring_id": groups.ring_ids[i],
            "n_buyers": len(buyers),
            "n_sellers": len(sellers),
            "density": round(ring.density, 4),
            "edges": ring.edges,
            "lift": round(ring.lift, 1),
            "log10_p": round(ring.log10_p, 1),
            "ring_score": round(ring.score, 4),
            "ring_orders": int(ring_orders[i]),
            "sellers": _capped(sellers),
            "buyers": _capped(buyers),
            **ring.evidence,
        }
        for role, ids in (("seller", sellers), ("buyer", buyers)):
            for acc in ids:
                out.append(Finding(acc, "BRUSHING_RING", {**facts, "role": role}))
    return out


def _lockstep(market: Market, det: Detection) -> list[Finding]:
    out = []
    for grp in det.lockstep.groups:
        buyers, sellers = _ids(market, grp.buyers), _ids(market, grp.sellers)
        facts: dict[str, Any] = {
            "n_buyers": len(buyers),
            "n_sellers": len(sellers),
            "windows": grp.windows,
            "max_shared_windows": grp.max_shared_windows,
            "sellers": _capped(sellers),
            "buyers": _capped(buyers),
        }
        for role, ids in (("buyer", buyers), ("seller", sellers)):
            for acc in ids:
                out.append(Finding(acc, "LOCKSTEP", {**facts, "role": role}))
    return out


def _cycles(market: Market, det: Detection) -> list[Finding]:
    out: list[Finding] = []
    # The evidence names at most MAX_EVIDENCE_IDS orders a cycle: those ids are taken from the
    # text column in one gather (one per cycle, or the whole column, costs far more).
    shown = [cyc.distinct_orders[:MAX_EVIDENCE_IDS] for cyc in det.cycles.cycles]
    gathered = (
        market.orders["order_id"].iloc[np.concatenate(shown)].astype(str).tolist() if shown else []
    )
    bounds = np.cumsum([0, *(len(x) for x in shown)])
    for i, cyc in enumerate(det.cycles.cycles):
        accounts = _ids(market, cyc.accounts)
        facts: dict[str, Any] = {
            "length": len(accounts),
            "rounds": cyc.rounds,
            "amount": round(cyc.amount, 2),
            "n_orders": len(cyc.distinct_orders),
            "accounts": accounts,
            "orders": gathered[bounds[i] : bounds[i + 1]],
        }
        for acc in accounts:
            out.append(Finding(acc, "CIRCULAR_TRADE", facts))
    return out


def _concentration(market: Market, det: Detection, ruleset: Ruleset) -> list[Finding]:
    rules = ruleset.concentration
    c = det.concentration
    hit = c[
        (c["orders"] >= rules.min_orders)
        & ((c["hhi"] >= rules.hhi) | (c["top1_share"] >= rules.top1_share))
    ]
    out = []
    for seller, row in hit.iterrows():
        out.append(
            Finding(
                str(market.account_ids[int(seller)]),  # type: ignore[call-overload]
                "HIGH_CONCENTRATION",
                {
                    "hhi": round(float(row["hhi"]), 1),
                    "top1_share": round(float(row["top1_share"]), 4),
                    "top5_share": round(float(row["top5_share"]), 4),
                    "orders": int(row["orders"]),
                    "buyers": int(row["buyers"]),
                    "gmv": float(row["gmv"]),
                },
            )
        )
    return out

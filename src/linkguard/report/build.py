"""Gather what the evidence report shows from a snapshot and its data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from linkguard.errors import InputError
from linkguard.market import Market
from linkguard.pipeline.snapshot import read_snapshot
from linkguard.report.evidence import (
    Finding,
    Selection,
    cluster_findings,
    cycle_findings,
    lockstep_findings,
    ring_findings,
    self_dealing_findings,
)
from linkguard.schema import FLAG_CODES, SEVERITIES
from linkguard.serving.browser_links import browser_base_url, browser_link
from linkguard.serving.review_queue import review_queue

__all__ = ["GALLERY_LIMIT", "ReportData", "build_report", "gather"]

#: Findings drawn per gallery (the riskiest first); the rest are counted.
GALLERY_LIMIT = 12
#: Sellers listed in the riskiest-sellers table.
SELLER_LIMIT = 25
_GALLERY_NAMES = ("rings", "clusters", "self_dealing", "cycles", "lockstep")


@dataclass
class ReportData:
    """Everything the page shows; see :func:`gather`."""

    summary: dict[str, Any]
    totals: dict[str, float]
    flag_counts: pd.DataFrame
    sellers: pd.DataFrame
    galleries: dict[str, list[Finding]]
    more: dict[str, int]
    hhi: list[float]
    hhi_flagged: list[bool]
    hhi_threshold: float
    base_url: str
    account: str | None = None
    account_flags: pd.DataFrame | None = None
    account_hhi: float | None = None
    links: dict[str, str] = field(default_factory=dict)

    def link(self, finding: Finding) -> str:
        return browser_link(finding.query, finding.params, base=self.base_url)


def gather(
    snapshot_dir: str | os.PathLike[str],
    market: Market,
    *,
    account: str | None = None,
    browser_url: str | None = None,
) -> ReportData:
    """Read the snapshot and build the report's tables, galleries and distributions.

    Parameters
    ----------
    snapshot_dir : path-like
        A complete snapshot.
    market : Market
        The market the snapshot was computed from (for trades, times and identifiers).
    account : str, optional
        Keep only the findings that involve this account.
    browser_url : str, optional
        Neo4j Browser's address for the deep links.

    Returns
    -------
    ReportData

    Raises
    ------
    InputError
        When ``account`` is neither in the market nor in the snapshot.
    """
    snap = read_snapshot(snapshot_dir)
    flags, accounts, conc = snap.flags, snap.accounts, snap.concentration
    if (
        account is not None
        and market.code_of(account) is None
        and not (accounts["account_id"] == account).any()
    ):
        raise InputError(f"account {account!r} is not in the analysed market")
    levels = dict(zip(accounts["account_id"], accounts["risk_level"], strict=True))
    picks = {name: Selection(levels, account, GALLERY_LIMIT) for name in _GALLERY_NAMES}
    galleries = {
        "rings": ring_findings(snap.rings, market, levels, picks["rings"]),
        "clusters": cluster_findings(snap.clusters, market, levels, picks["clusters"]),
        "self_dealing": self_dealing_findings(flags, market, levels, picks["self_dealing"]),
        "cycles": cycle_findings(flags, market, levels, picks["cycles"]),
        "lockstep": lockstep_findings(flags, market, levels, picks["lockstep"]),
    }
    more = {name: picks[name].total - len(found) for name, found in galleries.items()}

    loans = market.loans.assign(account_id=market.account_ids[market.loans["account"].to_numpy()])
    queue = review_queue(flags, accounts, conc, loans[["account_id", "amount"]])
    sellers = queue[queue["gmv"].notna()]
    if account is not None:
        sellers = sellers[sellers["account_id"] == account]
    sellers = sellers.head(SELLER_LIMIT)

    counts = pd.crosstab(flags["code"], flags["severity"]).reindex(
        index=[c for c in FLAG_CODES if c in set(flags["code"])],
        columns=list(SEVERITIES),
        fill_value=0,
    )
    gmv = float(conc["gmv"].sum())
    adjusted = float(conc["adjusted_gmv"].sum())
    totals = {
        "accounts": float(market.n_accounts),
        "orders": float(len(market.orders)),
        "flagged_accounts": float((accounts["risk_level"] != "none").sum()),
        "flags": float(len(flags)),
        "gmv": gmv,
        "adjusted_gmv": adjusted,
        "fake_gmv": gmv - adjusted,
        "loans": float(len(market.loans)),
        "loan_amount": float(market.loans["amount"].sum()),
    }
    concentrated = set(flags.loc[flags["code"] == "HIGH_CONCENTRATION", "account_id"])
    data = ReportData(
        summary=snap.summary,
        totals=totals,
        flag_counts=counts,
        sellers=sellers,
        galleries=galleries,
        more=more,
        hhi=conc["hhi"].astype(float).tolist(),
        hhi_flagged=[s in concentrated for s in conc["seller_id"]],
        hhi_threshold=_hhi_threshold(snap.summary),
        base_url=browser_base_url(browser_url),
        account=account,
    )
    if account is not None:
        data.account_flags = flags[flags["account_id"] == account]
        own = conc.loc[conc["seller_id"] == account, "hhi"]
        data.account_hhi = float(own.iloc[0]) if len(own) else None
    data.links = {
        str(a): browser_link("account_graph", {"account_id": str(a)}, base=data.base_url)
        for a in sellers["account_id"].tolist()
    }
    if account is not None:
        data.links[account] = browser_link(
            "account_graph", {"account_id": account}, base=data.base_url
        )
    return data


def _hhi_threshold(summary: dict[str, Any]) -> float:
    """The default ruleset's HHI threshold (the one a snapshot of its version used)."""
    from linkguard.rules.ruleset import load_ruleset

    return float(load_ruleset().concentration.hhi)


def build_report(
    snapshot_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    account: str | None = None,
    browser_url: str | None = None,
) -> Path:
    """Write the self-contained HTML evidence report of a snapshot.

    Parameters
    ----------
    snapshot_dir : path-like
        A complete snapshot.
    data_dir : path-like
        The data directory it was computed from.
    out : path-like
        The HTML file to write.
    account : str, optional
        Report on this account's findings only.
    browser_url : str, optional
        Neo4j Browser's address for the deep links.

    Returns
    -------
    Path
        ``out``.
    """
    from linkguard.io.read import read_market
    from linkguard.report.page import render

    market = read_market(data_dir)
    data = gather(snapshot_dir, market, account=account, browser_url=browser_url)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(target)
    return target

"""The loan commands' work, from a data directory and snapshots to plain results.

The CLI and the API call these; they read inputs, call the pure functions of this package and
return dictionaries ready to print as JSON.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from linkguard.errors import InputError
from linkguard.loans.backtest import backtest
from linkguard.loans.outcomes import TARGETS, loan_outcomes
from linkguard.loans.views import RiskView, join_views, monthly_views, read_views, snapshot_dirs
from linkguard.market import Market
from linkguard.pipeline.pointintime import month_starts

__all__ = ["applications_with_views", "read_loan_market", "risk_views", "run_backtest"]


def read_loan_market(data_dir: str | os.PathLike[str]) -> Market:
    """The market of ``data_dir``; an error when it has no loans to speak of."""
    from linkguard.io import read_market

    market = read_market(data_dir)
    if not len(market.loans):
        raise InputError(f"{data_dir}: no loans table (or no loan row passed validation)")
    return market


def risk_views(
    market: Market,
    *,
    snapshot: str | os.PathLike[str] | None = None,
    snapshots: str | os.PathLike[str] | None = None,
    ruleset_path: str | os.PathLike[str] | None = None,
    on_month: Callable[[pd.Timestamp], None] | None = None,
) -> list[RiskView]:
    """Point-in-time views: one dated snapshot, a folder of them, or one per month start.

    Without ``snapshot`` and ``snapshots`` the market is analysed as of the start of every
    month from the first application's month to the last's.
    """
    if snapshot is not None and snapshots is not None:
        raise InputError("give --snapshot or --snapshots, not both")
    if snapshot is not None:
        return read_views([Path(snapshot)])
    if snapshots is not None:
        return read_views(snapshot_dirs(snapshots))
    from linkguard.pipeline.analysis import analyze_market
    from linkguard.rules.ruleset import load_ruleset

    ruleset = load_ruleset(None if ruleset_path is None else Path(ruleset_path))
    months = month_starts(market.loans["applied_at"])
    return monthly_views(market, months, lambda m: analyze_market(m, ruleset), on_month)


def applications_with_views(market: Market, views: list[RiskView]) -> pd.DataFrame:
    """Every loan with its outcomes and what the latest view before it said."""
    return join_views(loan_outcomes(market), views)


def run_backtest(
    market: Market, views: list[RiskView], target: str = "first_overdue"
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The backtest report and the joined applications it was computed from."""
    if target not in TARGETS:
        raise InputError(f"--target must be one of {', '.join(TARGETS)}, got {target!r}")
    joined = applications_with_views(market, views)
    return backtest(joined, target), joined


def _iso(ts: pd.Timestamp) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def run_vintage(
    market: Market,
    *,
    by: str | None = None,
    views: list[RiskView] | None = None,
    max_mob: int = 12,
) -> dict[str, Any]:
    """Vintage curves overall, or by ``product`` or by ``risk_level`` at application."""
    from linkguard.loans.outcomes import data_end
    from linkguard.loans.vintage import LEVELS, vintage_curves

    if by not in (None, "product", "risk_level"):
        raise InputError(f"--by must be product or risk_level, got {by!r}")
    end = data_end(market)
    loans = loan_outcomes(market, observed_at=end)
    if by == "risk_level":
        loans = join_views(loans, views or [])
        loans = loans[loans["view_as_of"].notna()]
    curves = vintage_curves(loans, market.repayments, end, by=by, max_mob=max_mob)
    return {
        "observed_at": _iso(end),
        "by": by or "all",
        "levels": {name: days for name, days in LEVELS},
        "curves": curves,
    }


def run_funnel(market: Market, *, period: str = "month") -> dict[str, Any]:
    """The application funnel per ``period`` (month or day)."""
    from linkguard.loans.funnel import funnel
    from linkguard.loans.outcomes import data_end

    end = data_end(market)
    try:
        report = funnel(
            loan_outcomes(market, observed_at=end), market.repayments, end, period=period
        )
    except ValueError as exc:
        raise InputError(f"--period: {exc}") from exc
    return {"observed_at": _iso(end), **report}


def run_monitor(
    old: str | os.PathLike[str], new: str | os.PathLike[str], market: Market
) -> dict[str, Any]:
    """Alerts on open borrowers between snapshots ``old`` and ``new``."""
    from linkguard.loans.monitor import alerts, flag_state, open_borrowers, summarise
    from linkguard.loans.outcomes import data_end
    from linkguard.pipeline.pointintime import parse_as_of
    from linkguard.pipeline.snapshot import read_snapshot

    before, after = read_snapshot(old), read_snapshot(new)
    stamp = after.summary.get("as_of")
    at = parse_as_of(str(stamp)) if stamp else data_end(market)
    loans = loan_outcomes(market, observed_at=at).assign(
        due_at=market.loans["due_at"].reset_index(drop=True)
    )
    owing = open_borrowers(loans, market.repayments, at)
    found = alerts(
        flag_state(before.accounts, before.flags), flag_state(after.accounts, after.flags), owing
    )
    ids = (before.summary.get("snapshot_id"), after.summary.get("snapshot_id"))
    for a in found:
        a["old_snapshot_id"], a["new_snapshot_id"] = ids
    return {
        "old_snapshot_id": ids[0],
        "new_snapshot_id": ids[1],
        "at": _iso(at),
        "open_borrowers": len(owing),
        "alerts": found,
        "summary": summarise(found),
    }

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
from linkguard.loans.pointintime import month_starts
from linkguard.loans.views import RiskView, join_views, monthly_views, read_views, snapshot_dirs
from linkguard.market import Market

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
    from linkguard.analysis import analyze_market
    from linkguard.rules.ruleset import load_ruleset

    ruleset = load_ruleset(ruleset_path)
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

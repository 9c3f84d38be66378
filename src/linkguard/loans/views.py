"""Risk as it was known at dated moments, and each application joined to the latest one.

A :class:`RiskView` is what one snapshot says of every account it flagged, as of the moment its
data stops (``summary.json`` ``as_of``, written by ``linkguard analyze --as-of``). An
application is joined to the latest view whose ``as_of`` is at or before the application: a
flag computed from later data can never count for it. Applications older than every view have
no view and are left out of a backtest (they are counted, not hidden).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linkguard.errors import InputError
from linkguard.market import Market
from linkguard.pipeline.pointintime import market_as_of, parse_as_of
from linkguard.pipeline.snapshot import Snapshot, read_snapshot, read_summary

__all__ = ["RiskView", "join_views", "monthly_views", "read_views", "view_of"]


@dataclass(frozen=True)
class RiskView:
    """One snapshot's verdicts: ``accounts`` (``account_id, risk_level, risk_score``) and
    ``codes`` (``account_id, code``, one row per raised flag), as of ``as_of``."""

    as_of: pd.Timestamp
    snapshot_id: str
    accounts: pd.DataFrame
    codes: pd.DataFrame


def view_of(snapshot: Snapshot, as_of: pd.Timestamp | None = None) -> RiskView:
    """The view of ``snapshot``; ``as_of`` defaults to its ``summary.json`` ``as_of``.

    Raises
    ------
    InputError
        When the snapshot has no ``as_of``: it was made from all the data, so it would let
        later information count for earlier applications.
    """
    summary = snapshot.summary
    if as_of is None:
        stamp = summary.get("as_of")
        if not stamp:
            where = snapshot.path or summary.get("snapshot_id", "the snapshot")
            raise InputError(
                f"{where} has no as_of in summary.json: make point-in-time snapshots with "
                "`linkguard analyze DATA_DIR --as-of TIMESTAMP --out DIR`"
            )
        as_of = parse_as_of(str(stamp))
    accounts = snapshot.accounts[["account_id", "risk_level", "risk_score"]].copy()
    codes = snapshot.flags[["account_id", "code"]].drop_duplicates().reset_index(drop=True)
    return RiskView(as_of, str(summary.get("snapshot_id", "")), accounts, codes)


def read_views(paths: Sequence[str | os.PathLike[str]]) -> list[RiskView]:
    """The views of snapshot directories, oldest first."""
    return sorted((view_of(read_snapshot(p)) for p in paths), key=lambda v: v.as_of)


def snapshot_dirs(root: str | os.PathLike[str]) -> list[Path]:
    """The complete snapshots directly under ``root`` (directories with a ``summary.json``)."""
    base = Path(root)
    if not base.is_dir():
        raise InputError(f"--snapshots {base}: no such directory")
    found = []
    for child in sorted(base.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            try:
                read_summary(child)
            except Exception:
                continue
            found.append(child)
    if not found:
        raise InputError(f"--snapshots {base}: holds no complete snapshot")
    return found


def monthly_views(
    market: Market,
    months: Sequence[pd.Timestamp],
    analyze: Callable[[Market], Snapshot],
    on_month: Callable[[pd.Timestamp], None] | None = None,
) -> list[RiskView]:
    """One view per month start: ``analyze`` run on the market as of that moment."""
    views = []
    for start in months:
        if on_month is not None:
            on_month(start)
        snapshot = analyze(market_as_of(market, start))
        snapshot.summary["as_of"] = start.isoformat().replace("+00:00", "Z")
        views.append(view_of(snapshot, start))
    return views


def join_views(applications: pd.DataFrame, views: Sequence[RiskView]) -> pd.DataFrame:
    """``applications`` (``account_id``, ``applied_at``) with what the latest view said.

    Adds ``view_as_of`` (NaT without a view), ``snapshot_id``, ``risk_level`` (``none`` when
    the view did not flag the account), ``risk_score`` (0.0 then) and ``codes`` (a sorted
    tuple of the flag codes raised on the account).
    """
    ordered = sorted(views, key=lambda v: v.as_of)
    out = applications.copy()
    stamps = np.array([v.as_of.value for v in ordered], dtype=np.int64)
    applied = pd.DatetimeIndex(out["applied_at"]).as_unit("ns").asi8
    which = np.searchsorted(stamps, applied, side="right") - 1
    out["_view"] = which
    nat = np.iinfo(np.int64).min
    chosen = np.where(which >= 0, stamps[np.maximum(which, 0)] if len(stamps) else nat, nat)
    out["view_as_of"] = pd.to_datetime(chosen.astype("datetime64[ns]"), utc=True)
    out["snapshot_id"] = [ordered[i].snapshot_id if i >= 0 else "" for i in which]
    accounts = (
        pd.concat([v.accounts.assign(_view=i) for i, v in enumerate(ordered)], ignore_index=True)
        if ordered
        else pd.DataFrame(columns=["account_id", "risk_level", "risk_score", "_view"])
    )
    # Flag codes per (view, account): a few per flagged account, gathered in one pass.
    raised: dict[tuple[int, str], set[str]] = {}
    for i, v in enumerate(ordered):
        for account, code in zip(
            v.codes["account_id"].astype(str), v.codes["code"].astype(str), strict=True
        ):
            raised.setdefault((i, account), set()).add(code)
    out = out.merge(accounts, on=["_view", "account_id"], how="left")
    out["codes"] = [
        tuple(sorted(raised[key])) if key in raised else ()
        for key in zip(out["_view"].tolist(), out["account_id"].astype(str).tolist(), strict=True)
    ]
    out["risk_level"] = out["risk_level"].fillna("none").astype(str)
    out["risk_score"] = out["risk_score"].fillna(0.0).astype("float64")
    return out.drop(columns="_view")

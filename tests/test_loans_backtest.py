"""``linkguard backtest`` on a synthetic market: every figure against a direct pandas
computation from the snapshot files and the raw loans table."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app

_register()
runner = CliRunner()


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bt") / "market"
    r = runner.invoke(
        app,
        [
            "synth",
            str(d),
            "--accounts",
            "4000",
            "--seed",
            "5",
            "--days",
            "150",
            "--dirty-fraction",
            "0",
        ],
    )
    assert r.exit_code == 0, r.output
    return d


def _months(market: Path) -> list[str]:
    """Every month start from the first application's month to the last one's."""
    applied = pd.to_datetime(pd.read_csv(market / "loans.csv")["applied_at"], utc=True)
    first, last = (t.tz_localize(None).to_period("M") for t in (applied.min(), applied.max()))
    return [str(p.start_time.date()) for p in pd.period_range(first, last, freq="M")]


@pytest.fixture(scope="module")
def snaps(market: Path) -> Path:
    root = market.parent / "snaps"
    for day in _months(market):
        r = runner.invoke(app, ["analyze", str(market), "--out", str(root / day), "--as-of", day])
        assert r.exit_code == 0, r.output
    return root


@pytest.fixture(scope="module")
def report(market: Path, snaps: Path) -> dict[str, Any]:
    r = runner.invoke(app, ["backtest", str(market), "--snapshots", str(snaps), "--format", "json"])
    assert r.exit_code == 0, r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def _expected_applications(market: Path, snaps: Path) -> pd.DataFrame:
    """The applications with a known first_overdue, each joined by hand to its snapshot."""
    loans = pd.read_csv(market / "loans.csv", dtype=str, keep_default_na=False)
    loans = loans[
        (loans["decision"] == "approved")
        & (loans["disbursed_at"] != "")
        & (loans["first_overdue"] != "")
    ].copy()
    loans["applied_at"] = pd.to_datetime(loans["applied_at"], utc=True)
    loans["bad"] = loans["first_overdue"].astype(float)
    months = sorted(p.name for p in snaps.iterdir())
    dated = pd.DataFrame({"as_of": pd.to_datetime(months, utc=True), "day": months})
    loans = pd.merge_asof(
        loans.sort_values("applied_at"),
        dated,
        left_on="applied_at",
        right_on="as_of",
        direction="backward",
    )
    loans = loans[loans["day"].notna()]
    levels, scores, codes = [], [], []
    for day, acc in zip(loans["day"], loans["account_id"], strict=True):
        accounts = pd.read_parquet(snaps / day / "accounts.parquet").set_index("account_id")
        flags = pd.read_parquet(snaps / day / "flags.parquet")
        levels.append(accounts["risk_level"].get(acc, "none"))
        scores.append(float(accounts["risk_score"].get(acc, 0.0)))
        codes.append(set(flags.loc[flags["account_id"] == acc, "code"]))
    return loans.assign(
        risk_level=levels,
        risk_score=scores,
        codes=pd.Series(codes, index=loans.index, dtype=object),
    )


@pytest.fixture(scope="module")
def expected(market: Path, snaps: Path) -> pd.DataFrame:
    return _expected_applications(market, snaps)


def _close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _check_segment(seg: dict[str, Any], apps: pd.DataFrame, mask: pd.Series) -> None:
    overall = apps["bad"].mean()
    inside, outside = apps.loc[mask, "bad"], apps.loc[~mask, "bad"]
    assert seg["applications"] == len(inside)
    assert _close(seg["share"], len(inside) / len(apps))
    assert _close(seg["approval_cost"], len(inside) / len(apps))
    if len(inside):
        assert _close(seg["bad_rate"], inside.mean())
        assert _close(seg["lift"], inside.mean() / overall)
        assert seg["goods"] == int((inside == 0).sum())
        assert seg["bads"] == int(inside.sum())
        assert _close(seg["bad_capture"], inside.sum() / apps["bad"].sum())
    if len(outside):
        assert _close(seg["bad_rate_if_rejected"], outside.mean())
        assert _close(seg["drop"], (overall - outside.mean()) / overall)


def test_totals_equal_pandas(report: dict[str, Any], expected: pd.DataFrame) -> None:
    assert report["target"] == "first_overdue"
    assert report["applications"] == len(expected) > 100
    assert _close(report["bad_rate"], expected["bad"].mean())


def test_every_segment_equals_pandas(report: dict[str, Any], expected: pd.DataFrame) -> None:
    apps = expected.reset_index(drop=True)
    flagged = apps["risk_level"].isin(["review", "decline"])
    seen = 0
    for seg in report["segments"]:
        by, value = seg["by"], seg["value"]
        if by == "flagged":
            mask = flagged if value == "true" else ~flagged
        elif by == "code":
            mask = apps["codes"].map(lambda c, v=value: v in c)
        elif by == "risk_level":
            mask = apps["risk_level"] == value
        else:
            s = apps["risk_score"]
            if value == "0":
                mask = s == 0
            else:
                lo, hi = (float(x) for x in value.strip("(]").split(","))
                mask = (s > lo) & (s <= hi)
        _check_segment(seg, apps, mask)
        seen += 1
    assert {s["by"] for s in report["segments"]} == {"flagged", "code", "risk_level", "score_band"}
    assert seen >= 2 + 7 + 4 + 5


def test_ks_iv_and_sweep_equal_pandas(report: dict[str, Any], expected: pd.DataFrame) -> None:
    apps = expected
    bad, score = apps["bad"], apps["risk_score"]
    # KS: the largest gap between the two empirical distribution functions.
    grid = np.sort(score.unique())
    gaps = [abs((score[bad == 1] <= t).mean() - (score[bad == 0] <= t).mean()) for t in grid]
    assert _close(report["ks"], max(gaps))
    # IV over the score bands, with 0.5 for an empty cell.
    band = pd.cut(score, [0, 0.25, 0.5, 0.75, 1.0]).astype(str).where(score > 0, "zero")
    table = pd.crosstab(band, bad).replace(0, 0.5)
    g, b = table[0.0] / table[0.0].sum(), table[1.0] / table[1.0].sum()
    assert _close(report["iv"], float(((g - b) * np.log(g / b)).sum()))
    for row in report["sweep"]:
        approved = bad[score < row["cutoff"]]
        assert row["approved"] == len(approved)
        assert _close(row["approval_rate"], len(approved) / len(apps))
        if len(approved):
            assert _close(row["bad_rate"], approved.mean())


def test_fraud_flags_find_the_planted_outcomes(report: dict[str, Any]) -> None:
    flagged = next(s for s in report["segments"] if s["by"] == "flagged" and s["value"] == "true")
    assert flagged["applications"] >= 10
    assert flagged["lift"] > 1.3
    assert flagged["drop"] > 0
    decline = next(
        s for s in report["segments"] if s["by"] == "risk_level" and s["value"] == "decline"
    )
    assert decline["lift"] > 1.3


def test_monthly_views_equal_dated_snapshots(market: Path, report: dict[str, Any]) -> None:
    """Without --snapshots the backtest analyses the market as of each month start itself."""
    r = runner.invoke(app, ["backtest", str(market), "--format", "json"])
    assert r.exit_code == 0, r.output
    own = json.loads(r.stdout)
    assert own["applications_without_view"] == 0
    assert own == report


@pytest.mark.parametrize("target", ["defaulted", "dpd30"])
def test_other_targets_run_on_the_same_views(market: Path, snaps: Path, target: str) -> None:
    r = runner.invoke(
        app,
        [
            "backtest",
            str(market),
            "--snapshots",
            str(snaps),
            "--target",
            target,
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["target"] == target
    assert rep["applications"] > 0
    assert 0 < rep["bad_rate"] < 1


def test_unknown_target_is_bad_usage(market: Path, snaps: Path) -> None:
    r = runner.invoke(app, ["backtest", str(market), "--snapshots", str(snaps), "--target", "m7"])
    assert r.exit_code == 2


def test_vintage_by_risk_level_at_application(market: Path, snaps: Path) -> None:
    r = runner.invoke(
        app,
        [
            "vintage",
            str(market),
            "--by",
            "risk_level",
            "--snapshots",
            str(snaps),
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    by_level = json.loads(r.stdout)
    overall = json.loads(runner.invoke(app, ["vintage", str(market), "--format", "json"]).stdout)
    segments = {row["segment"] for row in by_level["curves"]}
    assert segments <= {
        "risk_level=none",
        "risk_level=info",
        "risk_level=review",
        "risk_level=decline",
    }
    assert "risk_level=none" in segments
    assert len(segments) >= 2
    # Every loan has a view here (the snapshots start at the first application's month), so
    # the cohorts split between the levels without losing a loan.
    sizes: dict[str, int] = {}
    for row in by_level["curves"]:
        if row["mob"] == 1 and row["level"] == "M1+":
            sizes[row["cohort"]] = sizes.get(row["cohort"], 0) + row["loans"]
    whole = {
        row["cohort"]: row["loans"]
        for row in overall["curves"]
        if row["mob"] == 1 and row["level"] == "M1+"
    }
    assert sizes == whole

"""Backtest speed: 100,000 applications against monthly snapshots of a 1M-order market.

One synthetic market (``linkguard.synth``, 200,000 accounts, about 1M orders over 180 days,
cached under ``bench/data/``) gets 100,000 loan applications spread over its history: each
copies a synthetic loan (its shop, amount, product and outcome) to a random moment, with a
3- or 6-instalment repayment schedule paid as its outcome says. Then, timed:

(a) linkguard: ``read_market`` + ``risk_views`` (the market analysed as of every month start)
    + ``run_backtest`` (join to the latest view, segments, KS, IV, sweep), as
    ``linkguard backtest DATA_DIR`` does;
(b) the join and figures written plainly in pandas from the same views (``merge_asof`` on
    the application time, then one boolean mask and mean per segment, as the tests do),
    beside linkguard's own join and figures (``run_backtest`` alone).

It prints the seconds of each step, the total, and the ratio of (b) to linkguard's join and
figures. The monthly analyses dominate; they are linkguard's ``analyze`` itself.

Run::

    .venv/bin/python bench/backtest.py                     # 200k accounts, 100k applications
    .venv/bin/python bench/backtest.py --accounts 20000 --applications 10000   # quick check
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA_ROOT = Path(__file__).resolve().parent / "data"
DAY = pd.Timedelta(days=1)


def _market(accounts: int, seed: int, days: int) -> Path:
    from linkguard.synth import generate_market, write_market

    out = DATA_ROOT / f"backtest-{accounts}-{seed}-{days}"
    if not (out / "orders.parquet").exists():
        print(f"generating {accounts:,} accounts over {days} days ...", file=sys.stderr)
        write_market(generate_market(accounts, seed, days=days), out, format="parquet")
    return out


def _applications(market_dir: Path, n: int, seed: int) -> Path:
    """A copy of the market whose loans are ``n`` applications resampled from its loans."""
    out = market_dir.parent / f"{market_dir.name}-apps{n}"
    if (out / "loans.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name in ("orders", "accounts", "identifiers"):
        target = out / f"{name}.parquet"
        if not target.exists():
            os.symlink(market_dir / f"{name}.parquet", target)
    rng = np.random.default_rng(seed)
    loans = pd.read_parquet(market_dir / "loans.parquet")
    loans = loans[
        (loans["decision"] == "approved")
        & loans["first_overdue"].isin(["0", "1"])
        & loans["amount"].str.fullmatch(r"[0-9.]+").fillna(False)
    ]
    pick = loans.iloc[rng.integers(0, len(loans), n)].reset_index(drop=True)
    orders = pd.read_parquet(market_dir / "orders.parquet", columns=["created_at"])
    t = pd.to_datetime(orders["created_at"], utc=True, errors="coerce").dropna()
    lo, hi = t.min() + 14 * DAY, t.max() - 35 * DAY
    applied = pd.DatetimeIndex(
        pd.to_datetime(lo.value + (rng.random(n) * (hi - lo).value).astype(np.int64), utc=True)
    )
    disbursed = applied + pd.to_timedelta(rng.integers(3600, 2 * 86400, n), unit="s")
    credit = (pick["product"] == "credit").to_numpy()
    count = np.where(credit, 6, 3)
    late = pick["first_overdue"].astype(str).eq("1").to_numpy()
    stops = late & (rng.random(n) < 0.6)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    frame = pd.DataFrame(
        {
            "loan_id": [f"B{i:07d}" for i in range(n)],
            "account_id": pick["account_id"].to_numpy(),
            "applied_at": applied.strftime(iso),
            "amount": pick["amount"].to_numpy(),
            "product": pick["product"].to_numpy(),
            "decision": "approved",
            "first_overdue": np.where(late, "1", "0"),
            "defaulted": np.where(stops, "1", "0"),
            "disbursed_at": disbursed.strftime(iso),
            "due_at": (disbursed + pd.to_timedelta(30 * count, unit="D")).strftime(iso),
        }
    )
    frame.to_parquet(out / "loans.parquet", index=False)
    loan = np.repeat(np.arange(n), count)
    k = np.arange(len(loan)) - np.repeat(np.cumsum(count) - count, count) + 1
    due = disbursed[loan] + pd.to_timedelta(30 * k, unit="D")
    amount = pd.to_numeric(frame["amount"]).to_numpy()[loan] / count[loan]
    delay = np.where((k == 1) & late[loan], rng.integers(1, 41, len(loan)), -1)
    paid = due + pd.to_timedelta(delay, unit="D")
    unpaid = stops[loan] | (paid > t.max())
    pd.DataFrame(
        {
            "loan_id": frame["loan_id"].to_numpy()[loan],
            "due_at": due.strftime(iso),
            "amount_due": np.round(amount, 2).astype(str),
            "paid_at": np.where(unpaid, "", paid.strftime(iso)),
            "amount_paid": np.where(unpaid, "", np.round(amount, 2).astype(str)),
        }
    ).to_parquet(out / "repayments.parquet", index=False)
    return out


def _plain_figures(apps: pd.DataFrame, views: list, target: str) -> dict[str, float]:
    """The join and segment figures in plain pandas (merge_asof, masks, means)."""
    from linkguard.schema import FLAG_CODES

    stamps = pd.DataFrame({"as_of": [v.as_of for v in views], "view": range(len(views))})
    apps = apps[apps[target].notna()].sort_values("applied_at")
    joined = pd.merge_asof(apps, stamps, left_on="applied_at", right_on="as_of")
    joined = joined[joined["view"].notna()]
    levels = pd.concat([v.accounts.assign(view=i) for i, v in enumerate(views)])
    codes = pd.concat([v.codes.assign(view=i) for i, v in enumerate(views)])
    joined = joined.merge(levels, on=["view", "account_id"], how="left")
    joined["risk_level"] = joined["risk_level"].fillna("none")
    bad = joined[target]
    overall = bad.mean()
    out = {"flagged": bad[joined["risk_level"].isin(["review", "decline"])].mean() / overall}
    for code in FLAG_CODES:
        hit = codes[codes["code"] == code][["view", "account_id"]].assign(hit=True)
        mask = joined.merge(hit, on=["view", "account_id"], how="left")["hit"].fillna(False)
        out[code] = bad[mask.to_numpy(dtype=bool)].mean() / overall
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    from linkguard.io import read_market
    from linkguard.loans.outcomes import loan_outcomes
    from linkguard.loans.runs import risk_views, run_backtest

    os.environ.setdefault("LINKGUARD_PEPPER", "bench-pepper")
    data = _applications(_market(args.accounts, args.seed, args.days), args.applications, args.seed)
    print(f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    started = time.perf_counter()
    market = read_market(data)
    t_read = time.perf_counter() - started
    months: list[float] = []

    def on_month(ts: pd.Timestamp) -> None:
        months.append(time.perf_counter())
        print(f"  as of {ts:%Y-%m-%d}", file=sys.stderr)

    t0 = time.perf_counter()
    views = risk_views(market, on_month=on_month)
    t_views = time.perf_counter() - t0
    t0 = time.perf_counter()
    report, _ = run_backtest(market, views, "first_overdue")
    t_join = time.perf_counter() - t0
    total = time.perf_counter() - started

    t0 = time.perf_counter()
    plain = _plain_figures(loan_outcomes(market), views, "first_overdue")
    t_plain = time.perf_counter() - t0
    flagged = next(s for s in report["segments"] if s["by"] == "flagged" and s["value"] == "true")
    assert abs(plain["flagged"] - flagged["lift"]) < 1e-9, (plain["flagged"], flagged["lift"])

    print(
        f"orders {len(market.orders):,}, applications {len(market.loans):,}, "
        f"instalments {len(market.repayments):,}, monthly views {len(views)}"
    )
    print(f"read + validate           {t_read:8.1f} s")
    each = t_views / max(len(views), 1)
    print(f"monthly analyses          {t_views:8.1f} s  ({each:.1f} s each)")
    print(f"join + figures            {t_join:8.1f} s")
    print(f"total (linkguard backtest){total:8.1f} s")
    print(
        f"plain pandas join + lifts {t_plain:8.1f} s  "
        f"(ratio plain / linkguard join+figures: {t_plain / t_join:.2f}x)"
    )
    print(
        f"backtested {report['applications']:,} applications, bad rate "
        f"{report['bad_rate']:.3f}, flagged lift {flagged['lift']:.2f}, KS {report['ks']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

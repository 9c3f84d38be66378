"""The application funnel: applied -> approved -> disbursed -> repaid on time, and 复借率.

Each application is counted in the period (day or month) it was made, once at every step it
reached; the steps nest, so each count is at most the one before it:

- ``applied``: every application;
- ``approved``: its ``decision`` is not a refusal (:data:`~linkguard.loans.outcomes.DECLINED`);
- ``disbursed``: approved and with a ``disbursed_at``;
- ``due``: disbursed and with at least one instalment due by the end of the data;
- ``repaid_on_time``: due, and every instalment due by the end of the data was paid by its
  due date.

A borrower is *returning* for an application made after one of its loans was disbursed, *new*
otherwise; the rows for ``new`` and ``returning`` add up to ``all``. The re-borrow rate is the
share of borrowers who settled a loan (paid every instalment) and later had another loan
disbursed.

Examples
--------
>>> import pandas as pd
>>> loans = pd.DataFrame({"loan_id": ["a", "b", "c"], "account_id": ["x", "x", "y"],
...     "applied_at": pd.to_datetime(["2026-01-02", "2026-03-01", "2026-01-05"], utc=True),
...     "decision": ["approved", "approved", "declined"],
...     "disbursed_at": pd.to_datetime(["2026-01-03", "2026-03-02", None], utc=True)})
>>> rp = pd.DataFrame({"loan_id": ["a"], "due_at": pd.to_datetime(["2026-02-02"], utc=True),
...                    "paid_at": pd.to_datetime(["2026-02-01"], utc=True)})
>>> f = funnel(loans, rp, pd.Timestamp("2026-03-10", tz="UTC"))
>>> [(r["period"], r["borrowers"], r["applied"], r["disbursed"], r["repaid_on_time"])
...  for r in f["periods"] if r["borrowers"] == "all"]
[('2026-01', 'all', 2, 1, 1), ('2026-03', 'all', 1, 1, 0)]
>>> f["reborrow"]["reborrow_rate"]
1.0
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from linkguard.loans.outcomes import DECLINED

__all__ = ["STEPS", "funnel"]

STEPS = ("applied", "approved", "disbursed", "due", "repaid_on_time")
_PERIODS = {"month": "%Y-%m", "day": "%Y-%m-%d"}


def funnel(
    loans: pd.DataFrame,
    repayments: pd.DataFrame,
    observed_at: pd.Timestamp,
    *,
    period: str = "month",
) -> dict[str, Any]:
    """The funnel of ``loans`` (``loan_id, account_id, applied_at, decision, disbursed_at``).

    Returns ``{"period", "periods": [...], "totals": [...], "reborrow": {...}}``; each row of
    ``periods`` has ``period``, ``borrowers`` (all, new, returning), the counts of
    :data:`STEPS`, ``approval_rate`` and ``on_time_rate`` (repaid on time / due).
    """
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(_PERIODS)}, got {period!r}")
    apps = loans[["loan_id", "account_id", "applied_at", "decision", "disbursed_at"]].copy()
    apps["approved"] = ~apps["decision"].isin(DECLINED)
    apps["disbursed"] = apps["approved"] & apps["disbursed_at"].notna()
    rp = repayments[repayments["due_at"] <= observed_at]
    on_time = (rp["paid_at"].notna() & (rp["paid_at"] <= rp["due_at"])).groupby(rp["loan_id"]).all()
    apps["due"] = apps["disbursed"] & apps["loan_id"].isin(on_time.index)
    apps["repaid_on_time"] = apps["due"] & apps["loan_id"].map(on_time).eq(True).to_numpy()
    apps["applied"] = True

    first_out = apps.loc[apps["disbursed"]].groupby("account_id")["disbursed_at"].min()
    first = first_out.reindex(apps["account_id"].to_numpy()).set_axis(apps.index)
    apps["returning"] = first.notna() & (first < apps["applied_at"])
    apps["period"] = apps["applied_at"].dt.tz_convert("UTC").dt.strftime(_PERIODS[period])

    rows, totals = [], []
    for name, part in (
        ("all", apps),
        ("new", apps[~apps["returning"]]),
        ("returning", apps[apps["returning"]]),
    ):
        for key, group in part.groupby("period", sort=True):
            rows.append(_row(group, {"period": key, "borrowers": name}))
        totals.append(_row(part, {"borrowers": name}))
    rows.sort(key=lambda r: (r["period"], ("all", "new", "returning").index(r["borrowers"])))
    return {
        "period": period,
        "periods": rows,
        "totals": totals,
        "reborrow": _reborrow(apps, repayments, observed_at),
    }


def _row(group: pd.DataFrame, head: dict[str, Any]) -> dict[str, Any]:
    counts = {step: int(group[step].sum()) for step in STEPS}
    return {
        **head,
        **counts,
        "approval_rate": counts["approved"] / counts["applied"] if counts["applied"] else None,
        "on_time_rate": counts["repaid_on_time"] / counts["due"] if counts["due"] else None,
    }


def _reborrow(
    apps: pd.DataFrame, repayments: pd.DataFrame, observed_at: pd.Timestamp
) -> dict[str, Any]:
    rp = repayments[repayments["loan_id"].isin(apps.loc[apps["disbursed"], "loan_id"])]
    paid = rp["paid_at"].notna() & (rp["paid_at"] <= observed_at)
    settled = (
        rp.assign(paid=paid)
        .groupby("loan_id")
        .agg(all_paid=("paid", "all"), settled_at=("paid_at", "max"))
    )
    settled = settled[settled["all_paid"]]
    owner = apps.set_index("loan_id")["account_id"]
    first_settled = settled["settled_at"].groupby(owner.reindex(settled.index)).min()
    later = apps[apps["disbursed"]]
    later = later.assign(
        settled_at=first_settled.reindex(later["account_id"].to_numpy()).set_axis(later.index)
    )
    again = later[later["settled_at"].notna() & (later["disbursed_at"] > later["settled_at"])]
    n_settled = len(first_settled)
    n_again = int(again["account_id"].nunique())
    return {
        "settled_borrowers": n_settled,
        "borrowed_again": n_again,
        "reborrow_rate": n_again / n_settled if n_settled else None,
    }

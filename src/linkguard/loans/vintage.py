"""Vintage curves (账龄分析): loans cohorted by disbursal month, followed month on book.

For a loan disbursed at ``d``, month on book ``m`` ends at ``d + 30·m`` days. At that moment the
loan is *ever M1+* when one of its instalments has been 30 or more days past due (paid 30+ days
late, or unpaid 30+ days after its due date), *ever M2+* at 60 days, *ever M3+* at 90. A
cohort's point at ``m`` is the share of its loans (and of its disbursed amount) ever past each
level, and is given only once every loan of the cohort has reached ``m`` by the end of the data,
so that each curve is over one fixed set of loans. Loans without repayment rows are left out.

Examples
--------
>>> import pandas as pd
>>> loans = pd.DataFrame({"loan_id": ["a", "b"], "amount": [100.0, 300.0],
...     "disbursed_at": pd.to_datetime(["2026-01-01", "2026-01-10"], utc=True)})
>>> rp = pd.DataFrame({"loan_id": ["a", "b"],
...     "due_at": pd.to_datetime(["2026-01-31", "2026-02-09"], utc=True),
...     "paid_at": pd.to_datetime([None, "2026-02-09"], utc=True)})
>>> rows = vintage_curves(loans, rp, pd.Timestamp("2026-06-01", tz="UTC"))
>>> [(r["level"], r["mob"], r["share_loans"], r["share_amount"]) for r in rows
...  if r["mob"] == 2]
[('M1+', 2, 0.5, 0.25), ('M2+', 2, 0.0, 0.0), ('M3+', 2, 0.0, 0.0)]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linkguard.loans.outcomes import days_past_due

__all__ = ["LEVELS", "vintage_curves"]

#: Past-due levels: name and days.
LEVELS = (("M1+", 30), ("M2+", 60), ("M3+", 90))
_MONTH = pd.Timedelta(days=30)


def vintage_curves(
    loans: pd.DataFrame,
    repayments: pd.DataFrame,
    observed_at: pd.Timestamp,
    *,
    by: str | None = None,
    max_mob: int = 12,
) -> list[dict[str, Any]]:
    """The curves of ``loans`` (``loan_id``, ``amount``, ``disbursed_at`` and the ``by``
    column when given) from ``repayments`` (``loan_id``, ``due_at``, ``paid_at``).

    Returns one row per segment, cohort, level and month on book: ``segment`` (``all`` or
    ``by=value``), ``cohort`` (``YYYY-MM``), ``level``, ``mob``, ``loans``, ``bad_loans``,
    ``share_loans``, ``amount``, ``bad_amount``, ``share_amount``.
    """
    book = loans[loans["disbursed_at"].notna() & loans["loan_id"].isin(repayments["loan_id"])]
    book = book.assign(
        cohort=book["disbursed_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m"),
        segment="all" if by is None else by + "=" + book[by].astype(str),
    )
    rp = repayments[["loan_id", "due_at", "paid_at"]].merge(
        book[["loan_id", "disbursed_at"]], on="loan_id"
    )
    mobs = np.arange(1, max_mob + 1)
    # Per loan and month on book: the most days past due reached by the end of that month.
    grid = rp.loc[rp.index.repeat(len(mobs))].reset_index(drop=True)
    grid["mob"] = np.tile(mobs, len(rp))
    grid["at"] = grid["disbursed_at"] + grid["mob"] * _MONTH
    grid = grid[grid["due_at"] < grid["at"]]
    grid["dpd"] = days_past_due(grid, grid["at"]).to_numpy()
    worst = grid.groupby(["loan_id", "mob"])["dpd"].max()

    rows: list[dict[str, Any]] = []
    for (segment, cohort), members in book.groupby(["segment", "cohort"], sort=True):
        last = members["disbursed_at"].max()
        total_amount = float(members["amount"].sum())
        for m in mobs:
            if last + int(m) * _MONTH > observed_at:
                break
            index = pd.MultiIndex.from_arrays([members["loan_id"], np.full(len(members), m)])
            dpd = worst.reindex(index).fillna(0.0).to_numpy()
            for level, days in LEVELS:
                hit = dpd >= days
                bad_amount = float(members["amount"].to_numpy()[hit].sum())
                rows.append(
                    {
                        "segment": segment,
                        "cohort": cohort,
                        "level": level,
                        "mob": int(m),
                        "loans": len(members),
                        "bad_loans": int(hit.sum()),
                        "share_loans": float(hit.mean()),
                        "amount": total_amount,
                        "bad_amount": bad_amount,
                        "share_amount": bad_amount / total_amount if total_amount else None,
                    }
                )
    return rows

"""Post-loan monitoring (贷后): flag changes between two snapshots on borrowers still owing.

A borrower is *open* at time ``t`` when a loan disbursed by ``t`` still has money outstanding:
its instalments due minus what was paid by ``t`` (a loan without repayment rows is open from
disbursal to its ``due_at``, for its whole amount). Between an old and a new snapshot an open
borrower raises one alert at most:

- ``raised``: no flag before, a flag now;
- ``escalated``: flagged before and now, at a higher risk level or with a flag code it did not
  have;
- ``cleared``: flagged before, no flag now.

Examples
--------
>>> import pandas as pd
>>> old = pd.DataFrame({"account_id": ["a", "b"], "risk_level": ["review", "info"],
...                     "risk_score": [0.5, 0.1], "codes": [("LOCKSTEP",), ("X",)]})
>>> new = pd.DataFrame({"account_id": ["a", "c"], "risk_level": ["decline", "review"],
...                     "risk_score": [0.9, 0.5], "codes": [("LOCKSTEP",), ("Y",)]})
>>> owing = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "open_loans": [1, 1, 2, 1],
...                       "outstanding": [10.0, 20.0, 30.0, 40.0]})
>>> [(a["account_id"], a["kind"]) for a in alerts(old, new, owing)]
[('a', 'escalated'), ('b', 'cleared'), ('c', 'raised')]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from linkguard.schema import RISK_LEVELS

__all__ = ["ALERT_KINDS", "alerts", "flag_state", "open_borrowers", "summarise"]

ALERT_KINDS = ("raised", "escalated", "cleared")
_RANK = {level: i for i, level in enumerate(RISK_LEVELS)}


def open_borrowers(loans: pd.DataFrame, repayments: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Per borrower with money outstanding at ``at``: ``open_loans`` and ``outstanding``.

    ``loans`` has ``loan_id, account_id, amount, disbursed_at, due_at``.
    """
    out = loans[loans["disbursed_at"].notna() & (loans["disbursed_at"] <= at)]
    rp = repayments[repayments["loan_id"].isin(out["loan_id"])]
    paid_by = rp["paid_at"].notna() & (rp["paid_at"] <= at)
    paid = rp["amount_paid"].fillna(rp["amount_due"]).where(paid_by, 0.0)
    owed = (rp["amount_due"] - paid).clip(lower=0.0).groupby(rp["loan_id"]).sum()
    scheduled = out["loan_id"].isin(rp["loan_id"])
    unscheduled_open = ~scheduled & (out["due_at"].isna() | (out["due_at"] > at))
    outstanding = np.where(
        scheduled,
        out["loan_id"].map(owed).fillna(0.0),
        np.where(unscheduled_open, out["amount"], 0.0),
    )
    frame = pd.DataFrame(
        {"account_id": out["account_id"].to_numpy(), "outstanding": outstanding.astype("float64")}
    )
    frame = frame[frame["outstanding"] > 0]
    return (
        frame.groupby("account_id")
        .agg(open_loans=("outstanding", "size"), outstanding=("outstanding", "sum"))
        .reset_index()
    )


def flag_state(accounts: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """A snapshot's ``account_id, risk_level, risk_score, codes`` (a sorted tuple)."""
    codes: dict[str, tuple[str, ...]] = {}
    for account, code in zip(
        flags["account_id"].astype(str), flags["code"].astype(str), strict=True
    ):
        codes[account] = (*codes.get(account, ()), code)
    state = accounts[["account_id", "risk_level", "risk_score"]].copy()
    state["codes"] = [tuple(sorted(set(codes.get(str(a), ())))) for a in state["account_id"]]
    return state


def alerts(old: pd.DataFrame, new: pd.DataFrame, owing: pd.DataFrame) -> list[dict[str, Any]]:
    """The alerts on the borrowers of ``owing`` between flag states ``old`` and ``new``."""
    both = owing.merge(
        old.add_prefix("old_").rename(columns={"old_account_id": "account_id"}),
        on="account_id",
        how="left",
    )
    both = both.merge(
        new.add_prefix("new_").rename(columns={"new_account_id": "account_id"}),
        on="account_id",
        how="left",
    )
    result: list[dict[str, Any]] = []
    for row in both.sort_values("account_id").itertuples(index=False):
        before = row.old_codes if isinstance(row.old_codes, tuple) else ()
        after = row.new_codes if isinstance(row.new_codes, tuple) else ()
        old_level = row.old_risk_level if isinstance(row.old_risk_level, str) else "none"
        new_level = row.new_risk_level if isinstance(row.new_risk_level, str) else "none"
        added = sorted(set(after) - set(before))
        if not before and after:
            kind = "raised"
        elif before and not after:
            kind = "cleared"
        elif before and (added or _RANK[new_level] > _RANK[old_level]):
            kind = "escalated"
        else:
            continue
        result.append(
            {
                "account_id": row.account_id,
                "kind": kind,
                "old_level": old_level,
                "new_level": new_level,
                "old_score": _score(row.old_risk_score),
                "new_score": _score(row.new_risk_score),
                "added_codes": added,
                "removed_codes": sorted(set(before) - set(after)),
                "open_loans": int(row.open_loans),
                "outstanding": round(float(row.outstanding), 2),
            }
        )
    return result


def summarise(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per alert kind: how many borrowers, and the outstanding amount they owe."""
    return [
        {
            "kind": kind,
            "borrowers": sum(a["kind"] == kind for a in found),
            "outstanding": round(sum(a["outstanding"] for a in found if a["kind"] == kind), 2),
        }
        for kind in ALERT_KINDS
    ]


def _score(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)

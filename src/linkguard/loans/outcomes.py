"""Loan outcomes: each application's target, from the ``loans`` columns and ``repayments``.

Three targets, each known only for loans whose observation window has closed by the end of
the data (:func:`data_end`):

``first_overdue`` (首逾)
    The ``loans.first_overdue`` column where it is filled; where it is empty but the loan has
    repayments, whether its first instalment was paid after its due date (or is unpaid),
    known once that date has passed.
``defaulted``
    The ``loans.defaulted`` column, counted only when the loan's first instalment fell due at
    least :data:`DEFAULT_WINDOW_DAYS` days before the end of the data (so that a default had
    time to be declared); loans without repayments count wherever the column is filled.
``dpd30``
    30 or more days past due on an instalment due in the first three months on book, known
    once the loan has been on book for :data:`DPD30_WINDOW_DAYS` days.

Examples
--------
>>> import pandas as pd
>>> r = pd.DataFrame({"due_at": pd.to_datetime(["2026-01-01", "2026-01-01"], utc=True),
...                   "paid_at": pd.to_datetime(["2026-01-20", None], utc=True)})
>>> days_past_due(r, pd.Timestamp("2026-02-15", tz="UTC")).tolist()
[19.0, 45.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.market import Market

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "DPD30_WINDOW_DAYS",
    "TARGETS",
    "data_end",
    "days_past_due",
    "granted_loans",
    "loan_outcomes",
    "member",
    "naive",
]

TARGETS = ("first_overdue", "defaulted", "dpd30")
#: ``loans.decision`` words that mean the application was turned down.
DECLINED = frozenset({"declined", "rejected", "denied", "refused"})
DEFAULT_WINDOW_DAYS = 90
DPD30_WINDOW_DAYS = 120
_DAY = pd.Timedelta(days=1)


def data_end(market: Market) -> pd.Timestamp:
    """The latest moment the data speaks of: the last order, application, disbursal or payment.

    Due dates are left out: a schedule reaches into the future.
    """
    stamps = [
        market.orders["created_at"].max(),
        market.loans["applied_at"].max(),
        market.loans["disbursed_at"].max() if "disbursed_at" in market.loans else pd.NaT,
        market.repayments["paid_at"].max(),
    ]
    known = [s for s in stamps if not pd.isna(s)]
    if not known:
        raise ValueError("the data holds no timestamp")
    return pd.Timestamp(max(known))


def days_past_due(repayments: pd.DataFrame, at: pd.Timestamp | pd.Series) -> pd.Series:
    """Per instalment: the most days past due it reached by ``at`` (0 when paid on time).

    An instalment paid by ``at`` stopped at its payment; one unpaid at ``at`` is still going.
    """
    paid = repayments["paid_at"]
    until = paid.where(paid.notna() & (paid <= at), at)
    late = (until - repayments["due_at"]).dt.total_seconds() / _DAY.total_seconds()
    return pd.Series(late.clip(lower=0.0).astype("float64"), index=repayments.index)


def loan_outcomes(market: Market, *, observed_at: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per loan: its facts and each target (1.0, 0.0, or NaN while unknown).

    Columns: ``loan_id``, ``account_id``, ``applied_at``, ``amount``, ``product``,
    ``decision``, ``disbursed_at``, ``first_due_at``, then one column per :data:`TARGETS`.
    """
    end = data_end(market) if observed_at is None else observed_at
    ln = market.loans
    out = pd.DataFrame(
        {
            "loan_id": ln["loan_id"].astype(str).to_numpy(),
            "account_id": market.account_ids[ln["account"].to_numpy()].astype(str),
            "applied_at": ln["applied_at"].reset_index(drop=True),
            "amount": ln["amount"].to_numpy(dtype=np.float64),
            "product": ln["product"].astype(str).to_numpy(),
            "decision": ln["decision"].astype(str).to_numpy(),
            "disbursed_at": ln["disbursed_at"].reset_index(drop=True),
        }
    )
    rp = market.repayments
    rp = rp[member(rp["loan_id"], out["loan_id"])]
    first = rp.sort_values("due_at", kind="stable").drop_duplicates("loan_id")
    out = out.merge(
        first[["loan_id", "due_at"]].rename(columns={"due_at": "first_due_at"}),
        on="loan_id",
        how="left",
    )

    given = ln["first_overdue"].to_numpy(dtype=np.float64)
    first_late = (
        (first["paid_at"].isna() | (first["paid_at"] > first["due_at"]))
        .astype("float64")
        .where(first["due_at"] < end)
    )
    derived = out["loan_id"].map(first_late.set_axis(first["loan_id"].to_numpy()))
    out["first_overdue"] = np.where(np.isnan(given), derived.to_numpy(dtype=np.float64), given)

    defaulted = pd.Series(ln["defaulted"].to_numpy(dtype=np.float64))
    window_open = out["first_due_at"].notna() & (
        out["first_due_at"] + DEFAULT_WINDOW_DAYS * _DAY > end
    )
    out["defaulted"] = defaulted.where(~window_open.to_numpy()).to_numpy()

    rp_start = rp[["loan_id"]].merge(out[["loan_id", "disbursed_at"]], on="loan_id", how="left")
    early = rp[naive(rp["due_at"]) <= naive(rp_start["disbursed_at"] + 90 * _DAY)]
    dpd = days_past_due(early, end)
    ever30 = (dpd >= 30).groupby(early["loan_id"].to_numpy()).any()
    has_schedule = pd.Series(member(out["loan_id"], rp["loan_id"]), index=out.index)
    closed = out["disbursed_at"].notna() & (out["disbursed_at"] + DPD30_WINDOW_DAYS * _DAY <= end)
    hit = out["loan_id"].map(ever30).fillna(False).astype("float64")
    out["dpd30"] = hit.where((has_schedule & closed).to_numpy())
    granted = granted_loans(out)
    for target in TARGETS:
        out[target] = out[target].where(granted)
    return out


def member(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """Mask of ``values`` found in ``pool`` (strings; Arrow's hash set, not a Python loop)."""
    found = pc.is_in(
        pa.array(values.astype(str).to_numpy(dtype=object), pa.string()),
        value_set=pa.array(pd.unique(pool.astype(str).to_numpy(dtype=object)), pa.string()),
    )
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def naive(stamps: pd.Series) -> np.ndarray:
    """UTC timestamps as naive ``datetime64`` values, without a Python object per value."""
    return np.asarray(stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy())


def granted_loans(loans: pd.DataFrame) -> pd.Series:
    """Loans that were granted: not declined and, where disbursal dates exist, disbursed.

    Only a granted loan has an outcome; a declined application's ``defaulted = 0`` says nothing.
    """
    declined = loans["decision"].isin(DECLINED)
    if loans["disbursed_at"].notna().any():
        return ~declined & loans["disbursed_at"].notna()
    return ~declined

"""Synthetic loans and repayments: consistent with each other, and driven by credit signals
and, much more, by the planted fraud."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkguard.synth import generate_market


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    m = generate_market(8000, 21, days=180, dirty_fraction=0.0)
    out = {name: t.to_pandas() for name, t in m.tables.items()}
    out["truth"] = m.truth["accounts"].to_pandas()
    out["end"] = pd.DataFrame({"end": [pd.Timestamp(m.manifest["end"])]})
    return out


def _ts(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, utc=True)


def test_instalments_add_up_to_the_loan(tables: dict[str, pd.DataFrame]) -> None:
    loans, rp = tables["loans"], tables["repayments"]
    disbursed = loans[loans["disbursed_at"].notna()]
    assert set(rp["loan_id"]) == set(disbursed["loan_id"])
    due = rp.assign(cents=(rp["amount_due"].astype(float) * 100).round()).groupby("loan_id")
    total = due["cents"].sum()
    want = (disbursed.set_index("loan_id")["amount"].astype(float) * 100).round()
    assert (total.reindex(want.index) == want).all()
    counts = due.size().reindex(disbursed["loan_id"]).to_numpy()
    assert (counts == np.where(disbursed["product"] == "credit", 6, 3)).all()
    last_due = _ts(rp.groupby("loan_id")["due_at"].max()).reindex(disbursed["loan_id"])
    assert (last_due.to_numpy() == _ts(disbursed["due_at"]).to_numpy()).all()


def test_repayments_tell_the_same_story_as_the_outcomes(tables: dict[str, pd.DataFrame]) -> None:
    loans, rp = tables["loans"].set_index("loan_id"), tables["repayments"]
    end = tables["end"]["end"].iloc[0]
    first = (
        rp.assign(due=_ts(rp["due_at"]), paid=_ts(rp["paid_at"]))
        .sort_values("due")
        .drop_duplicates("loan_id")
        .set_index("loan_id")
    )
    fo = loans.loc[first.index, "first_overdue"]
    late = first["paid"].isna() | (first["paid"] > first["due"])
    known = fo.notna()
    assert known.sum() > 100
    assert (late[known] == (fo[known] == "1")).all()
    assert (first.loc[~known, "due"] > end).all()
    paid = rp.groupby("loan_id")["paid_at"].count()
    defaulted = loans.index[loans["defaulted"] == "1"]
    assert (paid.reindex(defaulted).fillna(0) == 0).all()
    assert (_ts(rp["paid_at"]).dropna() <= end).all()
    assert (rp["paid_at"].isna() == rp["amount_paid"].isna()).all()


def test_fraud_drives_outcomes_far_more_than_credit_signals(
    tables: dict[str, pd.DataFrame],
) -> None:
    loans, truth, accounts = tables["loans"], tables["truth"], tables["accounts"]
    known = loans[loans["first_overdue"].notna()].copy()
    fraud = set(truth.loc[truth["fraud_types"].fillna("") != "", "account_id"])
    known["fraud"] = known["account_id"].isin(fraud)
    known["bad"] = known["first_overdue"].astype(int)
    created = _ts(accounts.set_index("account_id")["created_at"])
    opened = pd.Series(created.reindex(known["account_id"]).to_numpy(), index=known.index)
    age = (_ts(known["applied_at"]) - _ts(opened)).dt.days
    honest = known[~known["fraud"]]
    young, old = (
        honest["bad"][age[~known["fraud"]] < 365],
        honest["bad"][age[~known["fraud"]] >= 365],
    )
    fraud_rate, honest_rate = known.loc[known["fraud"], "bad"].mean(), honest["bad"].mean()
    assert len(young) >= 30
    assert len(old) >= 30
    # Young honest shops go overdue more often than old ones (credit signal) ...
    assert young.mean() > old.mean()
    # ... but the planted fraud matters much more.
    assert fraud_rate > 3 * honest_rate
    assert 0.02 < honest_rate < 0.25

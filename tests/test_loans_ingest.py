"""Ingest of the loan side: ``loans.disbursed_at``/``due_at`` and the ``repayments`` table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from linkguard.io import read_market

ORDERS = "order_id,buyer_id,seller_id,amount,created_at\no1,b,s,9.5,2026-01-01T10:00:00Z\n"
LOANS = (
    "loan_id,account_id,applied_at,amount,disbursed_at,due_at\n"
    "L1,s,2026-01-02T00:00:00Z,100,2026-01-03T00:00:00Z,2026-02-03T00:00:00Z\n"
    "L2,s,2026-01-02T00:00:00Z,100,nope,\n"
    "L3,s,2026-01-02T00:00:00Z,100,,\n"
)
REPAYMENTS = (
    "loan_id,due_at,amount_due,paid_at,amount_paid\n"
    "L1,2026-02-03T00:00:00Z,50,,\n"
    "L1,2026-03-03T00:00:00Z,50,2026-03-01T00:00:00Z,50\n"
    ",2026-03-03T00:00:00Z,50,,\n"
    "L1,,50,,\n"
    "L1,2026-03-03T00:00:00Z,x,,\n"
    "L1,2026-03-03T00:00:00Z,5,2026-13-01,\n"
    "L1,2026-03-03T00:00:00Z,5,,-1\n"
)


def _market(tmp_path: Path, repayments: str = REPAYMENTS):
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "loans.csv").write_text(LOANS)
    (tmp_path / "repayments.csv").write_text(repayments)
    return read_market(tmp_path, pepper=b"k")


def test_repayments_rows_are_loaded_or_quarantined_with_a_reason(tmp_path: Path) -> None:
    m = _market(tmp_path)
    rep = m.reports["repayments"]
    assert rep.rows_in == 7
    assert rep.rows_loaded == 2
    assert rep.rows_in == rep.rows_loaded + rep.rows_quarantined
    q = m.quarantine["repayments"]
    assert q[["line", "column", "reason"]].values.tolist() == [
        [4, "loan_id", "missing_id"],
        [5, "due_at", "bad_timestamp"],
        [6, "amount_due", "bad_amount"],
        [7, "paid_at", "bad_timestamp"],
        [8, "amount_paid", "negative_amount"],
    ]


def test_unpaid_instalment_reads_as_nat_and_nan(tmp_path: Path) -> None:
    r = _market(tmp_path).repayments
    assert r["loan_id"].tolist() == ["L1", "L1"]
    assert pd.isna(r["paid_at"].iloc[0])
    assert np.isnan(r["amount_paid"].iloc[0])
    assert r["paid_at"].iloc[1] == pd.Timestamp("2026-03-01", tz="UTC")
    assert r["amount_paid"].iloc[1] == 50.0


def test_loan_dates_are_optional_and_checked(tmp_path: Path) -> None:
    m = _market(tmp_path)
    assert m.loans["loan_id"].tolist() == ["L1", "L3"]
    assert m.loans["disbursed_at"].iloc[0] == pd.Timestamp("2026-01-03", tz="UTC")
    assert m.loans["due_at"].iloc[0] == pd.Timestamp("2026-02-03", tz="UTC")
    assert pd.isna(m.loans["disbursed_at"].iloc[1])
    assert m.quarantine["loans"][["line", "column", "reason"]].values.tolist() == [
        [3, "disbursed_at", "bad_timestamp"]
    ]


def test_a_repayments_file_without_its_required_column_is_refused(tmp_path: Path) -> None:
    import pytest

    from linkguard.errors import SchemaError

    with pytest.raises(SchemaError, match=r"repayments\.csv.*amount_due"):
        _market(tmp_path, "loan_id,due_at\nL1,2026-02-03T00:00:00Z\n")


def test_without_repayments_the_table_is_empty(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS)
    m = read_market(tmp_path, pepper=b"k")
    assert list(m.repayments.columns) == [
        "loan_id",
        "due_at",
        "amount_due",
        "paid_at",
        "amount_paid",
    ]
    assert len(m.repayments) == 0
    assert "repayments" not in m.reports

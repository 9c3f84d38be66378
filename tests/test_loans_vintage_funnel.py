"""``vintage`` on a hand-built repayment table equals the curve worked out by hand; the
funnel's counts add up at every step."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app

_register()
runner = CliRunner()

LOANS = """loan_id,account_id,applied_at,amount,product,decision,disbursed_at,due_at
A,a,2025-12-31T00:00:00Z,300,order,approved,2026-01-01T00:00:00Z,2026-04-01T00:00:00Z
B,b,2026-01-14T00:00:00Z,100,credit,approved,2026-01-15T00:00:00Z,2026-04-15T00:00:00Z
C,c,2026-01-19T00:00:00Z,600,order,approved,2026-01-20T00:00:00Z,2026-04-20T00:00:00Z
D,d,2026-02-09T00:00:00Z,200,order,approved,2026-02-10T00:00:00Z,2026-05-11T00:00:00Z
E,e,2026-02-11T00:00:00Z,500,order,declined,,
F,c,2026-05-01T00:00:00Z,400,order,approved,2026-05-02T00:00:00Z,2026-08-01T00:00:00Z
"""
# A pays its first instalment on time, then nothing; B pays its first instalment 34 days
# late; C pays everything on its due date; D never pays.
REPAYMENTS = """loan_id,due_at,amount_due,paid_at,amount_paid
A,2026-01-31T00:00:00Z,100,2026-01-30T00:00:00Z,100
A,2026-03-02T00:00:00Z,100,,
A,2026-04-01T00:00:00Z,100,,
B,2026-02-14T00:00:00Z,33.33,2026-03-20T00:00:00Z,33.33
B,2026-03-16T00:00:00Z,33.33,2026-03-20T00:00:00Z,33.33
B,2026-04-15T00:00:00Z,33.34,2026-04-10T00:00:00Z,33.34
C,2026-02-19T00:00:00Z,200,2026-02-19T00:00:00Z,200
C,2026-03-21T00:00:00Z,200,2026-03-21T00:00:00Z,200
C,2026-04-20T00:00:00Z,200,2026-04-20T00:00:00Z,200
D,2026-03-12T00:00:00Z,66.67,,
D,2026-04-11T00:00:00Z,66.67,,
D,2026-05-11T00:00:00Z,66.66,,
F,2026-06-01T00:00:00Z,400,2026-05-30T00:00:00Z,400
"""
# The last order (1 July) ends the data.
ORDERS = """order_id,buyer_id,seller_id,amount,created_at
o1,x,a,10,2026-01-01T00:00:00Z
o2,x,b,10,2026-07-01T00:00:00Z
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("vintage")
    (d / "orders.csv").write_text(ORDERS)
    (d / "loans.csv").write_text(LOANS)
    (d / "repayments.csv").write_text(REPAYMENTS)
    return d


def _json(args: list[str]) -> dict[str, Any]:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def _curve(
    report: dict[str, Any], segment: str, cohort: str, level: str, key: str = "share_loans"
) -> list[float]:
    rows = sorted(
        (
            r
            for r in report["curves"]
            if (r["segment"], r["cohort"], r["level"]) == (segment, cohort, level)
        ),
        key=lambda r: r["mob"],
    )
    assert [r["mob"] for r in rows] == list(range(1, len(rows) + 1))
    return [r[key] for r in rows]


def test_vintage_equals_the_curve_worked_by_hand(data: Path) -> None:
    rep = _json(["vintage", str(data), "--format", "json"])
    assert rep["observed_at"] == "2026-07-01T00:00:00Z"
    # January cohort (A, B, C; amounts 300, 100, 600). Month on book m ends 30·m days after
    # disbursal; the last loan (C, 20 Jan) reaches m = 5 on 19 June, m = 6 after 1 July.
    # A: instalment 2 (due 2 Mar) unpaid: 30 days late at m=3 (1 Apr), 60 at m=4, 90 at m=5.
    # B: instalment 1 (due 14 Feb) unpaid at m=2 (16 Mar): 30 days; paid 20 Mar (34 days).
    third, two_thirds = 1 / 3, 2 / 3
    assert _curve(rep, "all", "2026-01", "M1+") == [0.0, third, two_thirds, two_thirds, two_thirds]
    assert _curve(rep, "all", "2026-01", "M2+") == [0.0, 0.0, 0.0, third, third]
    assert _curve(rep, "all", "2026-01", "M3+") == [0.0, 0.0, 0.0, 0.0, third]
    assert _curve(rep, "all", "2026-01", "M1+", "share_amount") == [0.0, 0.1, 0.4, 0.4, 0.4]
    assert _curve(rep, "all", "2026-01", "M3+", "share_amount") == [0.0, 0.0, 0.0, 0.0, 0.3]
    # February cohort (D alone, 10 Feb): 30, 60, 90 days past due at m = 2, 3, 4.
    assert _curve(rep, "all", "2026-02", "M1+") == [0.0, 1.0, 1.0, 1.0]
    assert _curve(rep, "all", "2026-02", "M3+") == [0.0, 0.0, 0.0, 1.0]
    # The declined application E is in no cohort; F (2 May) reaches m = 2 on 1 July, not 3.
    assert {r["cohort"] for r in rep["curves"]} == {"2026-01", "2026-02", "2026-05"}
    assert max(r["mob"] for r in rep["curves"] if r["cohort"] == "2026-05") == 2


def test_vintage_by_product(data: Path) -> None:
    rep = _json(["vintage", str(data), "--by", "product", "--format", "json"])
    assert _curve(rep, "product=order", "2026-01", "M1+") == [0.0, 0.0, 0.5, 0.5, 0.5]
    assert _curve(rep, "product=credit", "2026-01", "M1+") == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert _curve(rep, "product=order", "2026-01", "M2+", "share_amount") == [
        0.0,
        0.0,
        0.0,
        1 / 3,
        1 / 3,
    ]


def test_funnel_counts_by_hand(data: Path) -> None:
    rep = _json(["funnel", str(data), "--format", "json"])
    rows = {(r["period"], r["borrowers"]): r for r in rep["periods"]}
    steps = ("applied", "approved", "disbursed", "due", "repaid_on_time")
    assert [rows[("2025-12", "all")][s] for s in steps] == [1, 1, 1, 1, 0]
    assert [rows[("2026-01", "all")][s] for s in steps] == [2, 2, 2, 2, 1]
    assert [rows[("2026-02", "all")][s] for s in steps] == [2, 1, 1, 1, 0]
    # F is c's second loan, after C was disbursed: a returning borrower, repaid early.
    assert [rows[("2026-05", "returning")][s] for s in steps] == [1, 1, 1, 1, 1]
    # Settled: b (B, 10 April) and c (C, 20 April; F later). Only c borrowed again (F).
    assert rep["reborrow"] == {"settled_borrowers": 2, "borrowed_again": 1, "reborrow_rate": 0.5}


def _assert_funnel_adds_up(rep: dict[str, Any]) -> None:
    steps = ("applied", "approved", "disbursed", "due", "repaid_on_time")
    rows = {(r["period"], r["borrowers"]): r for r in rep["periods"]}
    periods = {p for p, _ in rows}
    for p in periods:
        total = rows[(p, "all")]
        for a, b in itertools.pairwise(steps):
            assert total[a] >= total[b]
        for s in steps:
            parts = sum(rows[(p, k)][s] for k in ("new", "returning") if (p, k) in rows)
            assert parts == total[s]
    grand = {t["borrowers"]: t for t in rep["totals"]}
    for s in steps:
        assert sum(rows[(p, "all")][s] for p in periods) == grand["all"][s]
        assert grand["new"][s] + grand["returning"][s] == grand["all"][s]


def test_funnel_adds_up_on_a_synthetic_market(tmp_path: Path) -> None:
    d = tmp_path / "m"
    assert runner.invoke(app, ["synth", str(d), "--accounts", "2000", "--seed", "3"]).exit_code == 0
    from linkguard.io import read_market

    loaded = read_market(d, pepper=b"k").reports["loans"].rows_loaded
    for period in ("month", "day"):
        rep = _json(["funnel", str(d), "--period", period, "--format", "json"])
        _assert_funnel_adds_up(rep)
        grand = next(t for t in rep["totals"] if t["borrowers"] == "all")
        assert grand["applied"] == loaded
        assert 0 < grand["repaid_on_time"] < grand["disbursed"] < grand["applied"]


def test_bad_by_and_period_are_bad_usage(data: Path) -> None:
    assert runner.invoke(app, ["vintage", str(data), "--by", "region"]).exit_code == 2
    assert runner.invoke(app, ["funnel", str(data), "--period", "week"]).exit_code == 2

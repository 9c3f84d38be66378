"""The review queue (``linkguard flags``): ranking and filters against plain pandas."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import linkguard.cli.flags  # noqa: F401  (registers the command)
from linkguard.cli import app
from linkguard.errors import InputError
from linkguard.serving.browser_links import browser_link
from linkguard.serving.review_queue import read_queue_inputs, review_queue

LEVELS = {"info": 1, "review": 2, "decline": 3}
runner = CliRunner()


@pytest.fixture(scope="module")
def snap_dir(sample_snapshot: Any) -> Path:
    return Path(sample_snapshot.path)


def _loans(sample_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(sample_dir / "loans.csv", dtype=str)
    raw["amount"] = pd.to_numeric(raw["amount"], errors="coerce")
    return raw.dropna(subset=["amount", "account_id", "loan_id"])


def _expected(snap: Path, sample_dir: Path) -> pd.DataFrame:
    """The queue computed directly from the parquet files and loans.csv."""
    acc = pd.read_parquet(snap / "accounts.parquet")
    acc = acc[acc["risk_level"] != "none"].copy()
    conc = pd.read_parquet(snap / "concentration.parquet").set_index("seller_id")
    loans = _loans(sample_dir).groupby("account_id")["amount"].sum()
    acc["gmv"] = acc["account_id"].map(conc["gmv"])
    acc["adjusted_gmv"] = acc["account_id"].map(conc["adjusted_gmv"])
    acc["fake_share"] = 1 - acc["adjusted_gmv"] / acc["gmv"]
    acc["loan_amount"] = acc["account_id"].map(loans).fillna(0.0)
    acc["exposure"] = np.maximum(acc["gmv"].fillna(0.0), acc["loan_amount"])
    acc["level"] = acc["risk_level"].map(LEVELS)
    return acc.sort_values(
        ["level", "exposure", "risk_score", "account_id"], ascending=[False, False, False, True]
    ).reset_index(drop=True)


def test_queue_matches_a_direct_pandas_computation(snap_dir: Path, sample_dir: Path) -> None:
    queue = review_queue(*read_queue_inputs(snap_dir, sample_dir))
    expected = _expected(snap_dir, sample_dir)
    assert queue["account_id"].tolist() == expected["account_id"].tolist()
    assert queue["rank"].tolist() == list(range(1, len(expected) + 1))
    for column in ("exposure", "gmv", "adjusted_gmv", "fake_share", "loan_amount"):
        np.testing.assert_allclose(queue[column], expected[column], rtol=1e-9, err_msg=column)
    # the sample has loans on flagged sellers, so the loan column is exercised
    assert (queue["loan_amount"] > 0).sum() >= 3


def test_top_reason_is_the_most_severe_highest_scoring_flag(snap_dir: Path) -> None:
    flags = pd.read_parquet(snap_dir / "flags.parquet")
    flags["sev"] = flags["severity"].map(LEVELS)
    best = (
        flags.sort_values(
            ["account_id", "sev", "score", "code"], ascending=[True, False, False, True]
        )
        .drop_duplicates("account_id")
        .set_index("account_id")
    )
    queue = review_queue(*read_queue_inputs(snap_dir)).set_index("account_id")
    assert queue["top_reason"].to_dict() == best["reason"].reindex(queue.index).to_dict()
    assert queue["top_code"].to_dict() == best["code"].reindex(queue.index).to_dict()


@pytest.mark.parametrize("code", ["BRUSHING_RING", "SELF_DEALING", "HIGH_CONCENTRATION"])
def test_code_filter_keeps_exactly_the_accounts_with_that_flag(snap_dir: Path, code: str) -> None:
    flags = pd.read_parquet(snap_dir / "flags.parquet")
    queue = review_queue(*read_queue_inputs(snap_dir), code=code)
    assert set(queue["account_id"]) == set(flags.loc[flags["code"] == code, "account_id"])
    assert len(queue) > 0


def test_level_exposure_and_top_filters(snap_dir: Path, sample_dir: Path) -> None:
    tables = read_queue_inputs(snap_dir, sample_dir)
    expected = _expected(snap_dir, sample_dir)
    review = review_queue(*tables, level="review")
    assert set(review["account_id"]) == set(
        expected.loc[expected["risk_level"].isin(["review", "decline"]), "account_id"]
    )
    assert "info" not in set(review["risk_level"])
    assert len(review) < len(expected)
    rich = review_queue(*tables, min_exposure=5000)
    assert set(rich["account_id"]) == set(expected.loc[expected["exposure"] >= 5000, "account_id"])
    assert 0 < len(rich) < len(expected)
    assert (
        review_queue(*tables, top=7)["account_id"].tolist() == expected["account_id"][:7].tolist()
    )


def test_by_exposure_puts_the_money_first(snap_dir: Path, sample_dir: Path) -> None:
    queue = review_queue(*read_queue_inputs(snap_dir, sample_dir), by="exposure")
    exposure = queue["exposure"].to_numpy()
    assert (np.diff(exposure) <= 0).all()
    assert exposure[0] == _expected(snap_dir, sample_dir)["exposure"].max()


def test_without_loans_the_loan_columns_are_unknown(snap_dir: Path) -> None:
    queue = review_queue(*read_queue_inputs(snap_dir))
    assert queue["loan_amount"].isna().all()
    assert queue["loans"].isna().all()
    sellers = queue["gmv"].notna()
    assert (queue.loc[sellers, "exposure"] == queue.loc[sellers, "gmv"]).all()
    assert (queue.loc[~sellers, "exposure"] == 0).all()


@pytest.mark.parametrize(
    "kwargs",
    [{"code": "RING"}, {"level": "none"}, {"level": "high"}, {"by": "gmv"}, {"top": 0}],
)
def test_bad_filters_are_input_errors(snap_dir: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        review_queue(*read_queue_inputs(snap_dir), **kwargs)


# -- the command ----------------------------------------------------------------------------


def test_cli_json_is_the_queue(snap_dir: Path, sample_dir: Path) -> None:
    argv = ["flags", "--snapshot", str(snap_dir), "--data", str(sample_dir), "--level", "review"]
    result = runner.invoke(
        app, [*argv, "--top", "5", "--format", "json", "--browser-url", "http://b:1"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = _expected(snap_dir, sample_dir)
    expected = expected[expected["level"] >= 2].head(5)
    assert [r["account_id"] for r in rows] == expected["account_id"].tolist()
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert all(isinstance(r["loans"], int) and r["top_reason"] for r in rows)
    assert [r["browser_link"] for r in rows] == [
        browser_link("account_graph", {"account_id": r["account_id"]}, base="http://b:1")
        for r in rows
    ]


def test_cli_csv_parses_back(snap_dir: Path) -> None:
    result = runner.invoke(
        app, ["flags", "--snapshot", str(snap_dir), "--code", "SELF_DEALING", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    flags = pd.read_parquet(snap_dir / "flags.parquet")
    assert set(table["account_id"]) == set(flags.loc[flags["code"] == "SELF_DEALING", "account_id"])
    assert table["reason_codes"].str.contains("SELF_DEALING").all()
    assert table["loans"].isna().all()  # unknown without --data, not zero


def test_cli_table_prints_one_line_per_account(snap_dir: Path) -> None:
    result = runner.invoke(
        app, ["flags", "--snapshot", str(snap_dir), "--top", "4"], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("│")]
    assert len(lines) == 4
    assert all(len(ln) <= 120 for ln in lines)
    assert "give --data" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--code", "NOPE"], "--code must be one of"),
        (["--format", "xml"], "--format must be one of"),
        (["--level", "urgent"], "--level must be one of"),
    ],
)
def test_cli_bad_usage_exits_2(snap_dir: Path, argv: list[str], message: str) -> None:
    result = runner.invoke(app, ["flags", "--snapshot", str(snap_dir), *argv])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_missing_snapshot_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["flags", "--snapshot", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "none" in result.output

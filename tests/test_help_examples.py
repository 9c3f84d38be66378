"""Help examples name ids the bundled sample holds and never write over it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import linkguard.cli.account
import linkguard.cli.neo4j
import linkguard.cli.serve
import linkguard.cli.synth  # noqa: F401  (register the commands)
from linkguard.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "market"


def _help(*argv: str) -> str:
    result = CliRunner().invoke(app, [*argv, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("argv", [("account",), ("serve",), ("neo4j", "query"), ("synth",)])
def test_example_ids_are_the_sample_s(argv: tuple[str, ...]) -> None:
    accounts = set(pd.read_csv(SAMPLE / "accounts.csv", dtype=str)["account_id"])
    text = _help(*argv)
    ids = set(re.findall(r"\b(?:u\d{5,}|acct-\w+)\b", text))
    assert ids <= accounts, ids - accounts


def test_synth_example_does_not_overwrite_the_sample() -> None:
    text = _help("synth")
    assert "linkguard synth samples/" not in text
    assert "linkguard synth out/market" in text

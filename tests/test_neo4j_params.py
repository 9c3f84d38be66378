"""``linkguard neo4j query`` checks parameter types before it connects: exit 2, one message.

The server address points where nothing listens: a parameter that passes the checks fails
later with exit 1 (unreachable), so exit 2 here proves the check came first.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.errors import InputError
from linkguard.neo4j.queries import bind_params

cli = CliRunner()
_register()


@pytest.fixture(autouse=True)
def _nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")  # the discard port: nothing listens


def _query(*params: str) -> tuple[int, str]:
    args = ["neo4j", "query", "flagged_accounts"]
    for p in params:
        args += ["-p", p]
    result = cli.invoke(app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("param", "says"),
    [
        ("limit=99999999999999999999", "out of range"),
        ("limit=-99999999999999999999", "out of range"),
        ("limit=abc", "must be an integer"),
        ("limit=true", "must be an integer"),
        ("limit=2.5", "must be an integer"),
        ("limit=[1]", "must be an integer"),
        ("limit=NaN", "must be an integer"),
        ("level=[1]", None),  # a declared string keeps its text: accepted as "[1]"
    ],
)
def test_wrong_parameter_types_exit_2_before_connecting(param: str, says: str | None) -> None:
    code, output = _query(param)
    if says is None:
        assert code == 1
        assert "NEO4J_URI" in output
        return
    assert code == 2, output
    assert says in output
    assert "Traceback" not in output
    assert "OverflowError" not in output


def test_whole_floats_are_integers() -> None:
    # Neo4j Browser sends every number as a float; 25.0 is the integer 25.
    assert bind_params("flagged_accounts", {"limit": 25.0})["limit"] == 25
    code, output = _query("limit=25.0")
    assert code == 1
    assert "NEO4J_URI" in output


def test_bind_params_names_the_parameter() -> None:
    with pytest.raises(InputError, match="--param max_length must be an integer, got 'four'"):
        bind_params("money_cycles", {"account_id": "a", "max_length": "four"})
    with pytest.raises(InputError, match="--param account_id must be text"):
        bind_params("money_cycles", {"account_id": 5})

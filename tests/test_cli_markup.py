"""Paths, ids and reasons are printed as text, never read as rich markup."""

from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.cli.account import render_view

_register()
runner = CliRunner()


def test_a_path_with_brackets_is_shown_whole_and_exits_2(tmp_path):
    data = tmp_path / "data[old]"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id\na1\n")  # no orders table: exit 2
    result = runner.invoke(app, ["analyze", str(data), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "data[old]" in "".join(result.output.split())
    assert "MarkupError" not in result.output


def test_a_closing_tag_in_a_path_does_not_crash(tmp_path):
    data = tmp_path / "x[" / "b]"  # the path holds "[/b]"
    data.mkdir(parents=True)
    result = runner.invoke(app, ["analyze", str(data), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "x[/b]" in "".join(result.output.split())


def test_analyze_prints_an_out_path_with_brackets(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    (data / "orders.csv").write_text(
        "order_id,buyer_id,seller_id,amount,created_at\no1,b,s,5,2026-01-01T00:00:00Z\n"
    )
    out = tmp_path / "snap[/bold]"
    result = runner.invoke(app, ["analyze", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"writtento{out}" in "".join(result.output.split())


def test_the_account_view_prints_ids_that_look_like_markup():
    from io import StringIO

    from rich.console import Console

    view = {
        "account_id": "[/x]",
        "risk_level": "review",
        "risk_score": 0.5,
        "reason_codes": ["SELF_DEALING"],
        "snapshot_id": "s[1]",
        "ruleset_version": "[v]",
        "computed_at": "2026-01-01T00:00:00Z",
        "adjusted_gmv": 1.0,
        "flags": [
            {
                "code": "SELF_DEALING",
                "severity": "review",
                "score": 0.5,
                "reason": "[red]x[/] bought",
                "evidence": {"puppets": ["[/y]"]},
            }
        ],
        "cluster": {
            "cluster_id": "C1",
            "size": 2,
            "identifier_kinds": ["phone"],
            "members": [{"account_id": "[/z]", "identifier_kinds": ["[b]"]}],
        },
        "rings": [],
        "concentration": None,
    }
    out = StringIO()
    render_view(view, Console(file=out, width=200))
    text = out.getvalue()
    for shown in ("[/x]", "[/z]", "[red]x[/] bought", "s[1]", "[v]"):
        assert shown in text, shown

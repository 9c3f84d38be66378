"""``linkguard backtest``: risk flags against loan outcomes, point in time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, err_console, print_json
from linkguard.cli.loans import HTML_OPTION, write_html


@app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard backtest samples/market\n\n"
        "  linkguard backtest data/ --snapshots snaps/ --target dpd30 --format json\n\n"
        "  linkguard backtest data/ --html backtest.html"
    )
)
def backtest(
    data_dir: Path = typer.Argument(..., help="Data directory with loans (and repayments)."),
    snapshot: Path | None = typer.Option(
        None,
        "--snapshot",
        help="One point-in-time snapshot (made with analyze --as-of); "
        "applications before its as_of are left out.",
    ),
    snapshots: Path | None = typer.Option(
        None,
        "--snapshots",
        help="A folder of point-in-time snapshots; each application is "
        "joined to the latest one at or before it. Without --snapshot(s) the data is analysed "
        "as of every month start.",
    ),
    target: str = typer.Option(
        "first_overdue",
        "--target",
        help="first_overdue (首逾), defaulted, or dpd30 (30+ days "
        "past due in the first three months on book).",
    ),
    ruleset: Path | None = typer.Option(
        None, "--ruleset", help="Ruleset for the monthly snapshots (default: the shipped one)."
    ),
    html: Path | None = HTML_OPTION,
    fmt: str = FORMAT_OPTION,
) -> None:
    """Measure each flag, risk level and score band against loan outcomes: bad rate, lift,
    drop, approval cost, KS, IV and a cut-off sweep."""
    from linkguard.loans.runs import read_loan_market, risk_views, run_backtest

    market = read_loan_market(data_dir)
    views = risk_views(
        market,
        snapshot=snapshot,
        snapshots=snapshots,
        ruleset_path=ruleset,
        on_month=lambda t: err_console.print(f"[dim]analysing as of {t:%Y-%m-%d}...[/]"),
    )
    report, _ = run_backtest(market, views, target)
    if html is not None:
        from linkguard.loans.report_pages import backtest_page

        write_html(html, backtest_page(report))
    if fmt == "json":
        print_json(report)
        return
    _print(report)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    console.print(
        f"target [bold]{report['target']}[/]: {report['applications']:,} applications, "
        f"bad rate {_fmt(report['bad_rate'])}, KS {_fmt(report['ks'])}, IV {_fmt(report['iv'])}"
        f" ({report['applications_without_view']:,} before the first snapshot left out)"
    )
    table = Table(show_edge=False)
    for col in (
        "by",
        "value",
        "apps",
        "share",
        "bad rate",
        "lift",
        "rest if rejected",
        "drop",
        "goods",
    ):
        table.add_column(col, justify="left" if col in ("by", "value") else "right")
    for s in report["segments"]:
        if not s["applications"]:
            continue
        table.add_row(
            s["by"],
            s["value"],
            f"{s['applications']:,}",
            _fmt(s["share"]),
            _fmt(s["bad_rate"]),
            _fmt(s["lift"]),
            _fmt(s["bad_rate_if_rejected"]),
            _fmt(s["drop"]),
            f"{s['goods']:,}",
        )
    console.print(table)

"""``linkguard vintage`` and ``linkguard funnel``: how the book performs after the decision."""

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
        "  linkguard vintage samples/market\n\n"
        "  linkguard vintage data/ --by product --format json\n\n"
        "  linkguard vintage data/ --by risk_level --snapshots snaps/ --html vintage.html"
    )
)
def vintage(
    data_dir: Path = typer.Argument(..., help="Data directory with loans and repayments."),
    by: str | None = typer.Option(
        None,
        "--by",
        help="product, or risk_level (at application; from --snapshots, or "
        "from the data analysed as of every month start).",
    ),
    snapshots: Path | None = typer.Option(
        None, "--snapshots", help="A folder of point-in-time snapshots for --by risk_level."
    ),
    max_mob: int = typer.Option(12, "--max-mob", min=1, max=60, help="Last month on book."),
    html: Path | None = HTML_OPTION,
    fmt: str = FORMAT_OPTION,
) -> None:
    """Vintage curves: share of loans (and amount) ever M1+/M2+/M3+ by disbursal month and
    month on book."""
    from linkguard.loans.runs import read_loan_market, risk_views, run_vintage

    market = read_loan_market(data_dir)
    views = None
    if by == "risk_level":
        views = risk_views(
            market,
            snapshots=snapshots,
            on_month=lambda t: err_console.print(f"[dim]analysing as of {t:%Y-%m-%d}...[/]"),
        )
    report = run_vintage(market, by=by, views=views, max_mob=max_mob)
    if html is not None:
        from linkguard.loans.report_pages import vintage_page

        write_html(html, vintage_page(report))
    if fmt == "json":
        print_json(report)
        return
    _print_vintage(report)


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _print_vintage(report: dict[str, Any]) -> None:
    from rich.console import Console

    rows = report["curves"]
    mobs = sorted({r["mob"] for r in rows})
    table = Table(
        title=f"ever M1+ by month on book (as of {report['observed_at']})", show_edge=False
    )
    for col in ("segment", "cohort", "loans", *[f"MOB{m}" for m in mobs]):
        table.add_column(col, justify="left" if col in ("segment", "cohort") else "right")
    cells: dict[tuple[str, str], dict[int, float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for r in rows:
        if r["level"] == "M1+":
            cells.setdefault((r["segment"], r["cohort"]), {})[r["mob"]] = r["share_loans"]
            sizes[(r["segment"], r["cohort"])] = r["loans"]
    for (segment, cohort), values in sorted(cells.items()):
        table.add_row(
            segment, cohort, str(sizes[(segment, cohort)]), *[_pct(values.get(m)) for m in mobs]
        )
    Console().print(table)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard funnel samples/market\n\n"
        "  linkguard funnel data/ --period day --format json --html funnel.html"
    )
)
def funnel(
    data_dir: Path = typer.Argument(..., help="Data directory with loans (and repayments)."),
    period: str = typer.Option("month", "--period", help="month or day."),
    html: Path | None = HTML_OPTION,
    fmt: str = FORMAT_OPTION,
) -> None:
    """The application funnel: applied -> approved -> disbursed -> repaid on time, new vs
    returning borrowers, and the re-borrow rate."""
    from linkguard.loans.runs import read_loan_market, run_funnel

    report = run_funnel(read_loan_market(data_dir), period=period)
    if html is not None:
        from linkguard.loans.report_pages import funnel_page

        write_html(html, funnel_page(report))
    if fmt == "json":
        print_json(report)
        return
    from rich.console import Console

    table = Table(title=f"funnel by {report['period']}", show_edge=False)
    steps = ("applied", "approved", "disbursed", "due", "repaid_on_time")
    for col in ("period", "borrowers", *steps):
        table.add_column(col, justify="left" if col in ("period", "borrowers") else "right")
    for r in report["periods"]:
        table.add_row(r["period"], r["borrowers"], *[f"{r[s]:,}" for s in steps])
    console = Console()
    console.print(table)
    rb = report["reborrow"]
    console.print(
        f"re-borrow rate (复借率): {_pct(rb['reborrow_rate'])} "
        f"({rb['borrowed_again']:,} of {rb['settled_borrowers']:,} borrowers who "
        "settled a loan borrowed again)"
    )

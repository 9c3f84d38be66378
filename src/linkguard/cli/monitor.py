"""``linkguard monitor``: post-loan alerts between two snapshots."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.table import Table

from linkguard.cli import app
from linkguard.cli._common import err_console
from linkguard.cli.loans import HTML_OPTION, write_html


@app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard monitor snaps/2026-01-01 snaps/2026-02-01 --data data/\n\n"
        "  linkguard monitor old/ new/ --data data/ --html alerts.html > alerts.jsonl"
    )
)
def monitor(
    old_snapshot: Path = typer.Argument(..., help="The earlier snapshot."),
    new_snapshot: Path = typer.Argument(..., help="The later snapshot."),
    data: Path = typer.Option(..., "--data", help="Data directory with loans and repayments."),
    html: Path | None = HTML_OPTION,
) -> None:
    """Flags raised, escalated or cleared on borrowers with an open loan: one JSON alert per
    line on stdout, a summary table on stderr."""
    from linkguard.loans.runs import read_loan_market, run_monitor

    report = run_monitor(old_snapshot, new_snapshot, read_loan_market(data))
    for alert in report["alerts"]:
        sys.stdout.write(orjson.dumps(alert).decode() + "\n")
    sys.stdout.flush()
    if html is not None:
        from linkguard.loans.report_pages import monitor_page

        write_html(html, monitor_page(report))
    table = Table(
        title=f"alerts on {report['open_borrowers']:,} open borrowers "
        f"({report['old_snapshot_id']} -> {report['new_snapshot_id']})",
        show_edge=False,
    )
    for col in ("kind", "borrowers", "outstanding"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for row in report["summary"]:
        table.add_row(row["kind"], f"{row['borrowers']:,}", f"{row['outstanding']:,.2f}")
    err_console.print(table)

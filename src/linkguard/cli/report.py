"""``linkguard report``: a self-contained HTML evidence report."""

from __future__ import annotations

from pathlib import Path

import typer

from linkguard.cli import app
from linkguard.cli._common import err_console
from linkguard.errors import InputError
from linkguard.serving.lookup import is_valid_account_id

__all__ = ["report"]


@app.command()
def report(
    snapshot: Path = typer.Option(..., "--snapshot", help="The snapshot directory to report on."),
    data: Path = typer.Option(
        ..., "--data", help="The data directory the snapshot was computed from."
    ),
    out: Path = typer.Option(..., "--out", help="The HTML file to write."),
    account: str | None = typer.Option(
        None, "--account", help="Report on one account's findings only."
    ),
    browser_url: str | None = typer.Option(
        None,
        "--browser-url",
        envvar="LINKGUARD_BROWSER_URL",
        help="Neo4j Browser's address for the deep links (default: NEO4J_HTTP_URL, the "
        "running dev server, else http://localhost:7474).",
    ),
) -> None:
    """Write a self-contained HTML evidence report (opens with no network).

    Totals and flags by code and level; the riskiest sellers with the share of their GMV
    that is fake and the adjusted GMV a limit should use; rings, self-dealing sellers,
    linked clusters, money cycles and lockstep groups drawn as their evidence graphs, with
    the lockstep groups' orders on a time axis; the spread of revenue concentration. Each
    finding links to its evidence graph in Neo4j Browser.

    Examples:

        linkguard report --snapshot out/snapshot --data samples/market --out report.html

        linkguard report --snapshot out/snapshot --data samples/market --out one.html \
            --account u11716484
    """
    from linkguard.report import build_report

    if account is not None and not is_valid_account_id(account):
        raise InputError("not a valid account id: 1-128 of A-Z a-z 0-9 _ . : @ - (not '.' or '..')")
    written = build_report(snapshot, data, out, account=account, browser_url=browser_url)
    err_console.print(f"report written to {written}", highlight=False)

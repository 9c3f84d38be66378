"""``linkguard flags``: the review queue, read from a snapshot without Neo4j."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, cast

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from linkguard.cli import app
from linkguard.cli._common import print_json
from linkguard.errors import InputError
from linkguard.serving.browser_links import AccountLinks
from linkguard.serving.review_queue import RANKINGS, read_queue_inputs, review_queue

__all__ = ["flags", "queue_records"]

_FORMATS = ("table", "json", "csv")
_STYLES = {"info": "cyan", "review": "yellow", "decline": "bold red"}


@app.command()
def flags(
    snapshot: Path = typer.Option(..., "--snapshot", help="The snapshot directory to read."),
    code: str | None = typer.Option(
        None, "--code", help="Only accounts with a flag of this code, e.g. BRUSHING_RING."
    ),
    level: str | None = typer.Option(
        None, "--level", help="Only accounts at this risk level or above: info, review, decline."
    ),
    min_exposure: float | None = typer.Option(
        None, "--min-exposure", help="Only accounts with at least this much money at stake."
    ),
    top: int | None = typer.Option(None, "--top", help="Only the first N accounts."),
    by: str = typer.Option(
        "risk", "--by", help="risk: level, then money at stake, then score; exposure: money first."
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="The data directory, for loan amounts (when the snapshot holds no loans.parquet).",
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    browser_url: str | None = typer.Option(
        None,
        "--browser-url",
        envvar="LINKGUARD_BROWSER_URL",
        help="Neo4j Browser's address for each JSON row's browser_link (default: "
        "NEO4J_HTTP_URL, the running dev server, else http://localhost:7474).",
    ),
) -> None:
    """List flagged accounts ranked by risk and by the money at stake (the review queue).

    One line per account, decline first, then review, then info, and within a level the
    most money at stake first (--by exposure: money first). Columns: risk level and score,
    exposure (the larger of its GMV and the loans it applied for), GMV, the share of it
    that is fake (ring, self-dealing and circular orders), the adjusted GMV a limit should
    use, loans, and its top reason. JSON rows also carry browser_link, the Neo4j Browser
    address that draws the account's neighbourhood.

    Examples:

        linkguard flags --snapshot out/snapshot --level review --top 20

        linkguard flags --snapshot out/snapshot --code BRUSHING_RING --data samples/market

        linkguard flags --snapshot out/snapshot --by exposure --min-exposure 1000 -f csv
    """
    if fmt not in _FORMATS:
        raise InputError(f"--format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    if by not in RANKINGS:
        raise InputError(f"--by must be one of {', '.join(RANKINGS)}, not {by!r}")
    tables = read_queue_inputs(snapshot, data)
    queue = review_queue(*tables, code=code, level=level, min_exposure=min_exposure, top=top, by=by)
    if fmt == "json":
        links = AccountLinks(browser_url)
        print_json(
            [{**row, "browser_link": links.link(row["account_id"])} for row in queue_records(queue)]
        )
    elif fmt == "csv":
        out = queue.assign(reason_codes=queue["reason_codes"].map(";".join))
        out.to_csv(sys.stdout, index=False, float_format="%.6g")
    else:
        _print_table(queue, loans_known=tables[3] is not None)


def queue_records(queue: pd.DataFrame) -> list[dict[str, Any]]:
    """The queue as JSON-ready records (NaN becomes null; counts become integers)."""
    records = cast(list[dict[str, Any]], queue.to_dict("records"))
    for row in records:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
        for key in ("rank", "loans"):
            if row[key] is not None:
                row[key] = int(row[key])
    return records


def _money(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:,.0f}"


def _print_table(queue: pd.DataFrame, *, loans_known: bool) -> None:
    console = Console()
    if queue.empty:
        console.print("No flagged account matches.")
        return
    table = Table(title=f"Review queue: {len(queue)} accounts", title_justify="left")
    rows = []
    for row in cast(list[dict[str, Any]], queue.to_dict("records")):
        share = "" if math.isnan(row["fake_share"]) else f"{row['fake_share']:.0%}"
        rows.append(
            (
                str(row["rank"]),
                str(row["account_id"]),
                str(row["risk_level"]),
                f"{row['risk_score']:.2f}",
                _money(row["exposure"]),
                _money(row["gmv"]),
                share,
                _money(row["adjusted_gmv"]),
                _money(row["loan_amount"]) if loans_known else "?",
                f"{row['top_code']}: {row['top_reason']}",
            )
        )
    headers = (
        "#",
        "account",
        "level",
        "score",
        "exposure",
        "GMV",
        "fake",
        "adj. GMV",
        "loans",
        "top reason",
    )
    widths = [max(len(name), *(len(r[i]) for r in rows)) for i, name in enumerate(headers)]
    # One line per account: the reason gets the width left (3 per column for the borders
    # and padding) and is cut short; --format json or csv has it whole.
    left = console.width - sum(widths[:-1]) - 3 * len(headers) - 1
    for i, name in enumerate(headers):
        last = i == len(headers) - 1
        table.add_column(
            name,
            justify="left" if i in (1, 2) or last else "right",
            no_wrap=True,
            overflow="ellipsis" if last else "fold",
            min_width=None if last else widths[i],
            max_width=max(12, left) if last else None,
        )
    for r in rows:
        table.add_row(*r[:2], f"[{_STYLES.get(r[2], '')}]{r[2]}", *r[3:])
    console.print(table)
    if not loans_known:
        console.print(
            "loans: unknown (give --data DATA_DIR to count loan applications)", style="dim"
        )

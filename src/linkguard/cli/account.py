"""``linkguard account``: the investigator's view of one account in a snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, print_json
from linkguard.errors import InputError
from linkguard.ids import ID_RULE
from linkguard.lookup import FlagIndex, is_valid_account_id

__all__ = ["account", "render_view"]

#: Members listed per cluster or ring in the text view; JSON lists them all.
_SHOWN_MEMBERS = 25
_LEVEL_STYLES = {"none": "green", "info": "cyan", "review": "yellow", "decline": "bold red"}


@app.command()
def account(
    account_id: str = typer.Argument(..., help="The account to look up."),
    snapshot: Path = typer.Option(..., "--snapshot", help="The snapshot directory to read."),
    fmt: str = FORMAT_OPTION,
    browser_url: str | None = typer.Option(
        None,
        "--browser-url",
        envvar="LINKGUARD_BROWSER_URL",
        help="Neo4j Browser's address for browser_link (default: NEO4J_HTTP_URL, the "
        "running dev server, else http://localhost:7474).",
    ),
) -> None:
    """Show what a snapshot says about one account (the investigator's view).

    Risk level and score, each flag with its reason and evidence, its linked-account
    cluster, its rings and, for a seller, its revenue concentration. An account without
    findings shows risk level none (exit 0); a missing snapshot exits 2.

    Examples:

        linkguard account acct-00000042 --snapshot out/snapshot

        linkguard account acct-00000042 --snapshot out/snapshot --format json | jq .flags
    """
    # Errors propagate as LinkguardError: the entry point prints them and exits with their
    # code (2 for a bad id or a missing snapshot).
    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, not {fmt!r}")
    if not is_valid_account_id(account_id):
        raise InputError(f"not a valid account id: {ID_RULE}")
    view = FlagIndex.load(snapshot, only=[account_id], browser_url=browser_url).view(account_id)
    if fmt == "json":
        print_json(view)
    else:
        render_view(view, Console())


def render_view(view: dict[str, Any], console: Console) -> None:
    """Print an account view (from :meth:`FlagIndex.view`) as rich tables.

    Parameters
    ----------
    view : dict
        The account view.
    console : rich.console.Console
        Where to print.
    """
    level = view["risk_level"]
    head = Text.assemble(
        ("Account ", "bold"),
        (view["account_id"], "bold"),
        "  risk ",
        (level, _LEVEL_STYLES.get(level, "")),
        f"  score {view['risk_score']:.2f}",
    )
    console.print(head)
    if view["reason_codes"]:
        console.print(Text("Reasons: " + ", ".join(view["reason_codes"])))
    console.print(
        Text(f"Snapshot {view['snapshot_id']} (ruleset {view['ruleset_version']}, "
             f"computed {view['computed_at']})"),
        style="dim",
    )
    if view["adjusted_gmv"] is not None:
        console.print(f"Adjusted GMV: {view['adjusted_gmv']:,.2f}")
    _flags(view["flags"], console)
    _cluster(view.get("cluster"), console)
    for ring in view.get("rings") or ():
        _ring(ring, console)
    _concentration(view.get("concentration"), console)


def _flags(flags: list[dict[str, Any]], console: Console) -> None:
    if not flags:
        console.print("No flags.")
        return
    table = Table(title="Flags", title_justify="left", show_lines=True)
    for col in ("code", "severity", "score", "reason", "evidence"):
        table.add_column(col, overflow="fold")
    for f in flags:
        table.add_row(
            escape(f["code"]),
            Text(f["severity"], _LEVEL_STYLES.get(f["severity"], "")),
            f"{f['score']:.2f}",
            escape(f["reason"]),
            escape(orjson.dumps(f["evidence"]).decode()),
        )
    console.print(table)


def _members(members: list[dict[str, Any]], key: str, console: Console, title: str) -> None:
    # The heading goes on its own line: a table title would wrap at the narrow table's width.
    console.print(Text(title), style="bold", highlight=False)
    table = Table()
    table.add_column("account_id")
    table.add_column(key)
    for m in members[:_SHOWN_MEMBERS]:
        value = m[key]
        shown = ", ".join(value) if isinstance(value, list) else value
        # Ids are data: "[/x]" is an account id here, not the end of a style.
        table.add_row(Text(m["account_id"]), Text(shown))
    console.print(table)
    if len(members) > _SHOWN_MEMBERS:
        console.print(f"... and {len(members) - _SHOWN_MEMBERS} more (see --format json)")


def _cluster(cluster: dict[str, Any] | None, console: Console) -> None:
    if cluster is None:
        return
    _members(
        cluster["members"],
        "identifier_kinds",
        console,
        f"Linked cluster {cluster['cluster_id']}: {cluster['size']} accounts sharing "
        f"{', '.join(cluster['identifier_kinds']) or 'identifiers'}",
    )


def _ring(ring: dict[str, Any], console: Console) -> None:
    density = "n/a" if ring["density"] is None else f"{ring['density']:.2f}"
    score = "n/a" if ring["ring_score"] is None else f"{ring['ring_score']:.2f}"
    _members(
        ring["other_members"],
        "role",
        console,
        f"Ring {ring['ring_id']}: role {ring['role']}, score {score}, density {density}, "
        f"{ring['size']} members",
    )


def _concentration(figures: dict[str, Any] | None, console: Console) -> None:
    if figures is None:
        return
    table = Table(title="Revenue concentration (seller)", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        shown = (
            "n/a"
            if value is None
            else (
                f"{value:,.4g}"
                if isinstance(value, float) and abs(value) < 1
                else f"{value:,.2f}"
                if isinstance(value, float)
                else f"{value:,}"
            )
        )
        table.add_row(name, shown)
    console.print(table)

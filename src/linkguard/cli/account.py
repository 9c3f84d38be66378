"""``linkguard account``: the investigator's view of one account in a snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, print_json
from linkguard.errors import InputError
from linkguard.ids import ID_RULE
from linkguard.serving.lookup import FlagIndex, is_valid_account_id

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
    findings shows risk level none (exit 0); an id the analysed market never held says so
    (known: false); a missing snapshot exits 2.

    Examples:

        linkguard account u11716484 --snapshot out/snapshot

        linkguard account u11716484 --snapshot out/snapshot --format json | jq .flags
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
    if not view.get("known", True):
        console.print(
            Text(
                f"Not in the analysed market: no account {view['account_id']} took part in it, "
                "so risk level none means no data, not a clean record. Check the id.",
                style="bold yellow",
            ),
            highlight=False,
        )
    elif view.get("first_seen"):
        console.print(
            Text(
                f"In the market from {view['first_seen']} to {view['last_seen']} (first and last "
                "order)"
            ),
            highlight=False,
        )
    elif "known" in view:
        console.print("In the market, without orders of its own", highlight=False)
    if view["reason_codes"]:
        console.print(Text("Reasons: " + ", ".join(view["reason_codes"])))
    console.print(
        Text(
            f"Snapshot {view['snapshot_id']} (ruleset {view['ruleset_version']}, "
            f"computed {view['computed_at']})"
        ),
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
    table.add_column("code")
    table.add_column("severity")
    table.add_column("score", justify="right")
    table.add_column("reason", overflow="fold", ratio=1)
    for f in flags:
        table.add_row(
            escape(f["code"]),
            Text(f["severity"], _LEVEL_STYLES.get(f["severity"], "")),
            f"{f['score']:.2f}",
            escape(f["reason"]),
        )
    console.print(table)
    console.print(
        "A flag's score (0-1) is how strongly the ruleset weighs that finding against this "
        "account. A ring's ring_score is the peeling score of its buyer-seller block "
        "(camouflage-weighted orders per member, not capped at 1), the same for every member.",
        style="dim",
        highlight=False,
    )
    for f in flags:
        _evidence(f, console)


def _evidence(flag: dict[str, Any], console: Console) -> None:
    """One flag's evidence as a two-column table; lists wrap between items, not inside ids."""
    evidence = flag.get("evidence") or {}
    if not evidence:
        return
    # The heading goes on its own line: a table title would wrap at the narrow table's width.
    console.print(f"Evidence: {flag['code']}", style="bold", highlight=False)
    table = Table(show_header=False)
    table.add_column("fact", style="bold")
    table.add_column("value", ratio=1)
    for key, value in evidence.items():
        # ids and reasons are data, never rich markup
        table.add_row(Text(key), Text(_evidence_value(value)))
    console.print(table)


def _evidence_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        shown = [_evidence_value(v) for v in value]
        return f"{', '.join(shown)} ({len(shown)})" if len(shown) > 3 else ", ".join(shown)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_evidence_value(v)}" for k, v in value.items())
    return str(value)


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
        table.add_row(Text(name), shown)
    console.print(table)

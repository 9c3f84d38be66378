"""``linkguard analyze``: the main job."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, err_console, print_json
from linkguard.detection import StageTimer

STAGE_TEXT = {
    "ingest": "reading and validating input",
    "graph": "building graphs",
    "linked": "linking accounts",
    "rings": "peeling dense rings",
    "lockstep": "finding lockstep groups",
    "cycles": "searching money cycles",
    "concentration": "measuring concentration",
    "flags": "scoring flags",
    "neo4j load": "loading the graph into Neo4j",
    "neo4j read": "reading the graph back from Neo4j",
    "write": "writing snapshot",
}


@app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard analyze samples/market --out out/snapshot\n\n"
        "  linkguard analyze data/ --out snapshots/day --ruleset rules.toml --format json\n\n"
        "  linkguard analyze samples/market --out out/neo4j-snapshot --engine neo4j"
    )
)
def analyze(
    data_dir: Path = typer.Argument(..., help="Data directory: orders, accounts, identifiers, "
                                    "loans as .csv, .csv.gz or .parquet."),
    out: Path = typer.Option(..., "--out", "-o", help="Snapshot directory to write (atomically)."),
    ruleset: Path | None = typer.Option(
        None, "--ruleset", help="Ruleset TOML file (default: the shipped ruleset)."
    ),
    engine: str = typer.Option(
        "igraph", "--engine", help="igraph (in memory, the default) or neo4j (load the data "
        "into the database at NEO4J_URI and detect on the graph read back from it)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace --out even when it is a non-empty folder that is no "
        "linkguard snapshot (never the data directory or a folder holding it)."
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Ingest a data directory, detect fraud structures, and write a snapshot of risk flags.

    --out must be a new or empty folder or a previous snapshot (one with summary.json); any
    other folder is refused with exit code 2 unless --force is given, and the data directory
    is never written. A second analyze writing the same --out at the same time exits 2.
    """
    from linkguard.analysis import run_analysis

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def on_stage(name: str) -> None:
            progress.update(task, description=STAGE_TEXT.get(name, name))
            if not err_console.is_terminal:
                err_console.print(f"[dim]{STAGE_TEXT.get(name, name)}...[/]")

        snapshot = run_analysis(data_dir, out, ruleset_path=ruleset, engine=engine,
                                timer=StageTimer(progress=on_stage), force=force)
    summary = snapshot.summary
    if fmt == "json":
        print_json(summary)
        return
    _print_summary(summary, out)


def _print_summary(summary: dict[str, object], out: Path) -> None:
    from rich.console import Console

    console = Console()
    inputs = summary.get("inputs", {})
    table = Table(title="input", show_edge=False)
    for col in ("table", "rows in", "loaded", "quarantined"):
        table.add_column(col, justify="right" if col != "table" else "left")
    assert isinstance(inputs, dict)
    for name, rep in inputs.items():
        table.add_row(escape(name), f"{rep['rows_in']:,}", f"{rep['rows_loaded']:,}",
                      f"{rep['rows_quarantined']:,}")
    console.print(table)
    flags = summary.get("flags", {})
    assert isinstance(flags, dict)
    ftable = Table(title="flags", show_edge=False)
    ftable.add_column("code")
    ftable.add_column("accounts", justify="right")
    for code, count in flags.items():
        ftable.add_row(code, f"{count:,}")
    console.print(ftable)
    console.print(
        f"snapshot [bold]{escape(str(summary['snapshot_id']))}[/] written to {escape(str(out))} "
        f"({summary['flagged_accounts']:,} flagged accounts of {summary['accounts']:,})"
    )

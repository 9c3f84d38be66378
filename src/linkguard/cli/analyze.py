"""``linkguard analyze``: the main job."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, err_console, print_json
from linkguard.errors import InputError
from linkguard.pipeline.snapshot import Snapshot
from linkguard.pipeline.timing import StageTimer

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
        "  linkguard analyze samples/market --out out/neo4j-snapshot --engine neo4j\n\n"
        "  linkguard analyze samples/market --out snaps/2026-01 --as-of 2026-01-01\n\n"
        "  linkguard analyze samples/market --out out/spark-snapshot --engine spark "
        "--master 'local[2]' --spark-conf spark.driver.memory=2g"
    )
)
def analyze(
    data_dir: Path = typer.Argument(
        ...,
        help="Data directory: orders, accounts, identifiers, loans as .csv, .csv.gz or .parquet.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Snapshot directory to write (atomically)."),
    ruleset: Path | None = typer.Option(
        None, "--ruleset", help="Ruleset TOML file (default: the shipped ruleset)."
    ),
    engine: str = typer.Option(
        "igraph",
        "--engine",
        help="igraph (in memory, the default), neo4j (load the data "
        "into the database at NEO4J_URI and detect on the graph read back from it) or spark "
        "(Apache Spark DataFrames; see docs/spark.md).",
    ),
    master: str | None = typer.Option(
        None,
        "--master",
        help="Spark master for --engine spark: local[2], spark://HOST:7077, "
        "yarn (default: what spark-submit set, else local[*]).",
    ),
    spark_conf: list[str] = typer.Option(
        [], "--spark-conf", help="Spark setting KEY=VALUE for --engine spark (repeatable)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace --out even when it is a non-empty folder that is no "
        "linkguard snapshot (never the data directory or a folder holding it).",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Analyse only what was known at this ISO-8601 time: orders "
        "created before it, no loan outcomes or account statuses (for backtests).",
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Ingest a data directory, detect fraud structures, and write a snapshot of risk flags.

    --out must be a new or empty folder or a previous snapshot (one with summary.json); any
    other folder is refused with exit code 2 unless --force is given, and the data directory
    is never written. A second analyze writing the same --out at the same time exits 2.
    """
    from linkguard._kernel_cache import FIRST_RUN_NOTE, kernels_cached
    from linkguard.cli.loans import parse_time_option
    from linkguard.engines import analyze_with_engine

    cutoff = parse_time_option("--as-of", as_of)

    if not kernels_cached():
        err_console.print(FIRST_RUN_NOTE, style="dim", highlight=False)

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def on_stage(name: str) -> None:
            progress.update(task, description=STAGE_TEXT.get(name, name))
            if not err_console.is_terminal:
                err_console.print(f"[dim]{STAGE_TEXT.get(name, name)}...[/]")

        if engine == "spark":
            snapshot = _run_spark(
                data_dir,
                out,
                ruleset,
                master,
                spark_conf,
                StageTimer(progress=on_stage),
                force=force,
            )
        else:
            snapshot = analyze_with_engine(
                data_dir,
                out,
                ruleset_path=ruleset,
                engine=engine,
                timer=StageTimer(progress=on_stage),
                force=force,
                as_of=cutoff,
            )
    summary = snapshot.summary
    if fmt == "json":
        print_json(summary)
        return
    _print_summary(summary, out)


def _run_spark(
    data_dir: Path,
    out: Path,
    ruleset: Path | None,
    master: str | None,
    spark_conf: list[str],
    timer: StageTimer,
    *,
    force: bool = False,
) -> Snapshot:
    try:
        from linkguard.spark.engine import run_spark_analysis
        from linkguard.spark.session import parse_conf
    except ImportError as exc:
        raise InputError("--engine spark needs pyspark: pip install 'linkguard[spark]'") from exc
    try:
        conf = parse_conf(spark_conf)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return run_spark_analysis(
        str(data_dir), out, ruleset_path=ruleset, master=master, conf=conf, timer=timer, force=force
    )


def _print_summary(summary: dict[str, object], out: Path) -> None:
    from rich.console import Console

    console = Console()
    inputs = summary.get("inputs", {})
    table = Table(title="input", show_edge=False)
    for col in ("table", "rows in", "loaded", "quarantined"):
        table.add_column(col, justify="right" if col != "table" else "left")
    assert isinstance(inputs, dict)
    for name, rep in inputs.items():
        table.add_row(
            escape(name),
            f"{rep['rows_in']:,}",
            f"{rep['rows_loaded']:,}",
            f"{rep['rows_quarantined']:,}",
        )
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

"""``linkguard neo4j load``: ingest a data directory and load it into Neo4j.

The batched MERGE load (with a progress bar) and, with ``--bulk``, the bulk importer
(:mod:`linkguard.cli.neo4j_bulk`). The server is found through ``NEO4J_URI``, ``NEO4J_USER``,
``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from linkguard.cli import neo4j_app
from linkguard.cli._common import FORMAT_OPTION, err_console, print_json
from linkguard.errors import InputError

__all__ = ["load"]


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, got {fmt!r}")


@contextmanager
def _progress(title: str) -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        yield progress


@neo4j_app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard neo4j load samples/market\n\n"
        "  linkguard analyze samples/market --out out/snap && "
        "linkguard neo4j load samples/market --snapshot out/snap --replace\n\n"
        "  linkguard neo4j load samples/market --snapshot out/snap --bulk"
    )
)
def load(
    data_dir: Path = typer.Argument(
        ...,
        help="Data directory (orders, accounts, identifiers, loans as .csv, .csv.gz or .parquet).",
    ),
    snapshot: Path | None = typer.Option(
        None,
        "--snapshot",
        help="Also write this snapshot's findings (flags, clusters, rings, "
        "concentration) onto the graph.",
    ),
    batch_size: int = typer.Option(
        20_000, "--batch-size", min=1, help="Rows per transaction (10,000-50,000 load fastest)."
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="Delete linkguard's nodes first, so the graph holds this "
        "market only (default: merge into what is there).",
    ),
    bulk: bool = typer.Option(
        False,
        "--bulk",
        help="Initial load through Neo4j's bulk importer: replaces the whole database. On the "
        "running dev server it stops the database, imports and starts it again; otherwise (or "
        "with --files-dir) it writes the importer's files and prints the neo4j-admin command "
        "to run.",
    ),
    bulk_finish: bool = typer.Option(
        False,
        "--bulk-finish",
        help="After a neo4j-admin import: create the schema and write --snapshot's findings.",
    ),
    server_dir: Path = typer.Option(
        Path(".neo4j"),
        "--dev-server-dir",
        envvar="LINKGUARD_NEO4J_DATA_DIR",
        help="Data directory of the dev server --bulk loads into.",
    ),
    files_dir: Path | None = typer.Option(
        None, "--files-dir", help="With --bulk: only write the importer's files here."
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Ingest a data directory and load it into Neo4j (idempotent: safe to run again)."""
    from linkguard.cli import neo4j_bulk
    from linkguard.io import read_market
    from linkguard.neo4j.driver import connect
    from linkguard.neo4j.loader import load_market
    from linkguard.neo4j.writeback import write_findings
    from linkguard.pipeline.snapshot import read_snapshot

    _check_format(fmt)
    if bulk and bulk_finish:
        raise InputError("--bulk and --bulk-finish are two steps: give one of them")
    # Read the snapshot first: a bad path should fail before anything is written.
    snap = read_snapshot(snapshot) if snapshot is not None else None
    if bulk_finish:
        neo4j_bulk.emit(neo4j_bulk.finish_bulk(snap, fmt), fmt)
        return
    if bulk:
        market = read_market(data_dir)
        out_bulk = neo4j_bulk.run_bulk(
            market,
            snap,
            data_dir=data_dir,
            snapshot_path=snapshot,
            server_dir=server_dir,
            files_dir=files_dir,
            fmt=fmt,
        )
        neo4j_bulk.emit(out_bulk, fmt)
        return
    out: dict[str, Any] = {}
    with _progress("load") as progress:
        task = progress.add_task("ingest", total=None)

        def on_ingest(step: str, done: int, total: int) -> None:
            progress.update(task, description="ingest", completed=done, total=total)

        market = read_market(data_dir, progress=on_ingest)
        seen: set[str] = set()

        def on_batch(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)
            if not err_console.is_terminal and stage not in seen:
                seen.add(stage)
                err_console.print(f"[dim]loading {stage}...[/]")

        with connect() as graph:
            report = load_market(
                market, batch_size=batch_size, progress=on_batch, runner=graph, replace=replace
            )
            out["load"] = report.as_dict()
            if snap is not None:
                progress.update(task, description="findings", completed=0, total=None)

                def on_findings(step: str, done: int, total: int) -> None:
                    progress.update(task, description=step, completed=done, total=total)

                out["findings"] = write_findings(
                    snap, runner=graph, progress=on_findings, batch_size=min(batch_size, 5_000)
                ).as_dict()
    out["inputs"] = {
        name: {
            "rows_in": r.rows_in,
            "rows_loaded": r.rows_loaded,
            "rows_quarantined": r.rows_quarantined,
        }
        for name, r in market.reports.items()
    }
    if fmt == "json":
        print_json(out)
        return
    _print_load(out)


def _print_load(out: dict[str, Any]) -> None:
    console = Console()
    rep = out["load"]
    table = Table(title="loaded into Neo4j", show_edge=False)
    table.add_column("graph")
    table.add_column("count", justify="right")
    for label, key in (
        ("Account nodes", "accounts"),
        ("Identifier nodes", "identifiers"),
        ("USES", "uses"),
        ("BOUGHT_FROM (buyer-seller pairs)", "trades"),
        ("orders on BOUGHT_FROM", "orders"),
        ("Loan nodes / APPLIED_FOR", "loans"),
    ):
        table.add_row(label, f"{rep[key]:,}")
    console.print(table)
    rate = rep["relationships"] / rep["seconds"] if rep["seconds"] else 0.0
    console.print(
        f"{rep['relationships']:,} relationships in {rep['batches']:,} batches, "
        f"{rep['seconds']:.1f} s ({rate:,.0f} relationships/s); "
        f"created {rep['counters'].get('nodes_created', 0):,} nodes and "
        f"{rep['counters'].get('relationships_created', 0):,} relationships"
    )
    if "findings" in out:
        f = out["findings"]
        console.print(
            f"findings of snapshot {f['snapshot_id']}: {f['flagged']:,} flagged accounts, "
            f"{f['clusters']:,} clusters, {f['rings']:,} rings, {f['sellers']:,} sellers' "
            "concentration"
        )
        if f["missing_accounts"]:
            err_console.print(
                f"[yellow]warning:[/] {f['missing_accounts']:,} snapshot accounts are not in "
                "the graph: is the snapshot of this data directory?"
            )

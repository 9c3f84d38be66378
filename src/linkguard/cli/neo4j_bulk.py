"""``linkguard neo4j load --bulk``: an initial load through Neo4j's bulk importer.

On the local dev server the whole load runs here (files, stop, import, start, schema,
findings). For any other server the files are written and the ``neo4j-admin`` command to run
where its store is gets printed, followed by the command that finishes the load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from linkguard.cli._common import err_console, print_json
from linkguard.market import Market
from linkguard.pipeline.snapshot import Snapshot

__all__ = ["finish_bulk", "run_bulk"]


def run_bulk(
    market: Market,
    snap: Snapshot | None,
    *,
    data_dir: Path,
    snapshot_path: Path | None,
    server_dir: Path,
    files_dir: Path | None,
    fmt: str,
) -> dict[str, Any]:
    """Bulk-load ``market`` into the dev server of ``server_dir``, or write the files."""
    from linkguard.neo4j import devserver
    from linkguard.neo4j.bulk import write_import_files
    from linkguard.neo4j.bulk_load import bulk_load_dev_server

    if files_dir is None and devserver.status(server_dir).running:

        def on_step(step: str) -> None:
            err_console.print(f"[dim]bulk load: {step}...[/]")

        report = bulk_load_dev_server(market, server_dir, snapshot=snap, progress=on_step)
        result: dict[str, Any] = {"bulk": report.as_dict()}
        if fmt != "json":
            console = Console()
            console.print(
                f"bulk-imported {report.nodes:,} nodes and {report.relationships:,} "
                f"relationships in {report.seconds:.1f} s "
                f"({report.relationships_per_second:,.0f} relationships/s end to end)"
            )
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.step_seconds.items())
            console.print(f"[dim]{escape(steps)}[/]")
        return result

    target = files_dir or Path("out") / "neo4j-import"
    files = write_import_files(market, target)
    finish = ["linkguard", "neo4j", "load", str(data_dir), "--bulk-finish"]
    if snapshot_path is not None:
        finish += ["--snapshot", str(snapshot_path)]
    import_command = files.command(root=files.directory.resolve())
    finish_command = " ".join(finish)
    out: dict[str, Any] = {
        "files": {
            "directory": str(files.directory),
            "counts": files.counts,
            "bytes": files.bytes_written,
            "seconds": files.seconds,
        },
        "import_command": import_command,
        "finish_command": finish_command,
    }
    if fmt != "json":
        console = Console()
        console.print(
            f"wrote the bulk importer's files to {escape(str(files.directory))} "
            f"({files.relationship_count:,} relationships). With the database stopped, run "
            "where its store is (the files must be readable there):"
        )
        console.print(escape(import_command), soft_wrap=True, highlight=False)
        console.print("then start the database and create the schema (and the findings):")
        console.print(escape(finish_command), soft_wrap=True, highlight=False)
    return out


def finish_bulk(snap: Snapshot | None, fmt: str) -> dict[str, Any]:
    """Create the schema after an import and write a snapshot's findings."""
    from linkguard.neo4j.driver import connect
    from linkguard.neo4j.loader import create_schema
    from linkguard.neo4j.writeback import write_findings

    out: dict[str, Any] = {}
    with connect() as graph:
        create_schema(graph)
        out["schema"] = "created"
        if snap is not None:
            out["findings"] = write_findings(snap, runner=graph).as_dict()
    if fmt != "json":
        done = "schema created"
        if "findings" in out:
            done += f"; findings of snapshot {out['findings']['snapshot_id']} written"
        Console().print(done)
    return out


def emit(out: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print_json(out)

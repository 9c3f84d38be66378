"""``linkguard synth``: write a synthetic marketplace with planted fraud and its ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, err_console, fail, print_json
from linkguard.errors import InputError, LinkguardError


@app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard synth out/market --accounts 2000 --seed 7\n\n"
        "  linkguard synth /tmp/big --accounts 200000 --seed 1 --file-format parquet --format json"
        "\n\n"
        "  linkguard synth /tmp/hard --accounts 8000 --seed 11 --difficulty hard\n\n"
        "  linkguard synth /tmp/real --accounts 8000 --seed 31 --difficulty realistic"
    )
)
def synth(
    out_dir: Path = typer.Argument(..., help="Data directory to write (created if needed)."),
    accounts: int = typer.Option(2000, "--accounts", "-n", help="Number of accounts (500+)."),
    seed: int = typer.Option(7, "--seed", "-s", help="Random seed: same arguments, same bytes."),
    orders: int | None = typer.Option(
        None, "--orders", help="Target number of orders (default: 5 per account)."
    ),
    days: int = typer.Option(90, "--days", help="Days of order history."),
    dirty_fraction: float = typer.Option(
        0.001, "--dirty-fraction", help="Share of deliberately bad rows per table (0: none)."
    ),
    file_format: str = typer.Option(
        "csv", "--file-format", help="Format of the four tables: csv or parquet."
    ),
    difficulty: str = typer.Option(
        "standard",
        "--difficulty",
        help="How well rings disguise themselves: standard, hard "
        "(thinner, longer bursts, more camouflage, more phones per farm), or realistic "
        "(standard rings plus one-to-three-shop farms, recruited old accounts and their "
        "honest look-alikes).",
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Write a realistic synthetic marketplace with planted fraud; ground truth goes to truth/."""
    from linkguard.synth import FORMATS, STAGES, generate_market, write_market

    if file_format not in FORMATS:
        raise fail(InputError(f"--file-format must be one of {', '.join(FORMATS)}"))
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task("synth", total=len(STAGES) + 1)

        def on_stage(name: str) -> None:
            progress.update(task, description=name, completed=STAGES.index(name))
            if not err_console.is_terminal:
                err_console.print(f"[dim]{name}...[/]")

        try:
            market = generate_market(
                accounts,
                seed,
                orders,
                days=days,
                dirty_fraction=dirty_fraction,
                difficulty=difficulty,
                progress=on_stage,
            )
        except ValueError as exc:
            raise fail(InputError(str(exc))) from exc
        progress.update(task, description="writing", completed=len(STAGES))
        try:
            files = write_market(market, out_dir, format=file_format)
        except OSError as exc:
            raise fail(LinkguardError(f"cannot write {out_dir}: {exc}")) from exc
        progress.update(task, completed=len(STAGES) + 1)
    seconds = round(time.perf_counter() - started, 2)
    summary: dict[str, Any] = {
        **market.manifest,
        "out_dir": str(out_dir),
        "files": [str(f) for f in files],
        "seconds": seconds,
    }
    if fmt == "json":
        print_json(summary)
        return
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    rows = Table(title="rows written", show_edge=False)
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    rows.add_column("bad rows", justify="right")
    for name, count in summary["rows"].items():
        rows.add_row(name, f"{count:,}", f"{summary['dirty_rows'][name]:,}")
    console.print(rows)
    planted = Table(title="planted", show_edge=False)
    planted.add_column("kind")
    planted.add_column("count", justify="right")
    for name, count in summary["planted"].items():
        planted.add_row(name.replace("_", " "), f"{count:,}")
    console.print(planted)
    console.print(
        f"{summary['fraud_accounts']:,} of {summary['accounts']:,} accounts planted as fraud "
        f"({summary['fraud_share']:.1%}); written to {escape(str(summary['out_dir']))} "
        f"(ground truth in truth/) in {summary['seconds']} s"
    )

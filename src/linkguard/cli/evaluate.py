"""``linkguard evaluate``: score a snapshot against a synthetic market's ground truth."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from linkguard.cli import app
from linkguard.cli._common import FORMAT_OPTION, print_json


@app.command(
    epilog=(
        "Example:\n\n"
        "  linkguard analyze samples/market --out out/snapshot && "
        "linkguard evaluate out/snapshot --data samples/market"
    )
)
def evaluate(
    snapshot: Path = typer.Argument(..., help="Snapshot directory written by analyze."),
    data: Path = typer.Option(
        ...,
        "--data",
        help="The data directory it was made from; "
        "its truth/ folder holds the ground truth (linkguard synth).",
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Precision, recall and F1 of a snapshot against planted fraud (synthetic markets)."""
    from linkguard.pipeline.snapshot import read_snapshot
    from linkguard.synth.evaluate import evaluate_snapshot

    result = evaluate_snapshot(read_snapshot(snapshot), data)
    if fmt == "json":
        print_json(asdict(result))
        return
    for line in result.lines():
        typer.echo(line)

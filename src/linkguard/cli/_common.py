"""Shared pieces of the CLI: consoles, JSON output, and error-to-exit-code mapping."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from linkguard.errors import LinkguardError

__all__ = ["FORMAT_OPTION", "err_console", "fail", "print_json"]

#: Progress, logs and messages go to stderr; stdout carries data only.
err_console = Console(stderr=True)

FORMAT_OPTION = typer.Option(
    "text", "--format", "-f", help="Output format: text (rich tables) or json (for piping)."
)


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout."""
    sys.stdout.write(
        orjson.dumps(
            data,
            option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
            default=str,
        ).decode()
        + "\n"
    )
    sys.stdout.flush()


def fail(exc: LinkguardError) -> typer.Exit:
    """Print ``exc`` as an error on stderr and return the Exit carrying its code."""
    # Messages name paths and values ("data[old]/orders.csv"): never read them as markup.
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(exc.exit_code)

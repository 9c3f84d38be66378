"""Shared pieces of the CLI: consoles, JSON output, and error-to-exit-code mapping."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import typer
from rich.console import Console

from linkguard.errors import LinkguardError

__all__ = ["FORMAT_OPTION", "err_console", "fail", "print_json", "run_app"]

#: Progress, logs and messages go to stderr; stdout carries data only.
err_console = Console(stderr=True)

FORMAT_OPTION = typer.Option(
    "text", "--format", "-f", help="Output format: text (rich tables) or json (for piping)."
)


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout."""
    sys.stdout.write(
        orjson.dumps(
            data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
            default=str,
        ).decode()
        + "\n"
    )
    sys.stdout.flush()


def fail(exc: LinkguardError) -> typer.Exit:
    """Print ``exc`` as an error on stderr and return the Exit carrying its code."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
    return typer.Exit(exc.exit_code)


def run_app(app: typer.Typer) -> int:
    """Run ``app``, turning linkguard errors into a message and their exit code."""
    try:
        app(standalone_mode=False)
    except LinkguardError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return int(exc.exit_code)
        raise
    return 0

"""Pieces shared by the loan commands: time options, snapshot options, HTML pages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from linkguard.errors import InputError

__all__ = ["HTML_OPTION", "parse_time_option", "write_html"]

HTML_OPTION = typer.Option(
    None,
    "--html",
    help="Also write a self-contained HTML page with the charts (no network needed to view it).",
)


def parse_time_option(name: str, value: str | None) -> pd.Timestamp | None:
    """``value`` as a UTC timestamp; a clear bad-usage error naming ``name`` otherwise."""
    if value is None:
        return None
    from linkguard.pipeline.pointintime import parse_as_of

    try:
        return parse_as_of(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} {value!r} is no ISO-8601 date or date-time") from exc


def write_html(path: Path, page: str) -> None:
    """Write ``page`` to ``path`` (parents created); progress note on stderr."""
    from linkguard.cli._common import err_console

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    err_console.print(f"[dim]wrote {path}[/]")

"""The ``linkguard`` command line: thin doors onto the library.

Each command lives in its own module of this package and registers itself on :data:`app`
(or :data:`neo4j_app`) when imported below. Commands print data to stdout and progress and
logs to stderr; exit codes are 0 success, 1 runtime failure, 2 bad usage or bad input.
"""

from __future__ import annotations

import warnings
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from linkguard import __version__
from linkguard.errors import LinkguardError

__all__ = ["app", "main", "neo4j_app"]


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """Warnings (the development-pepper one above all) as one loud line on stderr."""
    from linkguard.cli._common import err_console

    err_console.print(f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False)


class _Group(TyperGroup):
    """Turns linkguard errors into a one-line message and their exit code (2: bad input)."""

    # ``ctx`` is the click context of the installed typer (its vendored click from typer 0.26
    # on, click itself before): typed loosely so that no private module is imported.
    def invoke(self, ctx: Any) -> Any:
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except LinkguardError as exc:
            from linkguard.cli._common import err_console

            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(exc.exit_code) from exc


app = typer.Typer(
    cls=_Group,
    name="linkguard",
    help=(
        "Find fraud in marketplace transaction graphs before a loan is granted.\n\n"
        "Example: linkguard analyze samples/market --out out/snapshot"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
neo4j_app = typer.Typer(
    name="neo4j",
    help=(
        "Neo4j: a local dev server, loading a data directory, named investigation queries.\n\n"
        "Example: linkguard neo4j load samples/market"
    ),
    no_args_is_help=True,
)
app.add_typer(neo4j_app, name="neo4j")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"linkguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Find fraud in marketplace transaction graphs before a loan is granted."""


#: Top-level command -> the module that registers it. ``main`` imports only the module of the
#: command being run: importing every command (the server, Neo4j and account lookups among
#: them) costs about half a second of start-up that ``analyze`` does not need.
COMMAND_MODULES: dict[str, str] = {
    "account": "account",
    "analyze": "analyze",
    "backtest": "backtest",
    "evaluate": "evaluate",
    "flags": "flags",
    "funnel": "vintage",
    "monitor": "monitor",
    "neo4j": "neo4j",
    "report": "report",
    "serve": "serve",
    "synth": "synth",
    "vintage": "vintage",
}


def _register(argv: list[str] | None = None) -> None:
    """Attach commands to the apps above: the one ``argv`` names, else all of them.

    Help, ``--version``, an unknown or a missing command register every command, so that
    listings and click's "no such command" suggestions see them all.
    """
    from importlib import import_module

    name = next((a for a in argv or [] if not a.startswith("-")), None)
    module = COMMAND_MODULES.get(name or "")
    modules = sorted(set(COMMAND_MODULES.values())) if module is None else [module]
    for each in modules:
        import_module(f"linkguard.cli.{each}")
    if "neo4j" in modules:
        from linkguard.cli.neo4j_devserver import devserver_app

        if devserver_app not in [group.typer_instance for group in neo4j_app.registered_groups]:
            neo4j_app.add_typer(devserver_app, name="dev-server")


def main() -> None:
    """Console-script entry point.

    The process ends through :func:`exit_now` once the command is done: every file a command
    writes is closed by then, and tearing down numba, Arrow and pandas at interpreter exit
    would add most of a second to every run.
    """
    import sys

    _register(sys.argv[1:])
    try:
        app()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)


def exit_now(code: int | str | None) -> None:
    """End the process with ``code`` as ``sys.exit`` would, without module teardown.

    What the interpreter would still do is done first: other non-daemon threads are joined,
    ``atexit`` handlers run (logging's flush among them) and both output streams are flushed.
    Only the freeing of every module's objects is skipped.
    """
    import atexit
    import os
    import sys
    import threading

    # What CPython (linkguard's interpreter) calls first at exit, from the main thread:
    # executors told to stop, then every non-daemon thread joined.
    threading._shutdown()  # type: ignore[attr-defined]  # (not in the stubs)
    atexit._run_exitfuncs()
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    status = 0 if code is None else int(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``linkguard ... | head``)
            status = status or 1
    os._exit(status)

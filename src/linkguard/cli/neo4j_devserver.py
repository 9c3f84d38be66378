"""``linkguard neo4j dev-server build|start|stop|status``: the local Neo4j 5.26 server.

Exposes :data:`devserver_app`; the main CLI mounts it with
``neo4j_app.add_typer(devserver_app, name="dev-server")``. The work is done by
:mod:`linkguard.neo4j.devserver`, which reports progress through :mod:`logging` (shown on
stderr); results go to stdout.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import typer

from linkguard.cli._common import fail
from linkguard.errors import InputError
from linkguard.neo4j import devserver
from linkguard.neo4j.credentials import PASSWORD_OPTION_REMOVED, resolve_password

__all__ = ["devserver_app", "export_line"]

devserver_app = typer.Typer(
    help=(
        "A local Neo4j 5.26 server (Bolt, HTTP, Neo4j Browser, APOC) built from Maven Central "
        "for development, tests and CI. Needs Java 17+ and Maven; the first start builds it.\n\n"
        "Example: linkguard neo4j dev-server start && linkguard neo4j dev-server status"
    ),
    no_args_is_help=True,
)


@devserver_app.callback()
def _log_to_stderr() -> None:
    # The dev server library's progress messages (a Maven build, a forced stop) go to stderr.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


_DATA_DIR = typer.Option(
    devserver.DEFAULT_DATA_DIR,
    "--data-dir",
    envvar="LINKGUARD_NEO4J_DATA_DIR",
    help="Server home: databases, logs, pid and ready files.",
)
_FORMAT = typer.Option("text", "--format", "-f", help="Output format: text or json.")


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")


@devserver_app.command("build")
def build_command(
    force: bool = typer.Option(False, "--force", help="Rebuild even if up to date."),
    verbose: bool = typer.Option(False, "--verbose", help="Log Maven's output to stderr."),
) -> None:
    """Build the server jar with Maven if it is out of date (start does this too).

    The first build downloads Neo4j and its libraries (~170 MB) into ~/.m2; Maven's output
    goes to neo4j-server/target/maven-build.log.

    Example:

        linkguard neo4j dev-server build --force
    """
    try:
        result = devserver.build(force=force, verbose=verbose)
    except devserver.DevServerError as exc:
        raise fail(exc) from exc
    if result.built:
        typer.echo(f"built {result.jar} in {result.seconds:.1f} s")
    else:
        typer.echo(f"up to date: {result.jar}")


@devserver_app.command("start")
def start_command(
    data_dir: Path = _DATA_DIR,
    bolt_port: int = typer.Option(
        devserver.DEFAULT_BOLT_PORT,
        "--bolt-port",
        min=1,
        max=65535,
        envvar="LINKGUARD_NEO4J_BOLT_PORT",
        help="Bolt port (drivers, cypher-shell).",
    ),
    http_port: int = typer.Option(
        devserver.DEFAULT_HTTP_PORT,
        "--http-port",
        min=1,
        max=65535,
        envvar="LINKGUARD_NEO4J_HTTP_PORT",
        help="HTTP port (Neo4j Browser at /browser/, HTTP API).",
    ),
    host: str = typer.Option(
        devserver.DEFAULT_HOST,
        "--host",
        envvar="LINKGUARD_NEO4J_HOST",
        help="Address Bolt and HTTP listen on. Anything but localhost needs a password "
        "(--password-file or LINKGUARD_NEO4J_PASSWORD): without one the start is refused.",
    ),
    password_file: Path | None = typer.Option(
        None,
        "--password-file",
        help="Enable authentication for user neo4j with the password in this file, readable "
        "by you only (chmod 600); or set LINKGUARD_NEO4J_PASSWORD. Default: no auth.",
    ),
    password: str | None = typer.Option(None, "--password", hidden=True),
    timeout: float = typer.Option(
        devserver.DEFAULT_START_TIMEOUT,
        "--timeout",
        min=1,
        help="Seconds to wait for Bolt after launching (the build is not counted).",
    ),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Wait until Bolt answers, or return right after launch."
    ),
    fmt: str = _FORMAT,
) -> None:
    """Start the dev server in the background and wait until Bolt answers.

    Builds the server with Maven on first use (downloads ~170 MB into ~/.m2). Leaves a server
    that is already running for this data dir alone. JVM heap: LINKGUARD_NEO4J_HEAP
    (default 2g); page cache: LINKGUARD_NEO4J_PAGECACHE (default 512m).

    Examples:

        linkguard neo4j dev-server start

        linkguard neo4j dev-server start --data-dir /tmp/neo4j --bolt-port 17687 --http-port 17474

        LINKGUARD_NEO4J_PASSWORD=... linkguard neo4j dev-server start   (auth for user neo4j)

    Then open http://localhost:7474/browser/ or connect a driver to bolt://localhost:7687.
    """
    _check_format(fmt)
    if password is not None:
        raise InputError(PASSWORD_OPTION_REMOVED)
    secret = resolve_password(password_file)
    try:
        info = devserver.start(
            data_dir,
            bolt_port=bolt_port,
            http_port=http_port,
            wait=wait,
            timeout=timeout,
            password=secret,
            host=host,
        )
    except devserver.DevServerError as exc:
        raise fail(exc) from exc
    if fmt == "json":
        typer.echo(json.dumps(info.to_dict(), indent=2))
        return
    if info.already_running:
        typer.echo("already running")
    typer.echo(devserver.format_status(info))
    exports = export_line(info)
    if exports:
        browser = "" if info.auth_enabled else " (in Browser choose 'No authentication')"
        typer.echo(f"\nPoint linkguard and the tests at it{browser}:\n  {exports}")


def export_line(info: devserver.ServerStatus) -> str | None:
    """``export NEO4J_URI=... NEO4J_HTTP_URL=...`` for a running server, else None.

    Examples
    --------
    >>> info = devserver.ServerStatus("d", True, True, bolt_uri="bolt://localhost:7713",
    ...                               http_uri="http://localhost:7413")
    >>> export_line(info)
    'export NEO4J_URI=bolt://localhost:7713 NEO4J_HTTP_URL=http://localhost:7413'
    """
    if not info.bolt_uri:
        return None
    line = f"export NEO4J_URI={info.bolt_uri}"
    return line + (f" NEO4J_HTTP_URL={info.http_uri}" if info.http_uri else "")


@devserver_app.command("stop")
def stop_command(
    data_dir: Path = _DATA_DIR,
    timeout: float = typer.Option(
        devserver.DEFAULT_STOP_TIMEOUT,
        "--timeout",
        min=1,
        help="Seconds to wait for a clean shutdown before killing the server.",
    ),
    fmt: str = _FORMAT,
) -> None:
    """Stop the dev server (clean shutdown on SIGTERM); succeeds if it is not running.

    Example:

        linkguard neo4j dev-server stop --data-dir .neo4j
    """
    _check_format(fmt)
    try:
        result = devserver.stop(data_dir, timeout=timeout)
    except devserver.DevServerError as exc:
        raise fail(exc) from exc
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif not result.was_running:
        typer.echo(f"not running (data dir {result.data_dir})")
    else:
        how = "killed" if result.forced else "stopped"
        busy = "" if result.ports_free else " (ports still busy)"
        typer.echo(f"{how} pid {result.pid} in {result.seconds:.1f} s{busy}")


@devserver_app.command("status")
def status_command(data_dir: Path = _DATA_DIR, fmt: str = _FORMAT) -> None:
    """Show whether the dev server runs: pid, URIs, version, memory, log files.

    Exits 0 when it runs and 3 when it does not.

    Examples:

        linkguard neo4j dev-server status

        linkguard neo4j dev-server status --format json
    """
    _check_format(fmt)
    try:
        info = devserver.status(data_dir)
    except devserver.DevServerError as exc:
        raise fail(exc) from exc
    if fmt == "json":
        typer.echo(json.dumps(info.to_dict(), indent=2))
    else:
        typer.echo(devserver.format_status(info))
    if not info.running:
        raise typer.Exit(3)

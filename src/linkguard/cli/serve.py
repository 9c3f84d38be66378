"""``linkguard serve``: the flag API over HTTP (contract section 5)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from linkguard.cli import app
from linkguard.config import Settings
from linkguard.errors import InputError, SnapshotInvalid, SnapshotNotFound
from linkguard.pipeline.snapshot import SUMMARY_FILE

__all__ = ["serve"]

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@app.command()
def serve(
    snapshot: Path | None = typer.Option(
        None, "--snapshot", help="Serve this snapshot directory (reloaded when rewritten)."
    ),
    snapshot_root: Path | None = typer.Option(
        None,
        "--snapshot-root",
        help="Serve the newest complete snapshot under this directory (the folder whose name "
        "sorts last, digits compared as numbers) and switch to newer ones as they appear.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes (each holds its own index in memory)."
    ),
    poll_seconds: float = typer.Option(
        2.0, "--poll-seconds", min=0.1, help="How often to look for a newer snapshot."
    ),
    log_level: str = typer.Option("info", "--log-level", help="critical|error|warning|info|debug"),
    max_connections: int | None = typer.Option(
        None,
        "--max-connections",
        min=1,
        help="Open connections per worker; at the cap a new connection closes the one that has "
        "waited longest for its client's request (default 1000, kept 64 under the open-file "
        "limit).",
    ),
    header_timeout: float = typer.Option(
        10.0, "--header-timeout", min=0.1, help="Seconds for a request's line and headers."
    ),
    body_timeout: float = typer.Option(
        30.0, "--body-timeout", min=0.1, help="Seconds for a request's body after its headers."
    ),
    browser_url: str | None = typer.Option(
        None,
        "--browser-url",
        envvar="LINKGUARD_BROWSER_URL",
        help="Neo4j Browser's address for each answer's browser_link (default: "
        "NEO4J_HTTP_URL, the running dev server, else http://localhost:7474).",
    ),
) -> None:
    """Serve risk flags over HTTP for the loan approval service.

    Needs LINKGUARD_API_TOKENS (comma-separated bearer tokens); refuses to start without.
    Endpoints: GET /v1/accounts/{id}/flags, POST /v1/flags:batch, GET /healthz, GET /readyz,
    GET /openapi.json, and /docs (the interactive page, served with no network). JSON access log
    on stderr; stops gracefully on SIGINT/SIGTERM. Slow clients are closed after
    --header-timeout / --body-timeout, and each worker keeps at most --max-connections open
    (see the README's deployment notes).

    Examples:

        LINKGUARD_API_TOKENS=s3cret linkguard serve --snapshot out/snapshot

        linkguard serve --snapshot-root out/snapshots --host 0.0.0.0 --port 8080 --workers 2

        curl -H 'Authorization: Bearer s3cret' localhost:8000/v1/accounts/u11716484/flags
    """
    # A LinkguardError propagates: the entry point prints it and exits 2.
    _check(snapshot, snapshot_root, log_level)
    # The web stack is imported by this command only: other commands start without it.
    import uvicorn

    from linkguard.api.connections import (
        ConnectionLimits,
        GuardedHTTPProtocol,
        default_max_connections,
    )
    from linkguard.api.logs import log_config

    # Worker processes rebuild the app from the environment (uvicorn's factory mode).
    if snapshot is not None:
        os.environ["LINKGUARD_SERVE_SNAPSHOT"] = str(snapshot.resolve())
        os.environ.pop("LINKGUARD_SERVE_SNAPSHOT_ROOT", None)
    else:
        assert snapshot_root is not None
        os.environ["LINKGUARD_SERVE_SNAPSHOT_ROOT"] = str(snapshot_root.resolve())
        os.environ.pop("LINKGUARD_SERVE_SNAPSHOT", None)
    os.environ["LINKGUARD_SERVE_POLL_SECONDS"] = str(poll_seconds)
    limits = ConnectionLimits(
        max_connections=max_connections or default_max_connections(),
        header_timeout=header_timeout,
        body_timeout=body_timeout,
    )
    os.environ.update(limits.to_env())
    if browser_url:
        os.environ["LINKGUARD_BROWSER_URL"] = browser_url
    uvicorn.run(
        "linkguard.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(log_level),
        access_log=False,  # linkguard writes its own JSON access log
        server_header=False,
        timeout_graceful_shutdown=10,
        # uvicorn's protocol plus header and body timeouts and the connection cap.
        http=GuardedHTTPProtocol,
        timeout_keep_alive=5,
    )


def _check(snapshot: Path | None, snapshot_root: Path | None, log_level: str) -> None:
    if (snapshot is None) == (snapshot_root is None):
        raise InputError("give exactly one of --snapshot DIR or --snapshot-root DIR")
    if log_level.lower() not in _LOG_LEVELS:
        raise InputError(f"--log-level must be one of {', '.join(_LOG_LEVELS)}")
    from linkguard.api.auth import parse_tokens

    raw = Settings().api_tokens
    if not parse_tokens(raw.get_secret_value() if raw else None):
        raise InputError(
            "LINKGUARD_API_TOKENS is not set: refusing to serve flags without authentication. "
            "Set it to one or more comma-separated bearer tokens."
        )
    if snapshot is not None:
        if not snapshot.is_dir():
            raise SnapshotNotFound(f"no snapshot at {snapshot}")
        if not (snapshot / SUMMARY_FILE).is_file():
            raise SnapshotInvalid(
                f"{snapshot} is not a complete snapshot: {SUMMARY_FILE} is missing"
            )
    elif snapshot_root is not None and not snapshot_root.is_dir():
        raise SnapshotNotFound(f"--snapshot-root {snapshot_root} is not a directory")

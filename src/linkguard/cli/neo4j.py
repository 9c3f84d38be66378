"""``linkguard neo4j load|query|queries|guide``: the graph in Neo4j, for investigators.

Thin doors onto :mod:`linkguard.neo4j`: ``load`` ingests a data directory and loads it (and
optionally a snapshot's findings), ``query`` runs one named query from ``cypher/``,
``queries`` lists them, ``guide`` shows how to open the Neo4j Browser guide. The server is
found through ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
"""

from __future__ import annotations

import http.server
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
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

__all__ = ["GUIDE_FILE", "STYLE_FILE", "guide_server", "parse_param", "plain"]

GUIDE_FILE = "guide.html"
STYLE_FILE = "style.grass"
DEFAULT_GUIDE_PORT = 8001


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
        "running dev server it stops, imports and restarts it; otherwise (or with --files-dir) "
        "it writes the importer's files and prints the neo4j-admin command to run.",
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
            market, snap, data_dir=data_dir, snapshot_path=snapshot, server_dir=server_dir,
            files_dir=files_dir, fmt=fmt,
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


def parse_param(text: str, types: dict[str, str] | None = None) -> tuple[str, Any]:
    """``key=value`` as ``(key, value)``: the value parsed as JSON when it is JSON, else text.

    A parameter declared ``string`` keeps its text unless it is a JSON string or ``null``, so
    that an id such as ``00123`` or ``true`` stays the id it looks like.

    Examples
    --------
    >>> parse_param("limit=5"), parse_param("ids=[1, 2]"), parse_param("name=ann")
    (('limit', 5), ('ids', [1, 2]), ('name', 'ann'))
    >>> parse_param("account_id=00123", {"account_id": "string"})
    ('account_id', '00123')
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"--param takes key=value, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        return key, raw
    if (types or {}).get(key) == "string" and value is not None and not isinstance(value, str):
        return key, raw
    return key, value


def plain(value: Any) -> Any:
    """A query result value as plain JSON-able data (nodes, relationships, paths, times)."""
    from neo4j.graph import Node, Path, Relationship

    if isinstance(value, Node):
        return {"labels": sorted(value.labels), **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, Relationship):
        return {
            "type": value.type,
            "start": _node_key(value.start_node),
            "end": _node_key(value.end_node),
            **{k: plain(v) for k, v in value.items()},
        }
    if isinstance(value, Path):
        return {
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [plain(r) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time DateTime, Date, Time, Duration
        return value.iso_format()
    return value


def _node_key(node: Any) -> Any:
    if node is None:
        return None
    if "id" in node:
        return node["id"]
    if "hash" in node:
        return f"{node.get('kind')}:{node['hash']}"
    return node.element_id


@neo4j_app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard neo4j query account_identifiers --param account_id=u10293642\n\n"
        "  linkguard neo4j query money_cycles -p account_id=u17914114 -p max_length=3 "
        "--format json\n\n"
        "  linkguard neo4j queries   (lists every name with its parameters)"
    )
)
def query(
    name: str = typer.Argument(..., help="Query name (see `linkguard neo4j queries`)."),
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="key=value, repeatable; the value is parsed as JSON when it "
        'is JSON (5, true, [1,2], "text"), else taken as text.',
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Run a named investigation query from cypher/ with parameters."""
    from linkguard.neo4j.driver import connect
    from linkguard.neo4j.queries import QueryNotFound, bind_params, list_queries, query_spec

    _check_format(fmt)
    if name not in list_queries():
        # Internal statements (load_*, writeback_*, ...) are not offered here: they write.
        raise QueryNotFound(f"no query named {name!r}; available: {', '.join(list_queries())}")
    spec = query_spec(name)
    types = {p.name: p.type for p in spec.params}
    params = bind_params(name, dict(parse_param(p, types) for p in param))
    with connect() as graph:
        result = graph.run_named(name, params)
    records = [{k: plain(v) for k, v in rec.items()} for rec in result.records]
    if fmt == "json":
        print_json(records)
        return
    console = Console()
    if not records:
        console.print(f"[dim]{name}: no rows[/]")
        return
    table = Table(title=f"{name} ({len(records)} rows)", show_edge=False)
    for key in result.keys:
        table.add_column(key, overflow="fold")
    for rec in records:
        table.add_row(*[_cell(rec[k]) for k in result.keys])
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, list | dict):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))  # values from the database are text, never markup


@neo4j_app.command(
    epilog="Examples:\n\n  linkguard neo4j queries\n\n  linkguard neo4j queries --format json"
)
def queries(fmt: str = FORMAT_OPTION) -> None:
    """List the named investigation queries with their parameters."""
    from linkguard.neo4j.queries import list_queries, query_spec

    _check_format(fmt)
    specs = [query_spec(n) for n in list_queries()]
    if fmt == "json":
        print_json(
            [
                {
                    "name": s.name,
                    "summary": s.summary,
                    "description": s.description,
                    "params": [
                        {
                            "name": p.name,
                            "type": p.type,
                            "required": p.required,
                            **({} if p.required else {"default": p.default}),
                            "help": p.help,
                        }
                        for p in s.params
                    ],
                }
                for s in specs
            ]
        )
        return
    table = Table(show_edge=False, show_lines=False)
    table.add_column("name", style="bold")
    table.add_column("parameters")
    table.add_column("what it answers", overflow="fold")
    for s in specs:
        table.add_row(s.name, ", ".join(p.describe() for p in s.params), s.summary)
    Console().print(table)


class _CorsHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the CORS headers Neo4j Browser's cross-origin guide fetch needs.

    Browser fetches a remote guide with extra request headers (``pragma``, ``cache-control``,
    and ``sentry-trace`` from its error reporting), so the web browser first sends a preflight
    ``OPTIONS``: it is answered by allowing whichever headers the preflight asks for.
    """

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        requested = self.headers.get("Access-Control-Request-Headers")
        self.send_header(
            "Access-Control-Allow-Headers", requested or "pragma, cache-control, content-type"
        )
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != f"/{GUIDE_FILE}":
            super().do_GET()
            return
        body = self._guide().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _guide(self) -> str:
        """The guide with this server's style URL, NEO4J_URI and ids from the loaded graph."""
        from linkguard.neo4j.guide import render_guide

        address: Any = self.server.server_address
        host = self.headers.get("Host") or f"{address[0]}:{address[1]}"
        values = {
            **_examples_or_none(),
            "bolt_uri": _neo4j_uri(),
            "style_url": f"http://{host}/{STYLE_FILE}",
        }
        template = (_cypher_path() / GUIDE_FILE).read_text(encoding="utf-8")
        return render_guide(template, values)

    def log_message(self, format: str, *args: Any) -> None:
        err_console.print(f"[dim]{self.address_string()} {format % args}[/]", highlight=False)


def _neo4j_uri() -> str:
    from linkguard.config import Neo4jSettings

    return Neo4jSettings().uri  # type: ignore[call-arg]


def _examples_or_none() -> dict[str, Any]:
    """Example ids from the graph at NEO4J_URI; none (stand-ins) when it cannot be read."""
    from linkguard.errors import LinkguardError
    from linkguard.neo4j.driver import connect
    from linkguard.neo4j.guide import guide_examples

    try:
        with connect() as graph:
            return guide_examples(graph)
    except (LinkguardError, OSError) as exc:
        err_console.print(f"[yellow]guide examples: {exc}[/]", highlight=False)
        return {}


def browser_url() -> str | None:
    """Neo4j Browser's address: ``NEO4J_HTTP_URL`` + ``/browser/``, else the dev server's.

    The dev server is the one of ``LINKGUARD_NEO4J_DATA_DIR`` (or the default data dir), when
    it runs and serves the Bolt address of ``NEO4J_URI``; None when neither says.
    """
    import os

    from linkguard.neo4j import devserver

    http_url = os.environ.get("NEO4J_HTTP_URL")
    if http_url:
        return http_url.rstrip("/") + "/browser/"
    data_dir = os.environ.get("LINKGUARD_NEO4J_DATA_DIR") or devserver.DEFAULT_DATA_DIR
    info = devserver.status(data_dir)
    if info.running and info.browser_uri and info.bolt_uri == _neo4j_uri():
        return info.browser_uri
    return None


def _cypher_path() -> Path:
    from linkguard.neo4j.queries import cypher_dir

    # Installed wheels and checkouts are plain directories; only a zipped install would not
    # be, and it could not be served as files anyway.
    return Path(str(cypher_dir()))


def guide_server(
    host: str = "localhost", port: int = DEFAULT_GUIDE_PORT
) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``cypher/`` (guide and style) with CORS; call ``serve_forever()``."""
    handler = partial(_CorsHandler, directory=str(_cypher_path()))
    return http.server.ThreadingHTTPServer((host, port), handler)


@neo4j_app.command(
    epilog=(
        "Examples:\n\n"
        "  linkguard neo4j guide\n\n"
        "  linkguard neo4j guide --serve   then in Neo4j Browser: "
        ":guide http://localhost:8001/guide.html"
    )
)
def guide(
    serve: bool = typer.Option(
        False, "--serve", help="Serve the guide and style over HTTP (with CORS) until Ctrl-C."
    ),
    host: str = typer.Option("localhost", "--host", help="Address to serve on."),
    port: int = typer.Option(
        DEFAULT_GUIDE_PORT, "--port", min=1, max=65535, help="Port to serve on."
    ),
    fmt: str = FORMAT_OPTION,
) -> None:
    """Show where the Neo4j Browser guide is and how to open it (or serve it)."""
    _check_format(fmt)
    folder = _cypher_path()
    base = f"http://{host}:{port}"
    browser = browser_url()
    info = {
        "guide_file": str(folder / GUIDE_FILE),
        "style_file": str(folder / STYLE_FILE),
        "guide_url": f"{base}/{GUIDE_FILE}",
        "style_url": f"{base}/{STYLE_FILE}",
        "browser_commands": [f":guide {base}/{GUIDE_FILE}", f":style {base}/{STYLE_FILE}"],
        "serve_command": f"linkguard neo4j guide --serve --host {host} --port {port}",
        "allowlist_setting": "browser.remote_content_hostname_whitelist",
        "neo4j_uri": _neo4j_uri(),
        "browser_url": browser,
    }
    if fmt == "json" and not serve:
        print_json(info)
        return
    text = "\n".join(
        [
            f"Neo4j Browser guide: {info['guide_file']}",
            f"Graph style (GraSS):  {info['style_file']}",
            "",
            "Neo4j Browser loads a guide over HTTP, from an allowlisted host that answers CORS.",
            f"1. Serve this folder:   {info['serve_command']}",
            "2. Open Neo4j Browser"
            + (f" ({browser})" if browser else " (set NEO4J_HTTP_URL to have its address here)")
            + f", connect to {info['neo4j_uri']}",
            "   (the dev server has no authentication: choose 'No authentication'), then run:",
            f"     :guide {info['guide_url']}",
            f"     :style {info['style_url']}",
            "",
            "localhost is allowlisted by default; to serve from another host, add it to the",
            "server's browser.remote_content_hostname_whitelist in neo4j.conf. Without serving,",
            "drag style.grass onto Browser's style panel and take queries from",
            "`linkguard neo4j queries`.",
        ]
    )
    if not serve:
        typer.echo(text)
        return
    try:
        server = guide_server(host, port)
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port}: {exc}") from exc
    err_console.print(
        f"serving {folder} on {base} (Ctrl-C to stop)\n"
        f"in Neo4j Browser: :guide {info['guide_url']}   and   :style {info['style_url']}",
        highlight=False,
        markup=False,
    )
    started = time.monotonic()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err_console.print(f"stopped after {time.monotonic() - started:.0f} s")
    finally:
        server.server_close()

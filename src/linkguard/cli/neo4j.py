"""``linkguard neo4j load|query|queries|guide``: the graph in Neo4j, for investigators.

Thin doors onto :mod:`linkguard.neo4j`: ``load`` (in :mod:`linkguard.cli.neo4j_load`) ingests
a data directory and loads it (and optionally a snapshot's findings), ``query`` runs one named
query from ``cypher/``, ``queries`` lists them, ``guide`` shows how to open the Neo4j Browser
guide or serves it (:mod:`linkguard.neo4j.guide_server`). The server is found through
``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from linkguard.cli import neo4j_app, neo4j_load  # noqa: F401  (registers `neo4j load`)
from linkguard.cli._common import FORMAT_OPTION, err_console, print_json
from linkguard.errors import InputError
from linkguard.neo4j.guide_server import (
    DEFAULT_GUIDE_PORT,
    GUIDE_FILE,
    STYLE_FILE,
    browser_url,
    cypher_path,
    guide_server,
    neo4j_uri,
)

__all__ = ["parse_param"]


def _check_format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, got {fmt!r}")


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
    from linkguard.neo4j.values import plain

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
    folder = cypher_path()
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
        "neo4j_uri": neo4j_uri(),
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
    # The server logs each request through logging.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    started = time.monotonic()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        err_console.print(f"stopped after {time.monotonic() - started:.0f} s")
    finally:
        server.server_close()

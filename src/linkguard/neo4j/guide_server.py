"""An HTTP server for the Neo4j Browser guide and graph style, with the CORS Browser needs.

Neo4j Browser loads a guide (``:guide URL``) and a style (``:style URL``) over HTTP from an
allowlisted host that answers CORS. :func:`guide_server` serves the ``cypher/`` folder; the
guide itself is rendered on each request (:func:`~linkguard.neo4j.guide.render_guide`) with
this server's style URL, ``NEO4J_URI`` and example ids read from the loaded graph. Requests
are logged through :mod:`logging`.

Examples
--------
>>> server = guide_server("localhost", 0)        # doctest: +SKIP
>>> server.serve_forever()                       # doctest: +SKIP
"""

from __future__ import annotations

import http.server
import logging
import os
from functools import partial
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_GUIDE_PORT",
    "GUIDE_FILE",
    "STYLE_FILE",
    "browser_url",
    "cypher_path",
    "guide_server",
    "neo4j_uri",
]

GUIDE_FILE = "guide.html"
STYLE_FILE = "style.grass"
DEFAULT_GUIDE_PORT = 8001

_log = logging.getLogger(__name__)


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
            "bolt_uri": neo4j_uri(),
            "style_url": f"http://{host}/{STYLE_FILE}",
        }
        template = (cypher_path() / GUIDE_FILE).read_text(encoding="utf-8")
        return render_guide(template, values)

    def log_message(self, format: str, *args: Any) -> None:
        _log.info("%s %s", self.address_string(), format % args)


def neo4j_uri() -> str:
    """The Bolt address linkguard connects to (``NEO4J_URI`` or its default)."""
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
        _log.warning("guide examples: %s", exc)
        return {}


def browser_url() -> str | None:
    """Neo4j Browser's address: ``NEO4J_HTTP_URL`` + ``/browser/``, else the dev server's.

    The dev server is the one of ``LINKGUARD_NEO4J_DATA_DIR`` (or the default data dir), when
    it runs and serves the Bolt address of ``NEO4J_URI``; None when neither says.
    """
    from linkguard.neo4j import devserver

    http_url = os.environ.get("NEO4J_HTTP_URL")
    if http_url:
        return http_url.rstrip("/") + "/browser/"
    data_dir = os.environ.get("LINKGUARD_NEO4J_DATA_DIR") or devserver.DEFAULT_DATA_DIR
    info = devserver.status(data_dir)
    if info.running and info.browser_uri and info.bolt_uri == neo4j_uri():
        return info.browser_uri
    return None


def cypher_path() -> Path:
    """The ``cypher/`` folder: named queries, the guide template and the style."""
    from linkguard.neo4j.queries import cypher_dir

    # Installed wheels and checkouts are plain directories; only a zipped install would not
    # be, and it could not be served as files anyway.
    return Path(str(cypher_dir()))


def guide_server(
    host: str = "localhost", port: int = DEFAULT_GUIDE_PORT
) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``cypher/`` (guide and style) with CORS; call ``serve_forever()``."""
    handler = partial(_CorsHandler, directory=str(cypher_path()))
    return http.server.ThreadingHTTPServer((host, port), handler)

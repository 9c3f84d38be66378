"""``/docs``: the interactive API page, served with no network.

FastAPI's own Swagger UI page loads its script and style from a CDN, which a lender's network
often blocks. This page uses the same Swagger UI, from the ``swagger-ui-bundle`` package, and
serves its files from the API itself, so it opens wherever the API answers. The page, its
files and ``/openapi.json`` need no token; calls made from the page do ("Authorize").
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response

__all__ = ["DOCS_PATHS", "DOCS_URL", "add_docs"]

DOCS_URL = "/docs"
#: Swagger UI's files, served beside the page: (URL name, file name, media type).
_ASSETS = (
    ("swagger-ui-bundle.js", "application/javascript"),
    ("swagger-ui.css", "text/css"),
    ("favicon-32x32.png", "image/png"),
)
#: Paths the page needs without a token.
DOCS_PATHS = frozenset({DOCS_URL, *(f"{DOCS_URL}/{name}" for name, _ in _ASSETS)})


def _asset_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def add_docs(app: FastAPI, title: str) -> None:
    """Add ``/docs`` and its files to ``app`` (left out of the OpenAPI document)."""
    folder = _asset_dir()

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} - docs",
            swagger_js_url=f"{DOCS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_URL}/favicon-32x32.png",
        )

    for name, media_type in _ASSETS:
        body = (folder / name).read_bytes()

        async def asset(body: bytes = body, media_type: str = media_type) -> Response:
            return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=86400"})

        app.add_api_route(f"{DOCS_URL}/{name}", asset, methods=["GET"], include_in_schema=False)

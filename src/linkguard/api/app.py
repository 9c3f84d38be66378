"""The flag API application (contract section 5).

``GET /v1/accounts/{account_id}/flags`` and ``POST /v1/flags:batch`` answer from the
precomputed bytes of a :class:`~linkguard.serving.lookup.FlagIndex`; ``/healthz``, ``/readyz`` and
``/openapi.json`` need no token. Layers, outermost first: request context (request id,
body limit, access log, last-resort 500), bearer auth, the fast path for valid single-account
lookups, then FastAPI (everything else, and every error); see :class:`FlagAPI`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path as FilePath
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Path, Request
from fastapi.openapi.utils import get_openapi
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from linkguard import __version__
from linkguard.api.alerts import add_alert_routes
from linkguard.api.auth import PUBLIC_PATHS, BearerAuthMiddleware, TokenSet, parse_tokens
from linkguard.api.content_type import RequireJSONBody, json_body_paths
from linkguard.api.docs import DOCS_PATHS, add_docs
from linkguard.api.errors import NotReady, install_error_handlers, openapi_errors
from linkguard.api.fastpath import FlagFastPath
from linkguard.api.logs import lighten_log_records
from linkguard.api.middleware import DEFAULT_MAX_BODY_BYTES, RequestContextMiddleware
from linkguard.api.models import AccountFlags, BatchRequest, Health, Ready
from linkguard.api.snapshots import SnapshotSource
from linkguard.config import Settings
from linkguard.ids import ID_RULE
from linkguard.serving.lookup import ACCOUNT_ID_MAX_LENGTH, ACCOUNT_ID_PATTERN

__all__ = ["FlagAPI", "ServeSettings", "app_from_env", "create_app"]


class _AnyIdConvertor(Convertor[str]):
    """Everything between ``/v1/accounts/`` and ``/flags``: "/" and line breaks included, so
    that any id reaches the validation (422 for the ones ingest never accepts), not 404."""

    regex = "(?s:.+)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("any_id", _AnyIdConvertor())

#: An id may hold "/" (percent-encoded or not): it is everything between the two fixed parts.
FLAGS_ROUTE = "/v1/accounts/{account_id:any_id}/flags"
_SECURITY: dict[str, Any] = {"security": [{"bearerAuth": []}]}
_DESCRIPTION = """\
Risk flags for marketplace accounts, precomputed by `linkguard analyze` and served from the
newest complete snapshot.

Authentication: `Authorization: Bearer <token>` with a token from `LINKGUARD_API_TOKENS`.
Every authentication failure answers **401** with a `WWW-Authenticate: Bearer` challenge
(never 403). `/healthz`, `/readyz` and `/openapi.json` need no token.

Errors: every 4xx/5xx answers `{"error": {"code", "message", "request_id"}}`.
Each response carries `X-Request-ID` (the caller's when well formed, else a fresh one).
"""


#: The account id in a URL path, validated (422 otherwise) before any lookup: any id that
#: ingest accepts (:mod:`linkguard.ids`), percent-encoded.
AccountIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=ACCOUNT_ID_MAX_LENGTH,
        pattern=ACCOUNT_ID_PATTERN,
        description=f"Any id ingest accepts, percent-encoded: {ID_RULE}.",
        examples=["acct-00000042"],
    ),
]


class JSONBytes(Response):
    """A response whose body is JSON already encoded (by the index or orjson)."""

    media_type = "application/json"


class ServeSettings(BaseSettings):
    """What ``linkguard serve`` hands to each worker process, via ``LINKGUARD_SERVE_*``."""

    model_config = SettingsConfigDict(env_prefix="LINKGUARD_SERVE_", extra="ignore")

    snapshot: FilePath | None = None
    snapshot_root: FilePath | None = None
    poll_seconds: float = 2.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def create_app(
    source: SnapshotSource,
    tokens: Sequence[str],
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    watch: bool = True,
    fast_path: bool = True,
) -> FlagAPI:
    """Build the flag API.

    Parameters
    ----------
    source : SnapshotSource
        Where answers come from.
    tokens : sequence of str
        Accepted bearer tokens; at least one.
    max_body_bytes : int
        Request bodies over this size answer 413.
    watch : bool
        Start ``source``'s polling thread with the app (and stop it at shutdown); False
        when the caller drives ``source.refresh()`` itself, as tests do.
    fast_path : bool
        Answer valid single-account lookups before FastAPI's routing
        (:class:`~linkguard.api.fastpath.FlagFastPath`); False serves them through the
        FastAPI route, which answers the same bytes, more slowly.

    Returns
    -------
    FlagAPI
        A FastAPI application.

    Raises
    ------
    ValueError
        When ``tokens`` is empty.
    """
    token_set = TokenSet(tokens)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if watch:
            source.start()
        try:
            yield
        finally:
            if watch:
                source.stop(timeout=1.0)

    app = FlagAPI(
        title="linkguard flag API",
        version=__version__,
        description=_DESCRIPTION,
        docs_url=None,  # FastAPI's pages pull scripts from a CDN: /docs is served by add_docs
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.source = source
    install_error_handlers(app)
    _add_routes(app, source)
    add_alert_routes(app, source)
    add_docs(app, app.title)
    inner: ASGIApp = app.fastapi_call
    if fast_path:
        route = next(r for r in app.routes if getattr(r, "path", None) == FLAGS_ROUTE)
        inner = FlagFastPath(inner, index=lambda: source.index, route=route)
    inner = RequireJSONBody(inner, paths=json_body_paths(app.routes))
    app.front = RequestContextMiddleware(
        BearerAuthMiddleware(inner, tokens=token_set, public=PUBLIC_PATHS | DOCS_PATHS),
        max_body_bytes=max_body_bytes,
        route_of=partial(_route_template, app),
    )
    _document_security(app)
    return app


def _route_template(app: FastAPI, scope: Scope) -> str | None:
    """The template of the route ``scope``'s path matches (any method), or None."""
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            # path_format: the template without convertors ({account_id}, not {account_id:any_id})
            template = getattr(route, "path_format", None) or getattr(route, "path", None)
            return str(template or "") or None
    return None


class FlagAPI(FastAPI):
    """FastAPI with linkguard's request layers in front of FastAPI's own middleware stack.

    The front layers (request context, auth, fast path) are plain ASGI and run before
    FastAPI's entry point, so a single-account lookup pays for none of FastAPI's layers;
    everything they pass on - other routes, and every error - goes through FastAPI.
    """

    #: Set by :func:`create_app`; requests enter here.
    front: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)

    async def fastapi_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own entry point, behind the front layers."""
        await super().__call__(scope, receive, send)


def _add_routes(app: FastAPI, source: SnapshotSource) -> None:

    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> Response:
        """Liveness: the process answers."""
        return JSONBytes(b'{"status":"ok"}')

    @app.get("/readyz", response_model=Ready, tags=["operations"], responses=openapi_errors(503))
    async def readyz() -> Response:
        """Readiness: a snapshot is loaded (503 until then)."""
        index = source.index
        if index is None:
            raise NotReady()
        meta = index.meta
        return JSONBytes(
            orjson.dumps(
                {
                    "status": "ready",
                    "snapshot_id": meta.snapshot_id,
                    "ruleset_version": meta.ruleset_version,
                    "computed_at": meta.computed_at,
                    "accounts": len(index),
                }
            )
        )

    @app.get(
        FLAGS_ROUTE,
        response_model=AccountFlags,
        tags=["flags"],
        responses=openapi_errors(401, 422, 500, 503),
        openapi_extra=_SECURITY,
    )
    async def account_flags(account_id: AccountIdPath, request: Request) -> Response:
        """The risk flags of one account; an account without findings answers
        ``risk_level: "none"`` (200, not 404)."""
        index = source.index
        if index is None:
            raise NotReady()
        fields = request.scope["state"]["log"]
        fields["account_id"] = account_id
        fields["snapshot_id"] = index.meta.snapshot_id
        return JSONBytes(index.payload(account_id))

    @app.post(
        "/v1/flags:batch",
        response_model=list[AccountFlags],
        tags=["flags"],
        responses=openapi_errors(400, 401, 413, 415, 422, 500, 503),
        openapi_extra=_SECURITY,
    )
    async def flags_batch(body: BatchRequest, request: Request) -> Response:
        """The risk flags of 1 to 1,000 accounts, in the order asked."""
        index = source.index
        if index is None:
            raise NotReady()
        fields = request.scope["state"]["log"]
        fields["batch_size"] = len(body.account_ids)
        fields["snapshot_id"] = index.meta.snapshot_id
        return JSONBytes(index.batch_payload(body.account_ids))


def _document_security(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer"}
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FlagAPI:
    """The app a ``linkguard serve`` worker runs (a uvicorn factory).

    Reads ``LINKGUARD_API_TOKENS`` and ``LINKGUARD_SERVE_*``, so that every worker process
    builds the same app.

    Returns
    -------
    FlagAPI
    """
    lighten_log_records()
    settings = ServeSettings()
    raw = Settings().api_tokens
    tokens = parse_tokens(raw.get_secret_value() if raw else None)
    source = SnapshotSource(
        snapshot=settings.snapshot,
        root=settings.snapshot_root,
        poll_seconds=settings.poll_seconds,
    )
    return create_app(source, tokens, max_body_bytes=settings.max_body_bytes)

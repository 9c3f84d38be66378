"""Request bodies are JSON: any other ``Content-Type`` answers 415 before the body is read.

``curl -d '{...}'`` sends ``application/x-www-form-urlencoded`` unless told otherwise; without
this layer such a request reached body validation and answered a 422 that did not say why.

Examples
--------
>>> is_json_media_type(b"application/json; charset=utf-8"), is_json_media_type(b"text/plain")
(True, False)
>>> is_json_media_type(b"application/merge-patch+json"), is_json_media_type(None)
(True, False)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from linkguard.api.errors import JSON_BODY_RULE, request_id_of, send_error

__all__ = ["RequireJSONBody", "is_json_media_type", "json_body_paths"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(value: bytes | None) -> bool:
    """Whether a ``Content-Type`` header value names JSON (``application/json`` or ``+json``).

    Parameters
    ----------
    value : bytes or None
        The raw header value.

    Returns
    -------
    bool
    """
    if not value:
        return False
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def json_body_paths(routes: Iterable[Any]) -> frozenset[str]:
    """The paths of the routes that take a request body.

    Parameters
    ----------
    routes : iterable
        The application's routes.

    Returns
    -------
    frozenset of str
    """
    return frozenset(
        route.path for route in routes if _BODY_METHODS & set(getattr(route, "methods", None) or ())
    )


class RequireJSONBody:
    """Answer 415 to a body-carrying request whose ``Content-Type`` is not JSON.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    paths : collection of str
        The paths whose bodies must be JSON (see :func:`json_body_paths`).
    """

    def __init__(self, app: ASGIApp, paths: Collection[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _BODY_METHODS
            and scope["path"] in self.paths
        ):
            value = None
            for name, raw in scope["headers"]:
                if name == b"content-type":
                    value = raw
                    break
            if not is_json_media_type(value):
                await send_error(send, 415, JSON_BODY_RULE, request_id_of(scope))
                return
        await self.app(scope, receive, send)

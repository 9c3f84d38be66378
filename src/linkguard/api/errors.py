"""One JSON error envelope, ``{"error": {"code", "message", "request_id"}}``, for every 4xx/5xx.

FastAPI and Starlette answer errors in several shapes of their own (``{"detail": ...}``,
plain text); the handlers here replace all of them. Messages never echo request values,
so an id or a body that holds personal data is not reflected back or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope, Send

from linkguard.api.models import ErrorEnvelope
from linkguard.ids import ID_RULE

__all__ = [
    "ERROR_CODES",
    "JSON_BODY_RULE",
    "BodyTooLarge",
    "NotReady",
    "error_body",
    "error_response",
    "install_error_handlers",
    "openapi_errors",
    "request_id_of",
    "send_error",
]

log = logging.getLogger("linkguard.api")

#: The envelope's ``code`` for each status this API answers.
ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "not_ready",
}

_ID_RULE = f"not a valid account id ({ID_RULE})"

_MESSAGES: dict[int, str] = {
    404: "no such route",
    405: "method not allowed on this route",
    413: "request body too large",
    500: "internal error",
}

#: What every message about an unusable request body says (415s and 422s alike).
JSON_BODY_RULE = (
    'the request body must be JSON, e.g. {"account_ids": ["a1", "a2"]}, '
    "sent with Content-Type: application/json"
)


class BodyTooLarge(StarletteHTTPException):
    """The request body passed the size limit while it was being read.

    An HTTPException so that FastAPI's body parsing re-raises it as is (other errors
    become a 400) and the 413 handler answers it.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit} bytes")


class NotReady(StarletteHTTPException):
    """No snapshot has been loaded yet."""

    def __init__(self) -> None:
        super().__init__(status_code=503, detail="no snapshot loaded yet")


def _code(status: int) -> str:
    return ERROR_CODES.get(status, "client_error" if status < 500 else "server_error")


def error_body(status: int, message: str, request_id: str | None = None) -> bytes:
    """The envelope for ``status`` as JSON bytes.

    Parameters
    ----------
    status : int
        The HTTP status.
    message : str
        A human sentence without request values.
    request_id : str, optional
        The request's id.

    Returns
    -------
    bytes
    """
    return orjson.dumps(
        {"error": {"code": _code(status), "message": message, "request_id": request_id}}
    )


def error_response(
    status: int,
    message: str,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A response holding the envelope.

    Parameters
    ----------
    status : int
        The HTTP status.
    message : str
        A human sentence without request values.
    request_id : str, optional
        The request's id.
    headers : mapping, optional
        Extra headers, e.g. ``WWW-Authenticate`` or ``Allow``.

    Returns
    -------
    Response
    """
    return Response(
        error_body(status, message, request_id),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


async def send_error(
    send: Send,
    status: int,
    message: str,
    request_id: str | None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Send the envelope straight from ASGI middleware (no Request object needed).

    Parameters
    ----------
    send : callable
        The ASGI send function.
    status : int
        The HTTP status.
    message : str
        A human sentence without request values.
    request_id : str or None
        The request's id.
    headers : sequence of (bytes, bytes)
        Extra raw headers.
    """
    body = error_body(status, message, request_id)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def request_id_of(scope: Scope) -> str | None:
    """The id the request-context middleware gave this request, if any."""
    state = scope.get("state") or {}
    rid = state.get("request_id")
    return rid if isinstance(rid, str) else None


def _validation_message(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors[:5]:
        kind = err.get("type")
        if kind == "json_invalid":
            parts.append(f"the request body is not valid JSON: {JSON_BODY_RULE}")
            continue
        if tuple(err.get("loc", ())) == ("body",):
            # No body, or one that is not an object: say what is expected.
            parts.append(f"{err.get('msg', 'invalid body')}: {JSON_BODY_RULE}")
            continue
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        # Only the location and pydantic's message: "input" may be personal data.
        msg = _ID_RULE if kind == "string_pattern_mismatch" else err.get("msg", "invalid")
        parts.append(f"{loc}: {msg}")
    more = len(errors) - 5
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts) or "invalid request"


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else ""
    message = _MESSAGES.get(status, detail) if status in (404, 405, 500) else detail
    return error_response(
        status, message or _code(status), request_id_of(request.scope), exc.headers
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, _validation_message(exc.errors()), request_id_of(request.scope))


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"fields": {"request_id": request_id_of(request.scope)}},
    )
    return error_response(500, _MESSAGES[500], request_id_of(request.scope))


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app answers use the envelope.

    Parameters
    ----------
    app : FastAPI
        The application.
    """
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unhandled)


def openapi_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the envelope for ``statuses``.

    Parameters
    ----------
    *statuses : int
        The error statuses a route can answer.

    Returns
    -------
    dict
        For a route decorator's ``responses=``.
    """
    descriptions = {
        400: "The body could not be decoded at all (e.g. it is not UTF-8).",
        401: "Missing or invalid bearer token (every auth failure is a 401, never a 403).",
        404: "No such route.",
        413: "Request body over the size limit.",
        415: "The request body is not sent as JSON (Content-Type: application/json).",
        422: "Invalid account id or request body.",
        500: "Internal error.",
        503: "No snapshot loaded yet.",
    }
    return {
        s: {"model": ErrorEnvelope, "description": descriptions.get(s, _code(s))} for s in statuses
    }

"""The outermost request layer: request id, body size limit, access log, last-resort 500.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which costs a task and a stream
per request. Handlers add fields to the access line through ``scope["state"]["log"]``
(the account id they validated, the snapshot id they answered from).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linkguard.api.errors import BodyTooLarge, send_error
from linkguard.api.logs import AccessLog

__all__ = ["DEFAULT_MAX_BODY_BYTES", "RequestContextMiddleware"]

#: 1,000 ids of 128 characters fit in about 135 KiB of JSON; 256 KiB leaves headroom.
DEFAULT_MAX_BODY_BYTES = 256 * 1024

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("linkguard.api")


def _request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when well formed, else a fresh one.

    A malformed id is replaced rather than refused: it is only a correlation aid, and
    echoing arbitrary bytes into headers and logs is what validation prevents.
    """
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if _REQUEST_ID.fullmatch(value):
                return str(value.decode())
            break
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _client_address(scope: Scope) -> str | None:
    """The client's address (the proxy's, unless uvicorn trusts its forwarded headers)."""
    client = scope.get("client")
    return str(client[0]) if client else None


class RequestContextMiddleware:
    """Give each request an id, cap its body, log it, and turn crashes into a 500 envelope.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    max_body_bytes : int
        Larger request bodies answer 413 (checked on ``Content-Length`` and while reading).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.access = AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = _request_id(scope)
        fields: dict[str, Any] = {}
        scope.setdefault("state", {}).update(request_id=rid, log=fields)
        rid_header = (b"x-request-id", rid.encode())
        status = 0
        limit = self.max_body_bytes
        received = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            length = _content_length(scope)
            if length is not None and length > limit:
                await send_error(send_with_id, 413, "request body too large", rid)
            else:
                await self.app(scope, receive_limited, send_with_id)
        except BodyTooLarge:
            if not status:
                await send_error(send_with_id, 413, "request body too large", rid)
        except Exception:
            log.exception("unhandled error", extra={"fields": {"request_id": rid}})
            if not status:
                await send_error(send_with_id, 500, "internal error", rid)
        finally:
            if status == 401:
                # Who failed to authenticate: what tells a probe or a stolen token from a typo.
                fields["client"] = _client_address(scope)
            self.access(
                {
                    "request_id": rid,
                    "method": scope["method"],
                    # The route template (without convertors), not the raw path: an unmatched
                    # path is caller-controlled text that may hold personal data.
                    "path": getattr(scope.get("route"), "path_format", None),
                    **fields,
                    "status": status or 500,
                    "latency_ms": round((time.perf_counter() - start) * 1000, 3),
                }
            )

"""Bearer-token authentication for the flag API.

Accepted tokens come from ``LINKGUARD_API_TOKENS`` (comma separated, so a token can be
rotated by serving old and new side by side). Every authentication failure - no header,
another scheme such as ``Basic``, a malformed header, an unknown token - answers 401 with a
``WWW-Authenticate: Bearer`` challenge; the API never answers 403. Checked in ASGI
middleware rather than a FastAPI dependency: it is cheaper per request and it also guards
unknown routes, so route names are not revealed to callers without a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from linkguard.api.errors import request_id_of, send_error
from linkguard.errors import InputError

__all__ = ["PUBLIC_PATHS", "BearerAuthMiddleware", "TokenSet", "parse_tokens"]

#: Paths anyone may call: liveness, readiness and the API description.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})

_CHALLENGE = b'Bearer realm="linkguard"'
_INVALID = b'Bearer realm="linkguard", error="invalid_token"'


def parse_tokens(raw: str | None) -> tuple[str, ...]:
    """Split ``LINKGUARD_API_TOKENS`` into tokens.

    Parameters
    ----------
    raw : str or None
        The variable's value: tokens separated by commas, blanks around them ignored.

    Returns
    -------
    tuple of str
        The non-empty tokens.

    Raises
    ------
    InputError
        When a token holds a character a header cannot carry.
    """
    tokens = tuple(t.strip() for t in (raw or "").split(",") if t.strip())
    for token in tokens:
        if not token.isascii() or not token.isprintable() or " " in token:
            raise InputError("LINKGUARD_API_TOKENS: tokens must be printable ASCII without spaces")
    return tokens


class TokenSet:
    """The accepted tokens, compared in constant time.

    Parameters
    ----------
    tokens : iterable of str
        At least one token.

    Raises
    ------
    ValueError
        When there is no token: an API without tokens would be open to anyone.
    """

    __slots__ = ("_tokens",)

    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens = tuple(t.encode() for t in tokens if t)
        if not self._tokens:
            raise ValueError("no API token configured")

    def __len__(self) -> int:
        return len(self._tokens)

    def accepts(self, authorization: bytes | None) -> bool:
        """Whether an ``Authorization`` header value carries an accepted bearer token.

        Parameters
        ----------
        authorization : bytes or None
            The raw header value.

        Returns
        -------
        bool
        """
        if not authorization:
            return False
        scheme, _, token = authorization.strip().partition(b" ")
        if scheme.lower() != b"bearer":
            return False
        token = token.strip()
        if not token:
            return False
        ok = False
        # Compare against every token without stopping early: the time taken must not
        # tell which token (or how much of one) matched.
        for accepted in self._tokens:
            ok |= hmac.compare_digest(token, accepted)
        return ok


class BearerAuthMiddleware:
    """Answer 401 to any request outside ``public`` without an accepted bearer token.

    Parameters
    ----------
    app : ASGI app
        The protected application.
    tokens : TokenSet
        The accepted tokens.
    public : collection of str
        Paths that need no token.
    """

    def __init__(
        self, app: ASGIApp, tokens: TokenSet, public: Collection[str] = PUBLIC_PATHS
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.public = frozenset(public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        if self.tokens.accepts(header):
            await self.app(scope, receive, send)
            return
        message = "missing bearer token" if header is None else "invalid bearer token"
        challenge = _CHALLENGE if header is None else _INVALID
        await send_error(
            send, 401, message, request_id_of(scope), [(b"www-authenticate", challenge)]
        )

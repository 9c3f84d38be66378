"""Keep credentials out of messages: ``user:password@`` in a URI becomes ``***@``.

A ``NEO4J_URI`` may carry its credentials (``neo4j+s://neo4j:s3cret@host``); the driver's own
errors quote the URI whole. Every message that may hold one passes through :func:`redact`.

Examples
--------
>>> redact_uri("neo4j+s://neo4j:s3cret@db.example.com:7687/?x=1")
'neo4j+s://***@db.example.com:7687/?x=1'
>>> redact_uri("bolt://localhost:7687")
'bolt://localhost:7687'
>>> redact("NEO4J_URI='bolt://u:p w@h:1' is not a Neo4j URI", uris=["bolt://u:p w@h:1"])
"NEO4J_URI='bolt://***@h:1' is not a Neo4j URI"
>>> redact("failed: http://admin:hunter2@proxy:3128 refused")
'failed: http://***@proxy:3128 refused'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["redact", "redact_uri"]

#: ``scheme://userinfo@``: userinfo is anything up to the first ``@`` without a blank, quote
#: or path character (a known URI with stranger credentials is replaced whole first).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@'\"]+@")


def redact_uri(uri: str) -> str:
    """``uri`` with the user and password before its host replaced by ``***``.

    Parameters
    ----------
    uri : str
        Any URI.

    Returns
    -------
    str
    """
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    end = min(ends) if ends else len(rest)
    netloc = rest[:end]
    if "@" not in netloc:
        return uri
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{rest[end:]}"


def redact(text: str, *, uris: Iterable[str] = (), secrets: Iterable[str] = ()) -> str:
    """``text`` without credentials.

    Parameters
    ----------
    text : str
        A message.
    uris : iterable of str
        URIs the message may quote: each is replaced by its :func:`redact_uri` form.
    secrets : iterable of str
        Values that must not appear at all (a password): each becomes ``***``.

    Returns
    -------
    str
    """
    for uri in uris:
        if uri:
            text = text.replace(uri, redact_uri(uri))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _USERINFO.sub(r"\1***@", text)

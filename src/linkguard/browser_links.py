"""Neo4j Browser deep links that open a finding's evidence graph.

A link is ``BASE/browser/?cmd=edit&arg=TEXT``: Browser opens with ``TEXT`` in its editor and
runs it when the investigator presses the play button. ``TEXT`` sets the query's parameters
with ``:param name => value`` (the value is evaluated by Cypher, so ``25`` stays an integer,
unlike ``:params {limit: 25}`` whose numbers Browser reads as floats) and then runs one of the
named queries of ``cypher/`` unchanged: the query itself only ever reads ``$parameters``.

The base address is, in order: an explicit value (a command's ``--browser-url``),
``LINKGUARD_BROWSER_URL``, ``NEO4J_HTTP_URL``, the running dev server of
``LINKGUARD_NEO4J_DATA_DIR`` (default ``.neo4j``), else ``http://localhost:7474``.

Examples
--------
>>> link = browser_link("ring_members", {"ring_id": "R1"}, base="http://localhost:7474")
>>> link.startswith("http://localhost:7474/browser/?cmd=edit&arg=%3Aparam%20ring_id%20%3D%3E")
True
>>> print(browser_text("ring_members", {"ring_id": "R1"}).splitlines()[0])
:param ring_id => "R1";
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from linkguard.neo4j.queries import query_spec

__all__ = [
    "ACCOUNT_QUERY",
    "DEFAULT_BROWSER_URL",
    "AccountLinks",
    "browser_base_url",
    "browser_link",
    "browser_text",
]

DEFAULT_BROWSER_URL = "http://localhost:7474"
#: The named query an account's link opens: its neighbourhood as paths.
ACCOUNT_QUERY = "account_graph"


def browser_base_url(explicit: str | None = None) -> str:
    """Where Neo4j Browser is served (scheme, host and port, no path).

    Parameters
    ----------
    explicit : str, optional
        A value given on the command line; wins over everything else.

    Returns
    -------
    str
        E.g. ``http://localhost:7474``.
    """
    for value in (
        explicit,
        os.environ.get("LINKGUARD_BROWSER_URL"),
        os.environ.get("NEO4J_HTTP_URL"),
        _dev_server_http_url(),
    ):
        if value:
            return _normalise(value)
    return DEFAULT_BROWSER_URL


def _normalise(value: str) -> str:
    base = value.strip().rstrip("/")
    base = base.removesuffix("/browser")
    return base if "://" in base else f"http://{base}"


def _dev_server_http_url() -> str | None:
    """The HTTP address of the dev server started from here, when one is running."""
    from linkguard.neo4j import devserver

    data_dir = os.environ.get("LINKGUARD_NEO4J_DATA_DIR") or devserver.DEFAULT_DATA_DIR
    try:
        info = devserver.status(data_dir)
    except (OSError, ValueError):
        return None
    return info.http_uri if info.running and info.http_uri else None


def _literal(value: Any) -> str:
    # JSON strings, numbers, lists and null are Cypher literals too (same escapes).
    return json.dumps(value, ensure_ascii=False)


def browser_text(query: str, params: dict[str, Any]) -> str:
    """The editor text of a link: one ``:param`` line per parameter, then the named query.

    Parameters come in the order the query declares them; those with a default that
    ``params`` leaves out take the default, so the text always runs as it is.

    Parameters
    ----------
    query : str
        A named query of ``cypher/``.
    params : dict
        Its parameters.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        When a parameter is missing or unknown to the query.
    """
    spec = query_spec(query)
    unknown = set(params) - {p.name for p in spec.params}
    if unknown:
        raise ValueError(f"query {query!r} takes no parameter {', '.join(sorted(unknown))}")
    values = {}
    for p in spec.params:
        if p.name in params:
            values[p.name] = params[p.name]
        elif p.required:
            raise ValueError(f"query {query!r} needs the parameter {p.name!r}")
        else:
            values[p.name] = p.default
    lines = [f":param {name} => {_literal(value)};" for name, value in values.items()]
    return "\n".join([*lines, spec.body])


def browser_link(query: str, params: dict[str, Any], *, base: str | None = None) -> str:
    """A Neo4j Browser address that opens ``query`` with ``params`` in the editor.

    Parameters
    ----------
    query : str
        A named query of ``cypher/``.
    params : dict
        Its parameters.
    base : str, optional
        Browser's base address; :func:`browser_base_url` when omitted.

    Returns
    -------
    str
    """
    root = browser_base_url(base)
    return f"{root}/browser/?cmd=edit&arg={quote(browser_text(query, params), safe='')}"


class AccountLinks:
    """Builds the account link of many accounts fast: only the quoted id changes.

    Parameters
    ----------
    base : str, optional
        Browser's base address; :func:`browser_base_url` when omitted.

    Examples
    --------
    >>> links = AccountLinks("http://localhost:7474")
    >>> links.link("u1") == browser_link("account_graph", {"account_id": "u1"},
    ...                                  base="http://localhost:7474")
    True
    """

    __slots__ = ("_head", "_tail", "base")

    def __init__(self, base: str | None = None) -> None:
        self.base = browser_base_url(base)
        marker = "\x00"
        whole = browser_link(ACCOUNT_QUERY, {"account_id": marker}, base=self.base)
        # json.dumps writes the marker as \\u0000, quoted as %5Cu0000.
        self._head, self._tail = whole.split(quote(_literal(marker)[1:-1], safe=""), 1)

    def link(self, account_id: str) -> str:
        """The link opening ``account_id``'s neighbourhood."""
        inner = _literal(account_id)[1:-1]
        return self._head + quote(inner, safe="") + self._tail

    def json_field(self, account_id: str) -> bytes:
        """``,"browser_link":"..."``: the link as a JSON member to splice into an answer."""
        # A quoted URL holds only unreserved characters and %: nothing to escape in JSON.
        return b',"browser_link":"' + self.link(account_id).encode("ascii") + b'"'

"""Neo4j Browser deep links that open a finding's evidence graph.

A link is ``BASE/browser/?cmd=edit&arg=TEXT``: Browser opens with ``TEXT`` in its editor and
draws the graph when the investigator presses play. ``TEXT`` is one of the named queries of
``cypher/`` (headed by a comment naming it) with each ``$parameter`` written in as a Cypher
literal: one statement, so Browser draws its result at once (``:param`` lines before it would
make a multi-statement run that only lists the statements). The literals are JSON, whose
escapes Cypher reads the same, so no value can break out of its string; linkguard itself
never sends this text to a database (its own queries always pass parameters).

The base address is, in order: an explicit value (a command's ``--browser-url``),
``LINKGUARD_BROWSER_URL``, ``NEO4J_HTTP_URL``, the running dev server of
``LINKGUARD_NEO4J_DATA_DIR`` (default ``.neo4j``), else ``http://localhost:7474``.

Examples
--------
>>> link = browser_link("ring_members", {"ring_id": "R1"}, base="http://localhost:7474")
>>> link.startswith("http://localhost:7474/browser/?cmd=edit&arg=%2F%2F%20ring_members")
True
>>> print(browser_text("ring_members", {"ring_id": "R1"}).splitlines()[1])
MATCH (r:Ring {id: "R1"})<-[m:MEMBER_OF]-(a:Account)
"""

from __future__ import annotations

import json
import os
import re
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


_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def browser_text(query: str, params: dict[str, Any]) -> str:
    """The editor text of a link: the named query with its parameters written in.

    Parameters the query declares with a default and that ``params`` leaves out take the
    default, so the text always runs as it is.

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
    body = _PARAM.sub(lambda m: _literal(values[m.group(1)]), spec.body)
    return f"// {query}: {spec.summary}\n{body}"


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

    __slots__ = ("_parts", "_raw_parts", "base")

    def __init__(self, base: str | None = None) -> None:
        self.base = browser_base_url(base)
        marker = "\x00"
        whole = browser_link(ACCOUNT_QUERY, {"account_id": marker}, base=self.base)
        # json.dumps writes the marker as \\u0000, quoted as %5Cu0000; the query may use the
        # id more than once.
        self._parts = whole.split(quote(_literal(marker)[1:-1], safe=""))
        self._raw_parts = [
            b',"browser_link":"' + self._parts[0].encode("ascii"),
            *(p.encode("ascii") for p in self._parts[1:-1]),
            self._parts[-1].encode("ascii") + b'"',
        ]

    def link(self, account_id: str) -> str:
        """The link opening ``account_id``'s neighbourhood."""
        return quote(_literal(account_id)[1:-1], safe="").join(self._parts)

    def json_field(self, account_id: str) -> bytes:
        """``,"browser_link":"..."``: the link as a JSON member to splice into an answer.

        Called on every flag-API answer, so the usual id (letters, digits, ``_ . -``) is
        spliced in as it is, with no JSON or URL quoting to do.
        """
        if _PLAIN_ID.fullmatch(account_id):
            inner = account_id.encode("ascii")
        else:
            inner = quote(_literal(account_id)[1:-1], safe="").encode("ascii")
        # A quoted URL holds only unreserved characters and %: nothing to escape in JSON.
        return inner.join(self._raw_parts)


#: Ids that read the same as a JSON string's content and in a URL query.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.\-]+")

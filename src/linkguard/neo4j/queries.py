"""Named Cypher queries: the ``.cypher`` files shipped with linkguard, loaded by name.

Every statement linkguard sends to Neo4j lives in a file of the top-level ``cypher/`` folder,
one named query per file (``schema.cypher`` alone holds several statements), and takes its
values as parameters only. The wheel carries the folder as ``linkguard/cypher``; an editable
install reads the checkout's ``cypher/`` instead.

A file opens with a comment header: the first line ``// name: summary``, free text, and one
line per parameter::

    // @param account_id string  the account to look at
    // @param limit integer = 50  at most this many rows

A parameter with ``= default`` (a JSON value) is optional. Files whose name starts with
``load_``, ``read_``, ``writeback_``, ``delete_`` or ``bench_``, and ``schema``, are the
loader's and the engine's own statements; the others form the investigation library that
``linkguard neo4j query`` runs.

Examples
--------
>>> "cluster_members" in list_queries()
True
>>> spec = query_spec("cluster_members")
>>> [p.name for p in spec.params], spec.params[0].required
(['cluster_id'], True)
>>> "$cluster_id" in load_query("cluster_members")
True
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from linkguard.errors import InputError

__all__ = [
    "INTERNAL_PREFIXES",
    "QueryNotFound",
    "QueryParam",
    "QuerySpec",
    "bind_params",
    "check_param",
    "cypher_dir",
    "list_queries",
    "load_query",
    "load_statements",
    "query_spec",
    "used_params",
]

#: Name prefixes of the statements linkguard runs itself (not part of the query library).
INTERNAL_PREFIXES = ("load_", "read_", "writeback_", "delete_", "bench_")
_INTERNAL_NAMES = ("schema",)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PARAM_LINE = re.compile(
    r"^//\s*@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)"
    r"(?:\s*=\s*(?P<default>\S+))?(?:\s+(?P<help>.*))?$"
)
_PARAM_USE = re.compile(r"\$([A-Za-z_]\w*)")
_NO_DEFAULT = object()


class QueryNotFound(InputError):
    """No named query has this name (exit code 2); the message lists the available ones."""


@dataclass(frozen=True)
class QueryParam:
    """One parameter of a named query, as its file's header declares it."""

    name: str
    type: str
    help: str
    default: Any = _NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT

    def describe(self) -> str:
        """``name: type`` with the default, e.g. ``limit: integer = 50``."""
        text = f"{self.name}: {self.type}"
        return text if self.required else f"{text} = {json.dumps(self.default)}"


@dataclass(frozen=True)
class QuerySpec:
    """A named query: its Cypher text, one-line summary, longer description and parameters."""

    name: str
    text: str
    summary: str
    description: str
    params: tuple[QueryParam, ...]

    @property
    def internal(self) -> bool:
        return self.name in _INTERNAL_NAMES or self.name.startswith(INTERNAL_PREFIXES)

    @property
    def body(self) -> str:
        """The statement without its comment header (what a Browser guide shows)."""
        lines = self.text.splitlines()
        start = next((i for i, ln in enumerate(lines) if not ln.startswith("//")), len(lines))
        return "\n".join(lines[start:]).strip()


def cypher_dir() -> Traversable:
    """The folder holding the ``.cypher`` files.

    The installed package's ``linkguard/cypher`` when present (a wheel), else the checkout's
    top-level ``cypher/`` (an editable install, where the package is ``src/linkguard``).
    """
    packaged = resources.files("linkguard").joinpath("cypher")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "cypher"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        "linkguard's Cypher files are missing: neither the package's linkguard/cypher nor "
        f"the checkout's {checkout} exists"
    )


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise QueryNotFound(
            f"{name!r} is not a query name (lower-case letters, digits and _); "
            f"available: {', '.join(list_queries())}"
        )
    return name


@cache
def _read(name: str) -> str:
    file = cypher_dir().joinpath(f"{name}.cypher")
    if not file.is_file():
        raise QueryNotFound(f"no query named {name!r}; available: {', '.join(list_queries())}")
    return file.read_text(encoding="utf-8")


def load_query(name: str) -> str:
    """The Cypher text of the named query (``cypher/NAME.cypher``).

    Raises
    ------
    QueryNotFound
        When ``name`` is not a valid name or no such file exists.
    """
    return _read(_check_name(name))


def load_statements(name: str) -> list[str]:
    """The statements of a file that holds several (``schema``), split on ``;`` at line ends.

    Comment lines are dropped. The split is on line ends only because the files are linkguard's
    own and never carry a ``;`` inside a string.
    """
    text = load_query(name)
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip()]


def list_queries(*, internal: bool = False) -> list[str]:
    """Names of the investigation queries, sorted; with ``internal``, every statement file."""
    names = sorted(
        entry.name.removesuffix(".cypher")
        for entry in cypher_dir().iterdir()
        if entry.name.endswith(".cypher") and _NAME.fullmatch(entry.name.removesuffix(".cypher"))
    )
    if internal:
        return names
    return [n for n in names if n not in _INTERNAL_NAMES and not n.startswith(INTERNAL_PREFIXES)]


@cache
def query_spec(name: str) -> QuerySpec:
    """The parsed header and text of a named query."""
    text = load_query(name)
    header = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        header.append(line)
    first = header[0].removeprefix("//").strip() if header else name
    summary = first.split(":", 1)[1].strip() if first.startswith(f"{name}:") else first
    params = []
    description = []
    for line in header[1:]:
        match = _PARAM_LINE.match(line.strip())
        if match:
            raw = match["default"]
            default = _NO_DEFAULT if raw is None else json.loads(raw)
            params.append(QueryParam(match["name"], match["type"], match["help"] or "", default))
        elif not params:
            description.append(line.removeprefix("//").strip())
        # continuation lines of a parameter's help are documentation only
    return QuerySpec(name, text, summary, "\n".join(description).strip(), tuple(params))


def used_params(name: str) -> set[str]:
    """The ``$parameters`` the statement itself uses (comments left out)."""
    body = "\n".join(ln for ln in load_query(name).splitlines() if not ln.startswith("//"))
    return set(_PARAM_USE.findall(body))


def bind_params(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The parameters to run ``name`` with: ``given`` plus the defaults of the rest.

    Raises
    ------
    InputError
        When a required parameter is missing, an unknown one is given, or a value is not of
        its declared type (see :func:`check_param`).
    """
    spec = query_spec(name)
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError(
            f"query {name!r} takes no parameter {', '.join(unknown)}; "
            f"its parameters: {', '.join(p.describe() for p in spec.params) or 'none'}"
        )
    missing = [p.name for p in spec.params if p.required and p.name not in given]
    if missing:
        raise InputError(
            f"query {name!r} needs --param {missing[0]}=VALUE"
            + (f" (and {', '.join(missing[1:])})" if len(missing) > 1 else "")
        )
    out = {p.name: p.default for p in spec.params if not p.required}
    out.update({key: check_param(known[key], value) for key, value in given.items()})
    return out


#: Neo4j integers are signed 64-bit.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_param(param: QueryParam, value: Any) -> Any:
    """``value`` as the type ``param`` declares, or an :class:`InputError` saying why not.

    ``null`` is accepted for every type (the queries treat it as "not given"); an integer
    given as a whole float (``25.0``, as Neo4j Browser sends numbers) becomes that integer.

    Examples
    --------
    >>> limit = QueryParam("limit", "integer", "", 25)
    >>> check_param(limit, 5), check_param(limit, 25.0)
    (5, 25)
    >>> check_param(limit, 99999999999999999999)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    linkguard.errors.InputError: --param limit=99999999999999999999 is out of range: ...
    """
    if value is None:
        return None
    kind = param.type.lower()
    wrong = InputError(
        f"--param {param.name} must be {_ARTICLE.get(kind, 'a ' + kind)}, got {_shown(value)}"
    )
    if kind in ("integer", "int", "long"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        if not INT64_MIN <= value <= INT64_MAX:
            raise InputError(
                f"--param {param.name}={value} is out of range: Neo4j integers are 64-bit "
                f"({INT64_MIN} to {INT64_MAX})"
            )
        return value
    if kind in ("float", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong
        return float(value)
    if kind in ("boolean", "bool"):
        if not isinstance(value, bool):
            raise wrong
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise wrong
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise wrong
        return value
    if kind == "map":
        if not isinstance(value, dict):
            raise wrong
        return value
    return value


_ARTICLE = {
    "integer": "an integer",
    "int": "an integer",
    "long": "an integer",
    "float": "a number",
    "number": "a number",
    "boolean": "true or false",
    "bool": "true or false",
    "string": "text",
    "list": "a JSON list",
    "map": "a JSON object",
}


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

"""The Neo4j Browser guide, filled in from the running configuration and the loaded graph.

``cypher/guide.html`` is a template: where a slide needs an address (the Bolt URI to connect
to, the style sheet's URL) or an example id (a ring, a cluster, a self-dealing seller), it
holds a ``{{name}}`` placeholder. :func:`render_guide` fills them in: addresses from the
server that serves the guide and from ``NEO4J_URI``, ids from the graph itself
(:func:`guide_examples`, the internal query ``read_guide_examples``), so every example runs
against what was loaded, on whatever ports the servers use.

Examples
--------
>>> page = render_guide("<pre>:params {ring_id: {{ring_id}}}</pre>", {"ring_id": "R1"})
>>> page
'<pre>:params {ring_id: &quot;R1&quot;}</pre>'
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Protocol

__all__ = ["EXAMPLE_KEYS", "guide_examples", "placeholders", "render_guide"]

#: The example values a guide may ask for, and what stands in when the graph has none.
EXAMPLE_KEYS: dict[str, Any] = {
    "any_account": "ACCOUNT_ID",
    "ring_id": "RING_ID",
    "ring_seller": "SELLER_ID",
    "cluster_id": "CLUSTER_ID",
    "cluster_member": "ACCOUNT_ID",
    "self_dealer": "SELLER_ID",
    "circular_account": "ACCOUNT_ID",
    "cycle_length": 4,
}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class _Runner(Protocol):
    def run_named(self, name: str, params: dict[str, Any] | None = None) -> Any: ...


def guide_examples(runner: _Runner) -> dict[str, Any]:
    """Example ids for the guide, picked from the graph behind ``runner``.

    The riskiest ring and one of its sellers, the largest cluster with a borrower in it, the
    riskiest self-dealing seller and circular trader (with the length of its shortest cycle,
    from its flag's evidence). Keys the graph cannot fill are left out.

    Parameters
    ----------
    runner : GraphRunner
        Runs named queries (:class:`linkguard.neo4j.driver.GraphRunner`).

    Returns
    -------
    dict
        Values for the keys of :data:`EXAMPLE_KEYS`.
    """
    records = runner.run_named("read_guide_examples", {}).records
    row = dict(records[0]) if records else {}
    flags_text = row.pop("circular_flags", None)
    found = {k: v for k, v in row.items() if v is not None}
    lengths = [
        int(f["evidence"]["length"])
        for f in _json_list(flags_text)
        if f.get("code") == "CIRCULAR_TRADE" and "length" in (f.get("evidence") or {})
    ]
    if lengths:
        found["cycle_length"] = min(lengths)
    if "self_dealer" not in found and "cluster_member" in found:
        found["self_dealer"] = found["cluster_member"]
    return found


def _json_list(text: Any) -> list[dict[str, Any]]:
    try:
        value = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def placeholders(template: str) -> set[str]:
    """The ``{{name}}`` placeholders a template uses."""
    return set(_PLACEHOLDER.findall(template))


def render_guide(template: str, values: dict[str, Any]) -> str:
    """Fill a guide template's ``{{name}}`` placeholders.

    Values are written as Browser's ``:params`` reads them (JSON: strings quoted, numbers
    bare) and escaped for HTML, so an id can never open a tag; ``*_url`` and ``*_uri`` values
    are written as plain escaped text. A placeholder without a value gets the stand-in from
    :data:`EXAMPLE_KEYS`.

    Raises
    ------
    KeyError
        When the template asks for a name that has neither a value nor a stand-in.
    """

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        value = values[name] if name in values else EXAMPLE_KEYS[name]
        if name.endswith(("_url", "_uri")):
            return html.escape(str(value))
        return html.escape(json.dumps(value, ensure_ascii=False))

    return _PLACEHOLDER.sub(fill, template)

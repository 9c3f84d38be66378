"""Query results as plain JSON-able data: nodes, relationships, paths and times unwrapped."""

from __future__ import annotations

from typing import Any

__all__ = ["plain"]


def plain(value: Any) -> Any:
    """A query result value as plain JSON-able data (nodes, relationships, paths, times).

    >>> plain({"ids": ("a", "b"), "n": 1})
    {'ids': ['a', 'b'], 'n': 1}
    """
    from neo4j.graph import Node, Path, Relationship

    if isinstance(value, Node):
        return {"labels": sorted(value.labels), **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, Relationship):
        return {
            "type": value.type,
            "start": _node_key(value.start_node),
            "end": _node_key(value.end_node),
            **{k: plain(v) for k, v in value.items()},
        }
    if isinstance(value, Path):
        return {
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [plain(r) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time DateTime, Date, Time, Duration
        return value.iso_format()
    return value


def _node_key(node: Any) -> Any:
    if node is None:
        return None
    if "id" in node:
        return node["id"]
    if "hash" in node:
        return f"{node.get('kind')}:{node['hash']}"
    return node.element_id

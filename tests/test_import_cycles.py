"""No import cycles between linkguard's parts.

Every ``import`` in ``src/linkguard`` (those inside functions too, which hide a cycle rather
than remove it; only ``if TYPE_CHECKING:`` blocks are left out) is read with :mod:`ast`, and
each module is collapsed to its part: the subpackage it lives in (``linkguard.detect``), or the
module itself for modules at the package root (``linkguard.engines``). The graph of parts must
be acyclic (:data:`KNOWN_CYCLES` is empty).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx

import linkguard

ROOT = Path(linkguard.__file__).resolve().parent

#: Cycles allowed between parts: none. A cycle found fails the test, and so would a listed one
#: that is gone, so the list can only shrink.
KNOWN_CYCLES: frozenset[tuple[str, ...]] = frozenset()


def _module_name(path: Path, root: Path) -> str:
    parts = ["linkguard", *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _part(module: str) -> str | None:
    """The part of a linkguard module: ``linkguard.<first name>``; None outside linkguard."""
    names = module.split(".")
    if names[0] != "linkguard":
        return None
    return ".".join(names[:2])


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The absolute names of the modules ``module`` imports (skipping TYPE_CHECKING blocks)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            yield name
            # ``from linkguard import io`` imports the part ``linkguard.io``.
            yield from (f"{name}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def part_graph(root: Path = ROOT) -> nx.DiGraph:
    """Parts of linkguard and the imports between them (an edge ``a → b``: a imports b)."""
    graph: nx.DiGraph = nx.DiGraph()
    known = {_module_name(p, root) for p in root.rglob("*.py")}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        source = _part(module)
        if source is None or source == "linkguard":
            continue  # the package's own __init__ re-exports; it is no part of the flow
        graph.add_node(source)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name in _imports(tree, module, path.name == "__init__.py"):
            if name not in known:
                continue  # an attribute (``from linkguard.io import read_market``)
            target = _part(name)
            if target and target not in {source, "linkguard"}:
                graph.add_edge(source, target)
    return graph


def cycles(graph: nx.DiGraph) -> set[tuple[str, ...]]:
    """The strongly connected components of more than one part, as sorted tuples."""
    return {tuple(sorted(c)) for c in nx.strongly_connected_components(graph) if len(c) > 1}


def test_no_new_import_cycles_between_parts() -> None:
    found = cycles(part_graph())
    new = found - KNOWN_CYCLES
    assert not new, f"new import cycles between linkguard's parts: {sorted(new)}"
    gone = KNOWN_CYCLES - found
    assert not gone, f"cycles gone (remove them from KNOWN_CYCLES): {sorted(gone)}"


def test_the_cycle_check_sees_a_cycle(tmp_path: Path) -> None:
    # The checker itself: two parts importing each other, one of them inside a function.
    pkg = tmp_path / "linkguard"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from linkguard.b import x\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from linkguard import c\n"
        "def x():\n    from .a import y\n"
    )
    (pkg / "c.py").write_text("import linkguard.b\n")
    graph = part_graph(pkg)
    assert cycles(graph) == {("linkguard.a", "linkguard.b")}
    assert graph.has_edge("linkguard.c", "linkguard.b")
    assert not graph.has_edge("linkguard.b", "linkguard.c")

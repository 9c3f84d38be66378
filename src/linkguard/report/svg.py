"""Inline SVG drawings for the evidence report: graphs, burst timelines, histograms.

Plain strings, no JavaScript and no external resource: the report opens with no network.
Every drawn graph node is a ``<g class="node">`` (with a ``<title>`` tooltip) and every edge
a ``<line class="edge">``, so a test (or the page's own script) can count and highlight them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from html import escape
from itertools import count

from linkguard.report.evidence import Graph, Node, Timeline

__all__ = ["LEVEL_COLOURS", "graph_svg", "histogram_svg", "timeline_svg"]

LEVEL_COLOURS = {
    "decline": "#d62728",
    "review": "#e69500",
    "info": "#1f77b4",
    "none": "#8c8c8c",
    "identifier": "#7b4ea3",
}
_SHOP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
_ROW = 18
_R = 6.0
_ids = count(1)


def _a(value: object) -> str:
    return escape(str(value), quote=True)


def _positions(graph: Graph, layout: str) -> tuple[dict[str, tuple[float, float]], int, int]:
    nodes = graph.nodes
    if layout == "bipartite":
        left = [n for n in nodes if n.side == 0]
        right = [n for n in nodes if n.side != 0]
        rows = max(len(left), len(right), 1)
        height = rows * _ROW + 30
        width = 620
        pos = {}
        for column, x in ((left, 150.0), (right, width - 150.0)):
            offset = (rows - len(column)) * _ROW / 2
            for i, n in enumerate(column):
                pos[n.id] = (x, 20 + offset + i * _ROW)
        return pos, width, height
    accounts = [n for n in nodes if n.side != 2]
    inner = [n for n in nodes if n.side == 2]
    radius = max(60.0, len(accounts) * 30 / (2 * math.pi))
    size = int(2 * radius + 180)
    cx = cy = size / 2
    pos = {}
    for ring, r in ((accounts, radius), (inner, radius * 0.42 if len(inner) > 1 else 0.0)):
        for i, n in enumerate(ring):
            angle = 2 * math.pi * i / max(1, len(ring)) - math.pi / 2
            pos[n.id] = (cx + r * math.cos(angle), cy + r * math.sin(angle))
    return pos, size, size


def _node(
    n: Node, x: float, y: float, centre: tuple[float, float], layout: str, highlight: str | None
) -> str:
    colour = LEVEL_COLOURS.get(n.level, LEVEL_COLOURS["none"])
    if layout == "bipartite":
        anchor, dx = ("end", -10) if n.side == 0 else ("start", 10)
    else:
        anchor, dx = ("start", 10) if x >= centre[0] else ("end", -10)
    outline = ' stroke="#000" stroke-width="2"' if n.id == highlight else ""
    shape = (
        f'<rect x="{x - _R:.1f}" y="{y - _R:.1f}" width="{2 * _R}" height="{2 * _R}" '
        f'fill="{colour}"/>'
        if n.side == 2
        else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_R + (2 if n.id == highlight else 0)}" '
        f'fill="{colour}"{outline}/>'
    )
    return (
        f'<g class="node" data-id="{_a(n.id)}">{shape}'
        f'<text x="{x + dx:.1f}" y="{y + 3:.1f}" text-anchor="{anchor}">{escape(n.label)}</text>'
        f"<title>{escape(n.title or n.id)}</title></g>"
    )


def graph_svg(graph: Graph, layout: str, highlight: str | None = None) -> str:
    """Draw ``graph``: ``bipartite`` (side 0 left, side 1 right), ``circle`` or ``radial``.

    Parameters
    ----------
    graph : Graph
        Nodes and edges to draw.
    layout : str
        How to place the nodes.
    highlight : str, optional
        An account drawn larger, with an outline.

    Returns
    -------
    str
        One ``<svg>`` element.
    """
    pos, width, height = _positions(graph, layout)
    marker = f"arrow{next(_ids)}"
    centre = (width / 2, height / 2)
    top = max((e.weight for e in graph.edges), default=1.0)
    lines = []
    for e in graph.edges:
        if e.source not in pos or e.target not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        # Stop short of the nodes so that an arrow head stays visible.
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        x1, y1 = x1 + ux * _R, y1 + uy * _R
        x2, y2 = x2 - ux * (_R + 2), y2 - uy * (_R + 2)
        stroke = 0.8 + 2.7 * math.log1p(e.weight) / math.log1p(top)
        # Side by side, buyers on the left pay sellers on the right: no arrow head needed.
        head = f' marker-end="url(#{marker})"' if e.directed and layout != "bipartite" else ""
        lines.append(
            f'<line class="edge" data-s="{_a(e.source)}" data-t="{_a(e.target)}" '
            f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke-width="{stroke:.2f}"{head}><title>{escape(e.title)}</title></line>'
        )
    nodes = [_node(n, *pos[n.id], centre, layout, highlight) for n in graph.nodes]
    note = (
        f'<text class="note" x="8" y="{height - 6}">+{graph.hidden} more not drawn '
        "(the busiest are shown)</text>"
        if graph.hidden
        else ""
    )
    return (
        f'<svg class="graph" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img"><defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" '
        'orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>'
        f'<g class="edges">{"".join(lines)}</g><g class="nodes">{"".join(nodes)}</g>{note}</svg>'
    )


def _time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def timeline_svg(timeline: Timeline) -> str:
    """Each buyer's orders at the group's shops on one time axis (bursts line up).

    Parameters
    ----------
    timeline : Timeline
        The group's orders per buyer.

    Returns
    -------
    str
        One ``<svg>`` element; each order is a ``<circle class="order">`` coloured by shop.
    """
    everything = [t for row in timeline.times for t in row]
    width, left, right = 780, 90, 20
    height = len(timeline.buyers) * 14 + 50
    if not everything:
        return (
            f'<svg class="timeline" width="{width}" height="30"><text x="4" y="20">no '
            "orders in the data directory</text></svg>"
        )
    lo, hi = min(everything), max(everything)
    span = max(hi - lo, 3600)
    shops = sorted({s for row in timeline.sellers for s in row})
    colour = {s: _SHOP_COLOURS[i % len(_SHOP_COLOURS)] for i, s in enumerate(shops)}

    def x(t: float) -> float:
        return left + (t - lo) / span * (width - left - right)

    parts = []
    for i, (buyer, times, sellers) in enumerate(
        zip(timeline.buyers, timeline.times, timeline.sellers, strict=True)
    ):
        y = 14 + i * 14
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{escape(buyer)}</text>')
        parts.append(f'<line class="row" x1="{left}" x2="{width - right}" y1="{y}" y2="{y}"/>')
        for t, s in zip(times, sellers, strict=True):
            parts.append(
                f'<circle class="order" cx="{x(t):.1f}" cy="{y}" r="3.2" fill="{colour[s]}">'
                f"<title>{escape(buyer)} at {escape(s)}, {_time(t)} UTC</title></circle>"
            )
    axis_y = height - 30
    for k, anchor in enumerate(("start", "middle", "middle", "middle", "end")):
        tick = lo + span * k / 4
        parts.append(
            f'<text class="tick" x="{x(tick):.1f}" y="{axis_y + 14}" text-anchor="{anchor}">'
            f"{_time(tick)}</text>"
        )
    legend = " ".join(f'<tspan fill="{colour[s]}">&#9679;</tspan> {escape(s)}' for s in shops[:7])
    parts.append(f'<text class="legend" x="{left}" y="{height - 4}">shops: {legend}</text>')
    if timeline.hidden:
        parts.append(f'<text class="note" x="4" y="{height - 4}">+{timeline.hidden}</text>')
    return (
        f'<svg class="timeline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img">{"".join(parts)}</svg>'
    )


def histogram_svg(
    values: list[float],
    flagged: list[bool],
    *,
    bins: int = 20,
    lo: float = 0.0,
    hi: float = 10_000.0,
    threshold: float | None = None,
    marker: float | None = None,
    label: str = "",
) -> str:
    """A histogram with the flagged part of each bar stacked on top in red.

    Parameters
    ----------
    values : list of float
        One value per item (e.g. a seller's HHI).
    flagged : list of bool
        Whether each item is flagged.
    bins, lo, hi : int, float, float
        Equal bins over ``[lo, hi]``.
    threshold : float, optional
        A dashed vertical line (the ruleset's threshold).
    marker : float, optional
        A solid vertical line (the account of a one-case report).
    label : str
        The x axis' name.

    Returns
    -------
    str
        One ``<svg>`` element; each non-empty bar is a ``<rect class="bar">``.
    """
    width, height, left, bottom = 640, 220, 40, 40
    plain = [0] * bins
    red = [0] * bins
    step = (hi - lo) / bins
    for v, f in zip(values, flagged, strict=True):
        if not math.isfinite(v):
            continue
        i = min(bins - 1, max(0, int((v - lo) // step)))
        (red if f else plain)[i] += 1
    peak = max((p + r for p, r in zip(plain, red, strict=True)), default=0) or 1
    bar_w = (width - left - 10) / bins
    scale = (height - bottom - 20) / peak

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - 10)

    parts = []
    for i in range(bins):
        base = float(height - bottom)
        for n, cls, fill in ((plain[i], "bar", "#9ecae1"), (red[i], "bar flagged", "#d62728")):
            if n:
                h = n * scale
                parts.append(
                    f'<rect class="{cls}" x="{left + i * bar_w + 1:.1f}" y="{base - h:.1f}" '
                    f'width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{fill}"><title>'
                    f"{lo + i * step:,.0f}-{lo + (i + 1) * step:,.0f}: {n}</title></rect>"
                )
                base -= h
    for k in range(0, bins + 1, max(1, bins // 5)):
        v = lo + k * step
        anchor = "end" if k == bins else "middle"
        parts.append(
            f'<text class="tick" x="{x(v):.1f}" y="{height - bottom + 14}" '
            f'text-anchor="{anchor}">{v:,.0f}</text>'
        )
    parts.append(f'<text class="tick" x="{left - 4}" y="24" text-anchor="end">{peak}</text>')
    if threshold is not None:
        parts.append(
            f'<line class="threshold" x1="{x(threshold):.1f}" x2="{x(threshold):.1f}" y1="14" '
            f'y2="{height - bottom}"/><text class="tick" x="{x(threshold) + 4:.1f}" y="14">'
            f"threshold {threshold:,.0f}</text>"
        )
    if marker is not None and math.isfinite(marker):
        parts.append(
            f'<line class="marker" x1="{x(marker):.1f}" x2="{x(marker):.1f}" y1="14" '
            f'y2="{height - bottom}"/>'
        )
    parts.append(
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">{escape(label)}</text>'
    )
    return (
        f'<svg class="histogram" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img">{"".join(parts)}</svg>'
    )

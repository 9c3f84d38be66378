"""Charts as inline SVG (matplotlib, Agg backend) and the self-contained HTML page around them.

Every page is one file: the SVG markup is written into the HTML, fonts are rendered as paths,
there is no script and no link, so it opens with no network.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["bars", "curves", "page", "svg", "table_html"]

plt.rcParams.update(
    {"svg.fonttype": "path", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
)


def svg(fig: Figure) -> str:
    """The figure as SVG markup (no XML prolog), then closed."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def bars(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    ylabel: str,
    hline: float | None = None,
) -> str:
    """Grouped horizontal-label bars, one group per label, one bar per series."""
    n = max(len(series), 1)
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(labels) + 2), 3.2))
    for i, (name, values) in enumerate(series.items()):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        ax.bar(xs, [0.0 if v is None else v for v in values], width=width, label=name)
    if hline is not None:
        ax.axhline(hline, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(frameon=False)
    return svg(fig)


def curves(
    lines: Mapping[str, tuple[Sequence[float], Sequence[float | None]]],
    title: str,
    xlabel: str,
    ylabel: str,
) -> str:
    """One line per entry ``name -> (xs, ys)``."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for name, (xs, ys) in lines.items():
        ax.plot(
            xs, [float("nan") if y is None else y for y in ys], marker="o", markersize=3, label=name
        )
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if lines:
        ax.legend(frameon=False, fontsize=7)
    return svg(fig)


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain HTML table of ``rows`` (floats to four decimals)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4f}"
        return html.escape("" if v is None else str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """A complete HTML document: ``title`` and ``(heading, html)`` sections."""
    parts = "".join(f"<section><h2>{html.escape(h)}</h2>{body}</section>" for h, body in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}section{margin-bottom:2em}"
        f"</style></head><body><h1>{html.escape(title)}</h1>{parts}</body></html>\n"
    )

"""The evidence report as one HTML page: inline CSS, inline SVG, a few lines of inline script.

Nothing is fetched when the page opens: no stylesheet, font, script or image from a network.
The only addresses in it are the Neo4j Browser deep links an investigator may click.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, cast

import pandas as pd

from linkguard.report.build import ReportData
from linkguard.report.evidence import Finding
from linkguard.report.svg import LEVEL_COLOURS, graph_svg, histogram_svg, timeline_svg

__all__ = ["render"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header .meta{opacity:.8;font-size:13px}main{padding:8px 28px 40px;max-width:1400px}
h2{margin-top:34px;border-bottom:2px solid #1f2d3d;padding-bottom:4px}
.totals{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.tile{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:130px}
.tile b{display:block;font-size:20px}.tile span{font-size:12px;color:#666}
table{border-collapse:collapse;background:#fff;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.lvl{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}
.gallery{display:flex;flex-wrap:wrap;gap:16px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;max-width:100%;
overflow:auto}
.card h3{margin:0 0 2px;font-size:15px}.card p{margin:0 0 6px;color:#555;font-size:13px}
svg text{font-size:10px;fill:#333}svg .note{fill:#888;font-style:italic}
svg .edge{stroke:#999;stroke-opacity:.7}svg .edge.hot{stroke:#000;stroke-opacity:1}
svg .node{cursor:pointer}svg .node.hot circle,svg .node.hot rect{stroke:#000;stroke-width:2}
svg .row{stroke:#eee}svg .threshold{stroke:#d62728;stroke-dasharray:4 3}
svg .marker{stroke:#000;stroke-width:2}svg .tick{fill:#666}
a.neo4j{font-size:12px}.fake{font-weight:600;color:#b30000}
.legend span{margin-right:12px}
"""

# Hovering a node highlights its edges; nothing else runs.
_JS = """
document.querySelectorAll('svg.graph').forEach(function (svg) {
  var edges = svg.querySelectorAll('.edge');
  svg.querySelectorAll('.node').forEach(function (node) {
    var id = node.getAttribute('data-id');
    function mark(on) {
      node.classList.toggle('hot', on);
      edges.forEach(function (e) {
        if (e.getAttribute('data-s') === id || e.getAttribute('data-t') === id) {
          e.classList.toggle('hot', on);
        }
      });
    }
    node.addEventListener('mouseenter', function () { mark(true); });
    node.addEventListener('mouseleave', function () { mark(false); });
  });
});
document.body.setAttribute('data-drawn-nodes',
  String(document.querySelectorAll('svg.graph .node').length));
"""

_GALLERIES = (
    (
        "rings",
        "Fake-reputation rings",
        "Each ring's buyers (left) face its sellers (right); a "
        "line is a buyer-seller pair that traded, thicker for more orders.",
    ),
    (
        "self_dealing",
        "Self-dealing sellers",
        "The seller and its puppet buyers round the "
        "identifiers the seller shares with them (squares).",
    ),
    (
        "clusters",
        "Linked-account clusters",
        "Members round the identifiers (squares) that at "
        "least two of them use; hover a square for how many accounts use it in all.",
    ),
    (
        "cycles",
        "Money cycles",
        "Accounts paying each other round a cycle; arrows run from "
        "buyer to seller, the way money flows.",
    ),
    (
        "lockstep",
        "Lockstep groups",
        "Buyers (left) and the shops they hit together (right), "
        "and below, each buyer's orders at those shops in time: bursts line up vertically.",
    ),
)


def _level(level: str) -> str:
    colour = LEVEL_COLOURS.get(level, LEVEL_COLOURS["none"])
    return f'<span class="lvl" style="background:{colour}">{escape(level)}</span>'


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.2f}"


def _link(url: str, text: str = "open in Neo4j Browser") -> str:
    return f'<a class="neo4j" href="{escape(url, quote=True)}" target="_blank">{text}</a>'


def _totals(data: ReportData) -> str:
    t = data.totals
    tiles = [
        (f"{t['accounts']:,.0f}", "accounts"),
        (f"{t['orders']:,.0f}", "orders"),
        (f"{t['flagged_accounts']:,.0f}", "flagged accounts"),
        (f"{t['flags']:,.0f}", "flags"),
        (_money(t["gmv"]), "GMV"),
        (_money(t["fake_gmv"]), "fake GMV (ring, self-dealing, circular)"),
        (_money(t["adjusted_gmv"]), "adjusted GMV"),
        (f"{t['loans']:,.0f} / {_money(t['loan_amount'])}", "loan applications / amount"),
    ]
    return (
        '<div class="totals">'
        + "".join(f'<div class="tile"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in tiles)
        + "</div>"
    )


def _flag_table(counts: pd.DataFrame) -> str:
    head = "".join(f'<th class="n">{_level(c)}</th>' for c in counts.columns)
    rows = "".join(
        f"<tr><td>{escape(code)}</td>"
        + "".join(f'<td class="n">{int(v):,}</td>' for v in row)
        + f'<td class="n"><b>{int(sum(row)):,}</b></td></tr>'
        for code, row in zip(counts.index, counts.to_numpy().tolist(), strict=True)
    )
    return (
        f'<table id="flag-counts"><tr><th>flag code</th>{head}<th class="n">all</th></tr>'
        f"{rows}</table>"
    )


def _sellers(data: ReportData) -> str:
    if data.sellers.empty:
        return "<p>No flagged seller.</p>"
    rows = []
    for r in _records(data.sellers):
        share = r["fake_share"]
        fake = (
            f'<span class="fake">{share:.0%} of this shop\'s GMV is fake</span>'
            if isinstance(share, float) and not math.isnan(share) and share > 0
            else "no fake GMV found"
        )
        account = str(r["account_id"])
        rows.append(
            f"<tr><td>{escape(account)}</td><td>{_level(str(r['risk_level']))} "
            f'{r["risk_score"]:.2f}</td><td class="n">{_money(r["gmv"])}</td><td>{fake}</td>'
            f'<td class="n"><b>{_money(r["adjusted_gmv"])}</b></td>'
            f'<td class="n">{_money(r["loan_amount"])}</td>'
            f"<td>{escape(str(r['top_code']))}: {escape(str(r['top_reason']))}</td>"
            f"<td>{_link(data.links[account], 'graph')}</td></tr>"
        )
    return (
        '<table id="sellers"><tr><th>seller</th><th>risk</th><th class="n">GMV</th>'
        '<th>fake share</th><th class="n">adjusted GMV (the basis for a limit)</th>'
        '<th class="n">loans applied</th><th>top reason</th><th>Neo4j</th></tr>'
        + "".join(rows)
        + "</table>"
    )


def _card(data: ReportData, f: Finding) -> str:
    timeline = f"<p>Orders in time:</p>{timeline_svg(f.timeline)}" if f.timeline is not None else ""
    return (
        f'<div class="card" data-kind="{f.kind}"><h3>{escape(f.title)} {_level(f.level)}</h3>'
        f"<p>{escape(f.caption)} &middot; {_link(data.link(f))}</p>"
        f"{graph_svg(f.graph, f.layout, highlight=data.account)}{timeline}</div>"
    )


def _gallery(data: ReportData, name: str, title: str, blurb: str) -> str:
    found = data.galleries[name]
    more = data.more.get(name, 0)
    cards = "".join(_card(data, f) for f in found) or "<p>None found.</p>"
    extra = f"<p>{more} more not shown (the riskiest and largest come first).</p>" if more else ""
    return (
        f'<section id="{name}"><h2>{escape(title)} ({len(found) + more})</h2><p>{escape(blurb)}'
        f'</p><div class="gallery">{cards}</div>{extra}</section>'
    )


def _account_section(data: ReportData) -> str:
    if data.account is None or data.account_flags is None:
        return ""
    flags = data.account_flags
    rows = "".join(
        f"<tr><td>{escape(str(r['code']))}</td><td>{_level(str(r['severity']))}</td>"
        f'<td class="n">{r["score"]:.2f}</td><td>{escape(str(r["reason"]))}</td></tr>'
        for r in _records(flags)
    )
    table = (
        f"<table><tr><th>code</th><th>severity</th><th>score</th><th>reason</th></tr>{rows}</table>"
        if rows
        else "<p>No flag on this account.</p>"
    )
    return (
        f'<section id="account"><h2>Account {escape(data.account)}</h2>{table}'
        f"<p>{_link(data.links[data.account], 'its neighbourhood in Neo4j Browser')}</p>"
        "</section>"
    )


def render(data: ReportData) -> str:
    """The whole report page.

    Parameters
    ----------
    data : ReportData
        From :func:`linkguard.report.build.gather`.

    Returns
    -------
    str
        A complete HTML document.
    """
    s = data.summary
    scope = f" for account {escape(data.account)}" if data.account else ""
    legend = (
        "".join(f"<span>{_level(k)}</span>" for k in ("decline", "review", "info", "none"))
        + '<span><svg width="12" height="12"><rect width="12" height="12" fill="'
        + LEVEL_COLOURS["identifier"]
        + '"/></svg> shared identifier</span>'
    )
    hist = histogram_svg(
        data.hhi,
        data.hhi_flagged,
        threshold=data.hhi_threshold,
        marker=data.account_hhi,
        label="HHI of a seller's buyers' GMV shares (red: flagged HIGH_CONCENTRATION)",
    )
    galleries = "".join(_gallery(data, *g) for g in _GALLERIES)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>linkguard evidence report {escape(str(s.get("snapshot_id", "")))}</title>
<style>{_CSS}</style></head>
<body><header><h1>linkguard evidence report{scope}</h1>
<div class="meta">snapshot {escape(str(s.get("snapshot_id", "")))} &middot; ruleset
{escape(str(s.get("ruleset_version", "")))} &middot; computed
{escape(str(s.get("created_at", "")))} &middot; Neo4j Browser links open
{escape(data.base_url)}</div></header><main>
<p class="legend">{legend}</p>
{_account_section(data)}
<section id="totals"><h2>Totals (the whole market)</h2>{_totals(data)}
<h3>Flags by code and level</h3>{_flag_table(data.flag_counts)}</section>
<section id="riskiest-sellers"><h2>Riskiest sellers</h2>
<p>Ranked by risk level, then money at stake. The adjusted GMV leaves out ring,
self-dealing and circular orders: it is the figure an order or credit limit should use.</p>
{_sellers(data)}</section>
{galleries}
<section id="concentration"><h2>Revenue concentration</h2>
<p>Sellers by the HHI of their buyers' shares of GMV (0-10,000); the dashed line is the
ruleset's threshold.</p>{hist}</section>
</main><script>{_JS}</script></body></html>
"""

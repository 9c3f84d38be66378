"""The findings of a snapshot as small evidence graphs, ready to draw.

Each :class:`Finding` is one ring, linked cluster, self-dealing seller, money cycle or
lockstep group, with the subgraph behind it read from the market (the trades between its
members, the identifiers its members share) and capped so that a hub never floods a drawing.
Pure: a snapshot's tables and a :class:`~linkguard.market.Market` in, findings out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from linkguard.market import Market

__all__ = [
    "MAX_NODES_PER_SIDE",
    "Edge",
    "Finding",
    "Graph",
    "Node",
    "Selection",
    "Timeline",
    "cluster_findings",
    "cycle_findings",
    "lockstep_findings",
    "ring_findings",
    "self_dealing_findings",
]

#: At most this many accounts (or identifiers) drawn on one side of a graph; the rest are
#: counted in :attr:`Graph.hidden`.
MAX_NODES_PER_SIDE = 30


@dataclass(frozen=True)
class Node:
    """One drawn node: an account (``side`` 0 or 1) or an identifier (``side`` 2)."""

    id: str
    label: str
    side: int
    level: str = "none"
    title: str = ""


@dataclass(frozen=True)
class Edge:
    """A trade (buyer -> seller, ``weight`` orders) or a use of an identifier."""

    source: str
    target: str
    weight: float
    title: str = ""
    directed: bool = True


@dataclass(frozen=True)
class Graph:
    """Nodes and edges of one finding; ``hidden`` nodes were left out by the cap."""

    nodes: list[Node]
    edges: list[Edge]
    hidden: int = 0


@dataclass(frozen=True)
class Timeline:
    """Orders of a lockstep group: per buyer row, the times (epoch seconds) and sellers."""

    buyers: list[str]
    times: list[list[int]]
    sellers: list[list[str]]
    hidden: int = 0


@dataclass(frozen=True)
class Finding:
    """One finding with its evidence graph.

    Attributes
    ----------
    kind : str
        ``ring``, ``cluster``, ``self_dealing``, ``cycle`` or ``lockstep``.
    key : str
        The ring or cluster id, the seller, or the accounts joined.
    title, caption : str
        What the drawing shows, in words.
    layout : str
        ``bipartite`` (sides 0 and 1 face each other), ``circle`` or ``radial``
        (accounts round identifiers).
    query, params : str, dict
        The named query (``cypher/``) and parameters that open it in Neo4j Browser.
    accounts : frozenset of str
        Every account of the finding, drawn or not.
    level : str
        The highest risk level among its accounts.
    """

    kind: str
    key: str
    title: str
    caption: str
    graph: Graph
    layout: str
    query: str
    params: dict[str, object]
    accounts: frozenset[str]
    level: str = "none"
    timeline: Timeline | None = field(default=None)


_LEVEL_RANK = {"none": 0, "info": 1, "review": 2, "decline": 3}
K = TypeVar("K")


def _top_level(levels: dict[str, str], accounts: Iterable[str]) -> str:
    return max(
        (levels.get(a, "none") for a in accounts), key=_LEVEL_RANK.__getitem__, default="none"
    )


@dataclass
class Selection:
    """Which findings to draw: those of ``account`` (if given), riskiest and largest first.

    Findings are chosen from cheap candidates before any graph is built, so a market with
    thousands of clusters costs the drawing of ``limit`` of them only.
    """

    levels: dict[str, str]
    account: str | None = None
    limit: int | None = None
    #: How many candidates qualified (set by :meth:`choose`).
    total: int = 0

    def choose(self, candidates: list[tuple[K, frozenset[str]]]) -> list[K]:
        kept = [c for c in candidates if self.account is None or self.account in c[1]]
        kept.sort(
            key=lambda c: (-_LEVEL_RANK[_top_level(self.levels, c[1])], -len(c[1]), str(c[0]))
        )
        self.total = len(kept)
        return [key for key, _ in kept[: self.limit]]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _codes(market: Market, ids: Iterable[str]) -> np.ndarray:
    codes = [market.code_of(a) for a in ids]
    return np.array([c for c in codes if c is not None], dtype=np.int64)


def _trades(market: Market, buyers: Iterable[str], sellers: Iterable[str]) -> pd.DataFrame:
    """Orders from ``buyers`` to ``sellers``, summed per pair: buyer, seller, orders, amount."""
    o = market.orders
    mask = np.isin(o["buyer"].to_numpy(), _codes(market, buyers)) & np.isin(
        o["seller"].to_numpy(), _codes(market, sellers)
    )
    picked = o.loc[mask, ["buyer", "seller", "amount"]]
    pairs = picked.groupby(["buyer", "seller"], as_index=False).agg(
        orders=("amount", "size"), amount=("amount", "sum")
    )
    ids = market.account_ids
    pairs["buyer"] = ids[pairs["buyer"].to_numpy()]
    pairs["seller"] = ids[pairs["seller"].to_numpy()]
    return pairs


def _account(account_id: str, side: int, levels: dict[str, str], note: str = "") -> Node:
    level = levels.get(account_id, "none")
    title = f"{account_id} ({level}){note}"
    return Node(account_id, account_id, side, level, title)


def _capped(ids: list[str], weight: dict[Any, Any]) -> tuple[list[str], int]:
    ranked = sorted(ids, key=lambda a: (-weight.get(a, 0.0), a))
    return ranked[:MAX_NODES_PER_SIDE], max(0, len(ranked) - MAX_NODES_PER_SIDE)


def _bipartite(
    market: Market, buyers: list[str], sellers: list[str], levels: dict[str, str]
) -> tuple[Graph, int]:
    """Buyers facing sellers (capped), and the orders between all of them, drawn or not."""
    pairs = _trades(market, buyers, sellers)
    pairs = pairs[pairs["buyer"] != pairs["seller"]]
    per_buyer = pairs.groupby("buyer")["orders"].sum().to_dict()
    per_seller = pairs.groupby("seller")["orders"].sum().to_dict()
    shown_b, hid_b = _capped(buyers, per_buyer)
    shown_s, hid_s = _capped(sellers, per_seller)
    keep_b, keep_s = set(shown_b), set(shown_s)
    nodes = [_account(b, 0, levels, f": {per_buyer.get(b, 0)} orders") for b in shown_b]
    nodes += [_account(s, 1, levels, f": {per_seller.get(s, 0)} orders") for s in shown_s]
    edges = [
        Edge(
            str(r["buyer"]),
            str(r["seller"]),
            float(r["orders"]),
            f"{r['buyer']} -> {r['seller']}: {r['orders']} orders, {r['amount']:,.2f}",
        )
        for r in _records(pairs)
        if r["buyer"] in keep_b and r["seller"] in keep_s
    ]
    return Graph(nodes, edges, hid_b + hid_s), int(pairs["orders"].sum())


def _all(levels: dict[str, str]) -> Selection:
    return Selection(levels)


def ring_findings(
    rings: pd.DataFrame, market: Market, levels: dict[str, str], select: Selection | None = None
) -> list[Finding]:
    """One finding per ring: its buyers facing its sellers, an edge per pair that traded."""
    groups = {str(k): g for k, g in rings.groupby("ring_id", sort=True)}
    chosen = (select or _all(levels)).choose(
        [(k, frozenset(g["account_id"])) for k, g in groups.items()]
    )
    out = []
    for ring_id in chosen:
        members = groups[ring_id]
        buyers = sorted(members.loc[members["role"] == "buyer", "account_id"])
        sellers = sorted(members.loc[members["role"] == "seller", "account_id"])
        graph, orders = _bipartite(market, buyers, sellers, levels)
        density = float(members["density"].iloc[0])
        score = float(members["ring_score"].iloc[0])
        out.append(
            Finding(
                kind="ring",
                key=str(ring_id),
                title=f"Ring {ring_id}: {len(buyers)} buyers x {len(sellers)} sellers",
                caption=f"density {density:.0%}, ring score {score:.2f}; "
                f"{orders:,} orders between them",
                graph=graph,
                layout="bipartite",
                query="evidence_ring",
                params={"ring_id": str(ring_id)},
                accounts=frozenset(members["account_id"]),
                level=_top_level(levels, members["account_id"]),
            )
        )
    return out


def _shared_identifiers(
    market: Market, members: list[str], levels: dict[str, str], centre: str | None = None
) -> Graph:
    """Members round the identifiers at least two of them use (or that ``centre`` shares)."""
    ids = market.identifiers
    codes = _codes(market, members)
    mine = ids[np.isin(ids["account"].to_numpy(), codes)].drop_duplicates()
    users = mine.groupby(["kind", "value_hash"])["account"].agg(lambda s: sorted(set(s)))
    if centre is not None and market.code_of(centre) is not None:
        c = market.code_of(centre)
        users = users[users.map(lambda u: c in u and len(u) >= 2)]
    else:
        users = users[users.map(len) >= 2]
    pairs = cast(list[tuple[tuple[str, str], list[int]]], list(users.items()))
    ranked = sorted(pairs, key=lambda kv: (-len(kv[1]), kv[0]))
    shown = ranked[:MAX_NODES_PER_SIDE]
    values = {value for (_, value), _ in shown}
    used = ids[ids["value_hash"].isin(values)]
    everyone = used.groupby(["kind", "value_hash"])["account"].nunique()
    hidden = len(ranked) - len(shown)
    shown_members, hid_m = _capped(members, {m: 1.0 for m in members})
    keep = set(shown_members)
    nodes = [_account(m, 0, levels) for m in shown_members]
    edges = []
    names = market.account_ids
    for (kind, value), accounts in shown:
        node_id = f"{kind}:{value[:12]}"
        total = int(everyone.get((kind, value), len(accounts)))
        nodes.append(
            Node(
                node_id,
                kind,
                2,
                "identifier",
                f"{kind} {value[:12]}... used by {total} account(s) in the market",
            )
        )
        for code in accounts:
            if names[code] in keep:
                edges.append(
                    Edge(names[code], node_id, 1.0, f"{names[code]} uses {kind}", directed=False)
                )
    return Graph(nodes, edges, hidden + hid_m)


def cluster_findings(
    clusters: pd.DataFrame,
    market: Market,
    levels: dict[str, str],
    select: Selection | None = None,
) -> list[Finding]:
    """One finding per linked cluster: its members round the identifiers they share."""
    groups = {str(k): g for k, g in clusters.groupby("cluster_id", sort=True)}
    chosen = (select or _all(levels)).choose(
        [(k, frozenset(g["account_id"])) for k, g in groups.items()]
    )
    out = []
    for cluster_id in chosen:
        members = groups[cluster_id]
        accounts = sorted(members["account_id"])
        kinds = sorted(
            {k for ks in members["identifier_kinds"] for k in (ks if ks is not None else ())}
        )
        out.append(
            Finding(
                kind="cluster",
                key=str(cluster_id),
                title=f"Linked cluster {cluster_id}: {len(accounts)} accounts",
                caption=f"bound by {', '.join(kinds) or 'shared identifiers'}",
                graph=_shared_identifiers(market, accounts, levels),
                layout="radial",
                query="evidence_cluster",
                params={"cluster_id": str(cluster_id)},
                accounts=frozenset(accounts),
                level=_top_level(levels, accounts),
            )
        )
    return out


def _evidence(flags: pd.DataFrame, code: str) -> list[tuple[str, dict[str, Any]]]:
    rows = _records(flags.loc[flags["code"] == code, ["account_id", "evidence"]])
    return [
        (str(r["account_id"]), json.loads(r["evidence"]) if r["evidence"] else {}) for r in rows
    ]


def self_dealing_findings(
    flags: pd.DataFrame,
    market: Market,
    levels: dict[str, str],
    select: Selection | None = None,
) -> list[Finding]:
    """One finding per self-dealing seller: the seller and its puppets round what they share."""
    found = dict(_evidence(flags, "SELF_DEALING"))
    chosen = (select or _all(levels)).choose(
        [(k, frozenset([k, *map(str, ev.get("puppets", []))])) for k, ev in found.items()]
    )
    out = []
    for seller in chosen:
        ev = found[seller]
        puppets = sorted(str(p) for p in ev.get("puppets", []))
        graph = _shared_identifiers(market, [seller, *puppets], levels, centre=seller)
        share = float(ev.get("gmv_share", 0.0))
        out.append(
            Finding(
                kind="self_dealing",
                key=seller,
                title=f"Self-dealing seller {seller}: {len(puppets)} puppet buyer(s)",
                caption=f"they share {ev.get('kinds', 'identifiers')} and made {share:.0%} "
                "of its GMV",
                graph=graph,
                layout="radial",
                query="evidence_self_dealing",
                params={"seller_id": seller, "puppets": puppets},
                accounts=frozenset([seller, *puppets]),
                level=_top_level(levels, [seller]),
            )
        )
    return out


def cycle_findings(
    flags: pd.DataFrame,
    market: Market,
    levels: dict[str, str],
    select: Selection | None = None,
) -> list[Finding]:
    """One finding per distinct money cycle: its accounts on a circle, its distinct orders."""
    seen: dict[tuple[str, ...], set[str]] = {}
    for _, ev in _evidence(flags, "CIRCULAR_TRADE"):
        accounts = tuple(sorted(str(a) for a in ev.get("accounts", [])))
        seen.setdefault(accounts, set()).update(str(o) for o in ev.get("orders", []))
    out = []
    o = market.orders
    ids = market.account_ids
    chosen = (select or _all(levels)).choose([(k, frozenset(k)) for k in seen])
    for accounts in chosen:
        orders = seen[accounts]
        picked = o[o["order_id"].isin(orders)]
        pairs = picked.groupby(["buyer", "seller"], as_index=False).agg(
            orders=("amount", "size"), amount=("amount", "sum")
        )
        edges = [
            Edge(
                str(ids[r["buyer"]]),
                str(ids[r["seller"]]),
                float(r["orders"]),
                f"{ids[r['buyer']]} pays {ids[r['seller']]}: {r['orders']} orders, "
                f"{r['amount']:,.2f}",
            )
            for r in _records(pairs)
        ]
        nodes = [_account(a, 0, levels) for a in _cycle_order(accounts, edges)]
        total = float(picked["amount"].sum())
        out.append(
            Finding(
                kind="cycle",
                key=" ".join(accounts),
                title=f"Money cycle through {len(accounts)} accounts",
                caption=f"{len(picked)} distinct orders worth {total:,.2f}",
                graph=Graph(nodes, edges),
                layout="circle",
                query="evidence_trades",
                params={"buyers": list(accounts), "sellers": list(accounts)},
                accounts=frozenset(accounts),
                level=_top_level(levels, accounts),
            )
        )
    return out


def _cycle_order(accounts: tuple[str, ...], edges: list[Edge]) -> list[str]:
    """The accounts in the order money goes round, so a circle drawing has no crossings."""
    after: dict[str, str] = {}
    for e in sorted(edges, key=lambda e: -e.weight):
        after.setdefault(e.source, e.target)
    order: list[str] = []
    at: str | None = accounts[0] if accounts else None
    while at is not None and at not in order:
        order.append(at)
        at = after.get(at)
    return order + [a for a in accounts if a not in order]


def lockstep_findings(
    flags: pd.DataFrame,
    market: Market,
    levels: dict[str, str],
    select: Selection | None = None,
) -> list[Finding]:
    """One finding per lockstep group: buyers facing shops, and the timeline of their orders."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, Any]] = {}
    for _, ev in _evidence(flags, "LOCKSTEP"):
        key = (
            tuple(sorted(str(b) for b in ev.get("buyers", []))),
            tuple(sorted(str(s) for s in ev.get("sellers", []))),
        )
        groups.setdefault(key, ev)
    out = []
    chosen = (select or _all(levels)).choose([(k, frozenset(k[0] + k[1])) for k in groups])
    for buyers, sellers in chosen:
        ev = groups[(buyers, sellers)]
        graph, _ = _bipartite(market, list(buyers), list(sellers), levels)
        out.append(
            Finding(
                kind="lockstep",
                key=" ".join(buyers),
                title=f"Lockstep group: {len(buyers)} buyers at {len(sellers)} shop(s)",
                caption=f"{ev.get('windows', '?')} shared one-hour windows",
                graph=graph,
                layout="bipartite",
                query="evidence_trades",
                params={"buyers": list(buyers), "sellers": list(sellers)},
                accounts=frozenset(buyers + sellers),
                level=_top_level(levels, buyers),
                timeline=_timeline(market, list(buyers), list(sellers)),
            )
        )
    return out


def _timeline(market: Market, buyers: list[str], sellers: list[str]) -> Timeline:
    o = market.orders
    mask = np.isin(o["buyer"].to_numpy(), _codes(market, buyers)) & np.isin(
        o["seller"].to_numpy(), _codes(market, sellers)
    )
    picked = o.loc[mask, ["buyer", "seller", "created_at"]]
    ids = market.account_ids
    seconds = pd.DatetimeIndex(picked["created_at"]).as_unit("s").asi8
    frame = pd.DataFrame(
        {
            "buyer": ids[picked["buyer"].to_numpy()],
            "seller": ids[picked["seller"].to_numpy()],
            "t": seconds,
        }
    ).sort_values(["buyer", "t"])
    counts = frame.groupby("buyer").size().to_dict()
    shown, hidden = _capped(buyers, counts)
    by_buyer = {b: part for b, part in frame.groupby("buyer")}
    times, shops = [], []
    for b in shown:
        part = by_buyer.get(b)
        times.append([] if part is None else part["t"].astype(int).tolist())
        shops.append([] if part is None else part["seller"].astype(str).tolist())
    return Timeline(shown, times, shops, hidden)

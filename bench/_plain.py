"""linkguard's analysis written plainly with pandas, networkx and the standard library.

The peer of ``bench/pipeline.py``: the same steps as ``linkguard analyze`` done the way a
careful engineer would first write them, without compiled kernels or integer account codes.

- ingest: ``pandas.read_csv`` (every column as text), row checks with pandas (field too long,
  missing ids, bad or negative amounts, bad timestamps, rating out of 1-5, repeated unique ids;
  first reason wins), identifier kinds and values normalised as linkguard does, and each
  value pseudonymised with ``hmac``/``hashlib`` (HMAC-SHA-256, hex, 32 characters);
- linked accounts: connected components of a networkx account-identifier graph over strong
  identifier values shared by 2 to 30 accounts;
- self-dealing: orders merged with the clusters of their buyer and seller;
- rings: one FRAUDAR greedy peel (``heapq`` with lazy deletion) over a networkx buyer-seller
  graph, column weight ``1 / log(seller degree + 5)``;
- lockstep: buyers per (seller, hour) cell, every buyer pair of a cell counted in a
  ``collections.Counter``, groups as connected components of pairs with 3+ shared cells;
- cycles: ``networkx.simple_cycles(G, length_bound=6)`` on the directed payment graph, then for
  each cycle of 3+ accounts the rounds in time order inside 7 days with amounts within 1.25x;
- concentration: pandas groupby (HHI, top-1 and top-5 shares, linked and ring shares, GMV
  without ring, self-dealing and circular orders);
- flags: one row per (account, code), the codes per account;
- write: parquet files, quarantine and ``summary.json``.

Stages that could run for very long (rings, lockstep, cycles) take a time budget for their main
loop. A stage that runs out of it stops, and its total is its set-up plus the loop's time
divided by the share of the loop's work done; the result says so
(:attr:`StageRecord.extrapolated`), with how.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from linkguard.schema import BAD_ACCOUNT_STATUSES, IDENTIFIER_KIND_ALIASES, STRONG_IDENTIFIER_KINDS

__all__ = ["STAGES", "PlainResult", "StageRecord", "run_plain"]

STAGES = (
    "ingest",
    "linked",
    "self_dealing",
    "rings",
    "lockstep",
    "cycles",
    "concentration",
    "flags",
    "write",
)

MAX_FIELD_CHARS = 256
#: A strong identifier value links its accounts when at most this many accounts share it.
STRONG_FREE = 30
COLUMN_C = 5.0
MIN_RING_BUYERS = 3
WINDOW = 3600
MIN_SHARED_WINDOWS = 3
MIN_GROUP = 3
MIN_SELLER_WINDOWS = 2
CYCLE_MIN, CYCLE_MAX = 3, 6
CYCLE_WINDOW = 7 * 86400
AMOUNT_RATIO = 1.25
CONC_MIN_ORDERS, CONC_HHI, CONC_TOP1 = 20, 2500.0, 0.5
NOT_REVENUE = ("cancelled", "refunded")
ORDER_STATUSES = ("paid", "shipped", "confirmed", "refunded", "cancelled")

TABLES: dict[str, dict[str, Any]] = {
    "orders": {
        "ids": ("order_id", "buyer_id", "seller_id"),
        "amounts": ("amount",),
        "required_ts": ("created_at",),
        "optional_ts": ("confirmed_at",),
        "unique": "order_id",
    },
    "accounts": {
        "ids": ("account_id",),
        "amounts": (),
        "required_ts": (),
        "optional_ts": ("created_at",),
        "unique": "account_id",
    },
    "identifiers": {
        "ids": ("account_id", "kind", "value"),
        "amounts": (),
        "required_ts": (),
        "optional_ts": ("seen_at",),
        "unique": None,
    },
    "loans": {
        "ids": ("loan_id", "account_id"),
        "amounts": ("amount",),
        "required_ts": ("applied_at",),
        "optional_ts": (),
        "unique": "loan_id",
    },
}


@dataclass
class StageRecord:
    """Seconds of one stage; when extrapolated, the measured part and how it was scaled."""

    seconds: float
    #: CPU seconds of this process in the stage (scaled like ``seconds`` when extrapolated).
    cpu_seconds: float = 0.0
    extrapolated: bool = False
    #: The stage did not finish and was not extrapolated: ``seconds`` is what it ran, at least.
    lower_bound: bool = False
    measured_seconds: float | None = None
    how: str = ""

    @property
    def mark(self) -> str:
        """``~`` extrapolated, ``>`` a lower bound (did not finish), empty when measured."""
        return "~" if self.extrapolated else ">" if self.lower_bound else ""


@dataclass
class PlainResult:
    stages: dict[str, StageRecord] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    #: Pseudonymised identifier values of a sample, for a cross-check with linkguard.
    hash_sample: pd.DataFrame | None = None


class _Budget:
    """A stage's time budget: ``spent()`` turns true once it is over.

    ``loop()`` marks where the stage's set-up ends and its main loop begins; the budget counts
    from there. Only the loop is scaled when the stage is extrapolated; the set-up counts once,
    as measured.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.deadline = self.start + seconds
        self.loop_start, self.loop_cpu = self.start, self.cpu_start

    def loop(self) -> None:
        self.loop_start, self.loop_cpu = time.perf_counter(), time.process_time()
        self.deadline = self.loop_start + self.seconds

    def spent(self) -> bool:
        return time.perf_counter() > self.deadline

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def cpu(self) -> float:
        return time.process_time() - self.cpu_start


# --------------------------------------------------------------------------------- ingest


def _parse_ts(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")


def _validate(name: str, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Loaded rows (stripped, typed) and rejected rows (as read, with line and reason)."""
    spec = TABLES[name]
    raw = df
    df = df.apply(lambda c: c.str.strip())
    reason = pd.Series("", index=df.index, dtype=object)

    def reject(mask: pd.Series, why: str) -> None:
        reason[(reason == "") & mask] = why

    too_long = np.zeros(len(df), dtype=bool)
    for col in raw.columns:
        too_long |= (raw[col].str.len() > MAX_FIELD_CHARS).to_numpy()
    reject(pd.Series(too_long, index=df.index), "field_too_long")
    if name == "identifiers":
        kind = df["kind"].str.lower().str.split().str.join("_")
        df["kind"] = kind.map({k: IDENTIFIER_KIND_ALIASES.get(k, k) for k in kind.unique()})
        digits = df["kind"].isin(["phone", "card"])
        df.loc[digits, "value"] = df.loc[digits, "value"].str.replace(r"[^0-9]+", "", regex=True)
        email = df["kind"] == "email"
        df.loc[email, "value"] = df.loc[email, "value"].str.casefold()
    for col in spec["ids"]:
        reject(df[col] == "", "missing_id")
    amounts = {col: pd.to_numeric(df[col], errors="coerce") for col in spec["amounts"]}
    for num in amounts.values():
        reject(num.isna() | ~np.isfinite(num), "bad_amount")
    for col, num in amounts.items():
        reject(num < 0, "negative_amount")
        df[col] = num
    for col in spec["required_ts"] + spec["optional_ts"]:
        if col not in df:
            continue
        stamps = _parse_ts(df[col])
        bad = stamps.isna()
        if col in spec["optional_ts"]:
            bad &= df[col] != ""
        reject(bad, "bad_timestamp")
        df[col] = stamps
    if name == "orders" and "rating" in df:
        rating = pd.to_numeric(df["rating"], errors="coerce")
        reject((df["rating"] != "") & ~rating.between(1, 5), "rating_out_of_range")
        df["rating"] = rating
    if spec["unique"] is not None:
        passing = reason == ""
        dup = df.loc[passing, spec["unique"]].duplicated(keep="first")
        reject(dup.reindex(df.index, fill_value=False), "duplicate_id")
    bad = reason != ""
    quarantined = raw[bad].copy()
    quarantined.insert(0, "reason", reason[bad])
    quarantined.insert(0, "line", quarantined.index + 2)
    return df[~bad].reset_index(drop=True), quarantined


def _hmac_hex(key: bytes, values: pd.Series) -> list[str]:
    new, sha = hmac.new, hashlib.sha256
    return [new(key, v.encode(), sha).hexdigest()[:32] if v else "" for v in values]


def _ingest(data_dir: Path, key: bytes) -> dict[str, Any]:
    tables: dict[str, pd.DataFrame] = {}
    quarantine: dict[str, pd.DataFrame] = {}
    rows_in: dict[str, int] = {}
    for name in TABLES:
        path = data_dir / f"{name}.csv"
        if not path.exists():
            continue
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        rows_in[name] = len(raw)
        tables[name], quarantine[name] = _validate(name, raw)
    ids = tables["identifiers"]
    ids["value_hash"] = _hmac_hex(key, ids["value"])
    sample = ids[["kind", "value", "value_hash"]].head(2000).copy()
    tables["identifiers"] = ids = ids.drop(columns="value")
    if len(quarantine.get("identifiers", ())):
        q = quarantine["identifiers"]
        q["value"] = _hmac_hex(key, q["value"].str.strip())
    orders = tables["orders"]
    orders["status"] = orders["status"].str.lower()
    orders["ts"] = (orders["created_at"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(1, "s")
    return {"tables": tables, "quarantine": quarantine, "rows_in": rows_in, "sample": sample}


# --------------------------------------------------------------------------------- linked


def _linked(identifiers: pd.DataFrame) -> pd.DataFrame:
    """Clusters (``cluster_id, account_id, size, identifier_kinds``) of 2+ linked accounts."""
    strong = identifiers[identifiers["kind"].isin(list(STRONG_IDENTIFIER_KINDS))]
    mem = strong[["account_id", "kind", "value_hash"]].drop_duplicates()
    sharers = mem.groupby(["kind", "value_hash"])["account_id"].transform("size")
    mem = mem[(sharers >= 2) & (sharers <= STRONG_FREE)]
    graph = nx.Graph()
    graph.add_edges_from(
        (("a", a), ("v", k, h))
        for a, k, h in zip(mem["account_id"], mem["kind"], mem["value_hash"], strict=True)
    )
    rows = []
    components = sorted(
        (sorted(n[1] for n in comp if n[0] == "a"), sorted({n[1] for n in comp if n[0] == "v"}))
        for comp in nx.connected_components(graph)
    )
    for cid, (accounts, kinds) in enumerate(c for c in components if len(c[0]) >= 2):
        for acc in accounts:
            rows.append((cid, acc, len(accounts), ",".join(kinds)))
    return pd.DataFrame(rows, columns=["cluster_id", "account_id", "size", "identifier_kinds"])


def _self_dealing(orders: pd.DataFrame, clusters: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    cl = clusters[["account_id", "cluster_id"]]
    m = (
        orders[["order_id", "buyer_id", "seller_id", "amount"]]
        .merge(
            cl.rename(columns={"account_id": "buyer_id", "cluster_id": "buyer_cluster"}),
            on="buyer_id",
            how="left",
        )
        .merge(
            cl.rename(columns={"account_id": "seller_id", "cluster_id": "seller_cluster"}),
            on="seller_id",
            how="left",
        )
    )
    mask = (
        m["buyer_cluster"].notna()
        & (m["buyer_cluster"] == m["seller_cluster"])
        & (m["buyer_id"] != m["seller_id"])
    )
    gmv = orders.groupby("seller_id")["amount"].sum()
    found = (
        m[mask]
        .groupby("seller_id")
        .agg(
            puppets=("buyer_id", "nunique"),
            orders=("order_id", "size"),
            amount=("amount", "sum"),
        )
    )
    found["gmv_share"] = found["amount"] / gmv.reindex(found.index)
    return found.reset_index(), pd.Series(mask.to_numpy(), index=orders.index)


# ---------------------------------------------------------------------------------- rings


def _rings(orders: pd.DataFrame, budget: _Budget) -> tuple[pd.DataFrame, pd.Series, float]:
    """One FRAUDAR greedy peel; returns ring members, per-order ring mask, share of work done."""
    pairs = orders[["buyer_id", "seller_id"]].drop_duplicates()
    graph = nx.Graph()
    graph.add_edges_from(
        (("b", b), ("s", s)) for b, s in zip(pairs["buyer_id"], pairs["seller_id"], strict=True)
    )
    for node in graph:
        if node[0] == "s":
            w = 1.0 / math.log(graph.degree(node) + COLUMN_C)
            for nbr in graph[node]:
                graph[node][nbr]["weight"] = w
    deg = {n: sum(d["weight"] for d in graph[n].values()) for n in graph}
    total = sum(deg.values()) / 2.0
    heap = [(d, n) for n, d in deg.items()]
    heapq.heapify(heap)
    budget.loop()
    alive = set(graph)
    order: list[tuple[str, str]] = []
    best_g, best_k = total / max(len(alive), 1), 0
    edges_total, edges_done = graph.number_of_edges(), 0
    while heap:
        d, node = heapq.heappop(heap)
        if node not in alive or d != deg[node]:
            continue  # a stale entry
        alive.remove(node)
        order.append(node)
        total -= deg[node]
        for nbr, attr in graph[node].items():
            if nbr in alive:
                edges_done += 1
                deg[nbr] -= attr["weight"]
                heapq.heappush(heap, (deg[nbr], nbr))
        if alive:
            g = total / len(alive)
            if g > best_g:
                best_g, best_k = g, len(order)
        if len(order) % 256 == 0 and budget.spent():
            return pd.DataFrame(), pd.Series(False, index=orders.index), edges_done / edges_total
    block = order[best_k:]
    buyers = {n[1] for n in block if n[0] == "b"}
    sellers = {n[1] for n in block if n[0] == "s"}
    in_ring = orders["buyer_id"].isin(buyers) & orders["seller_id"].isin(sellers)
    if len(buyers) < MIN_RING_BUYERS or not sellers:
        return pd.DataFrame(), pd.Series(False, index=orders.index), 1.0
    edges = int(pairs["buyer_id"].isin(buyers).mul(pairs["seller_id"].isin(sellers)).sum())
    density = edges / (len(buyers) * len(sellers))
    members = pd.DataFrame(
        [(0, a, "buyer") for a in sorted(buyers)] + [(0, a, "seller") for a in sorted(sellers)],
        columns=["ring_id", "account_id", "role"],
    )
    members["ring_score"] = best_g
    members["density"] = density
    return members, in_ring, 1.0


# ------------------------------------------------------------------------------- lockstep


def _lockstep(orders: pd.DataFrame, budget: _Budget) -> tuple[pd.DataFrame, float]:
    """Lockstep groups (``group_id, account_id, sellers``) and the share of pair work done."""
    cells = orders[["seller_id", "buyer_id"]].assign(hour=orders["ts"] // WINDOW)
    cells = cells.drop_duplicates()
    buyers_of = cells.groupby(["seller_id", "hour"])["buyer_id"].agg(list)
    sizes = buyers_of.str.len()
    work_total = float((sizes * (sizes - 1) // 2).sum())
    work_done = 0.0
    shared: Counter[tuple[str, str]] = Counter()
    budget.loop()
    for i, buyers in enumerate(buyers_of):
        if len(buyers) < 2:
            continue
        shared.update(itertools.combinations(sorted(buyers), 2))
        work_done += len(buyers) * (len(buyers) - 1) // 2
        if i % 64 == 0 and budget.spent():
            return pd.DataFrame(), work_done / max(work_total, 1.0)
    graph = nx.Graph(p for p, c in shared.items() if c >= MIN_SHARED_WINDOWS)
    rows = []
    groups = [sorted(c) for c in nx.connected_components(graph) if len(c) >= MIN_GROUP]
    groups.sort(key=lambda g: (-len(g), g[0]))
    group_of = {a: gid for gid, g in enumerate(groups) for a in g}
    cells["group"] = cells["buyer_id"].map(group_of)
    met = cells.dropna(subset=["group"]).astype({"group": "int64"})
    met = met.groupby(["group", "seller_id", "hour"]).size()
    met = met[met >= 2].reset_index().groupby(["group", "seller_id"]).size()
    met = met[met >= MIN_SELLER_WINDOWS].reset_index()
    sellers = met.groupby("group")["seller_id"].agg(lambda s: ",".join(sorted(s)))
    for gid, g in enumerate(groups):
        for acc in g:
            rows.append((gid, acc, sellers.get(gid, "")))
    return pd.DataFrame(rows, columns=["group_id", "account_id", "sellers"]), 1.0


# --------------------------------------------------------------------------------- cycles


def _cycles(orders: pd.DataFrame, budget: _Budget) -> tuple[pd.DataFrame, pd.Series, dict]:
    """Money cycles in time order with similar amounts; per-order mask; progress figures."""
    paid = orders[orders["buyer_id"] != orders["seller_id"]]
    graph = nx.DiGraph()
    graph.add_edges_from(zip(paid["buyer_id"], paid["seller_id"], strict=True))
    by_edge: dict[tuple[str, str], list[tuple[int, float, int]]] = {}
    srt = paid.sort_values("ts")
    for b, s, t, a, i in zip(
        srt["buyer_id"], srt["seller_id"], srt["ts"], srt["amount"], srt.index, strict=True
    ):
        by_edge.setdefault((b, s), []).append((t, a, i))
    in_scc = sum(len(c) for c in nx.strongly_connected_components(graph) if len(c) >= 2)
    rounds: list[tuple[tuple[str, ...], list[int]]] = []
    enumerated = 0
    budget.loop()
    with _root_counter(budget) as searched:
        try:
            for cyc in nx.simple_cycles(graph, length_bound=CYCLE_MAX):
                enumerated += 1
                if budget.spent():
                    raise _OutOfTime
                if len(cyc) < CYCLE_MIN:
                    continue
                rounds.extend(_time_rounds(cyc, by_edge))
        except _OutOfTime:
            return (
                pd.DataFrame(),
                pd.Series(False, index=orders.index),
                {
                    "finished": False,
                    "cycles_enumerated": enumerated,
                    "roots_searched": searched[0],
                    "scc_nodes": in_scc,
                    "rounds": len(rounds),
                },
            )
    circular = pd.Series(False, index=orders.index)
    rows = []
    by_accounts: dict[tuple[str, ...], list[list[int]]] = {}
    for accounts, ids in rounds:
        by_accounts.setdefault(tuple(sorted(accounts)), []).append(ids)
    for cid, (accounts, rs) in enumerate(sorted(by_accounts.items(), key=lambda kv: -len(kv[1]))):
        idx = [i for r in rs for i in r]
        circular.loc[idx] = True
        amount = float(orders.loc[idx, "amount"].sum())
        rows.extend((cid, a, len(rs), amount) for a in accounts)
    out = pd.DataFrame(rows, columns=["cycle_id", "account_id", "rounds", "amount"])
    return (
        out,
        circular,
        {
            "finished": True,
            "cycles_enumerated": enumerated,
            "roots_searched": searched[0],
            "scc_nodes": in_scc,
            "rounds": len(rounds),
        },
    )


class _OutOfTime(Exception):
    """The cycle search ran out of its budget."""


@contextmanager
def _root_counter(budget: _Budget) -> Iterator[list[int]]:
    """Count the search roots ``networkx.simple_cycles`` has finished, and stop it on time.

    networkx searches the cycles through one node of a strongly connected component, then
    removes that node from its working copy of the graph (``DiGraph.remove_node``) and goes on
    with what is left: the removals counted here are the roots searched so far. The wrapper only
    counts (and raises :class:`_OutOfTime` once the budget is spent, since the search may run
    long between two cycles); the search itself is unchanged.
    """
    original = nx.DiGraph.remove_node
    count = [0]

    def remove_node(self: nx.DiGraph, n: Any) -> None:
        count[0] += 1
        if budget.spent():
            raise _OutOfTime
        original(self, n)

    nx.DiGraph.remove_node = remove_node  # type: ignore[method-assign]
    try:
        yield count
    finally:
        nx.DiGraph.remove_node = original  # type: ignore[method-assign]


def _time_rounds(
    cyc: list[str], by_edge: dict[tuple[str, str], list[tuple[int, float, int]]]
) -> list[tuple[list[str], list[int]]]:
    """Each time money went round ``cyc``: orders in time order, inside the window, with
    amounts within ``AMOUNT_RATIO`` of the first; found once, from its earliest order."""
    k = len(cyc)
    found = []
    for r in range(k):
        edges = [(cyc[(r + j) % k], cyc[(r + j + 1) % k]) for j in range(k)]
        for t0, a0, i0 in by_edge[edges[0]]:
            lo, hi, deadline = a0 / AMOUNT_RATIO, a0 * AMOUNT_RATIO, t0 + CYCLE_WINDOW
            stack = [(1, t0, [i0])]
            while stack:
                depth, last_t, path = stack.pop()
                if depth == k:
                    found.append((list(cyc), path))
                    continue
                for t, a, i in by_edge[edges[depth]]:
                    if last_t < t <= deadline and lo <= a <= hi:
                        stack.append((depth + 1, t, [*path, i]))
    return found


# -------------------------------------------------------------------------- concentration


def _concentration(
    orders: pd.DataFrame,
    clusters: pd.DataFrame,
    ring: pd.Series,
    dealing: pd.Series,
    circular: pd.Series,
) -> pd.DataFrame:
    counted = ~orders["status"].isin(NOT_REVENUE)
    cl = clusters.set_index("account_id")["cluster_id"]
    cb, cs = orders["buyer_id"].map(cl), orders["seller_id"].map(cl)
    o = orders.loc[counted, ["seller_id", "buyer_id", "amount"]].copy()
    o["linked_amt"] = o["amount"].where((cb.notna() & (cb == cs))[counted], 0.0)
    o["ring_amt"] = o["amount"].where(ring[counted], 0.0)
    o["removed_amt"] = o["amount"].where((ring | dealing | circular)[counted], 0.0)
    per_seller = o.groupby("seller_id").agg(
        orders=("amount", "size"),
        buyers=("buyer_id", "nunique"),
        gmv=("amount", "sum"),
        linked_amt=("linked_amt", "sum"),
        ring_amt=("ring_amt", "sum"),
        removed_amt=("removed_amt", "sum"),
    )
    pair = o.groupby(["seller_id", "buyer_id"])["amount"].sum().reset_index()
    pair["share"] = pair["amount"] / pair["seller_id"].map(per_seller["gmv"])
    pair["share"] = pair["share"].fillna(0.0)
    pair["sq"] = (pair["share"] * 100.0) ** 2
    per_seller["hhi"] = pair.groupby("seller_id")["sq"].sum()
    per_seller["top1_share"] = pair.groupby("seller_id")["share"].max()
    top5 = pair.sort_values(["seller_id", "share"], ascending=[True, False])
    per_seller["top5_share"] = top5.groupby("seller_id").head(5).groupby("seller_id")["share"].sum()
    gmv = per_seller["gmv"].where(per_seller["gmv"] > 0)
    per_seller["linked_buyer_share"] = (per_seller["linked_amt"] / gmv).fillna(0.0)
    per_seller["ring_buyer_share"] = (per_seller["ring_amt"] / gmv).fillna(0.0)
    per_seller["adjusted_gmv"] = (per_seller["gmv"] - per_seller["removed_amt"]).clip(lower=0)
    return per_seller.drop(columns=["linked_amt", "ring_amt", "removed_amt"]).reset_index()


# ---------------------------------------------------------------------------------- flags


def _flags(
    tables: dict[str, pd.DataFrame],
    clusters: pd.DataFrame,
    dealing: pd.DataFrame,
    dealing_mask: pd.Series,
    rings: pd.DataFrame,
    lockstep: pd.DataFrame,
    cycles: pd.DataFrame,
    conc: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = tables["orders"]
    parts = []
    puppets = orders.loc[dealing_mask.to_numpy(), "buyer_id"].drop_duplicates()
    parts.append(
        pd.DataFrame(
            {"account_id": pd.concat([dealing["seller_id"], puppets]), "code": "SELF_DEALING"}
        )
    )
    parts.append(pd.DataFrame({"account_id": clusters["account_id"], "code": "LINKED_ACCOUNTS"}))
    bad = set()
    if "accounts" in tables:
        acc = tables["accounts"]
        is_bad = acc["status"].str.lower().isin(sorted(BAD_ACCOUNT_STATUSES))
        bad |= set(acc.loc[is_bad, "account_id"])
    if "loans" in tables:
        loans = tables["loans"]
        bad |= set(loans.loc[loans["defaulted"] == "1", "account_id"])
    bad_clusters = clusters.loc[clusters["account_id"].isin(bad), "cluster_id"].unique()
    tainted = clusters[
        clusters["cluster_id"].isin(bad_clusters) & ~clusters["account_id"].isin(bad)
    ]
    parts.append(pd.DataFrame({"account_id": tainted["account_id"], "code": "LINKED_TO_BAD"}))
    if len(rings):
        parts.append(pd.DataFrame({"account_id": rings["account_id"], "code": "BRUSHING_RING"}))
    if len(lockstep):
        parts.append(pd.DataFrame({"account_id": lockstep["account_id"], "code": "LOCKSTEP"}))
    if len(cycles):
        parts.append(
            pd.DataFrame(
                {"account_id": cycles["account_id"].drop_duplicates(), "code": "CIRCULAR_TRADE"}
            )
        )
    high = conc[
        (conc["orders"] >= CONC_MIN_ORDERS)
        & ((conc["hhi"] >= CONC_HHI) | (conc["top1_share"] >= CONC_TOP1))
    ]
    parts.append(pd.DataFrame({"account_id": high["seller_id"], "code": "HIGH_CONCENTRATION"}))
    flags = pd.concat(parts, ignore_index=True).drop_duplicates()
    accounts = flags.groupby("account_id")["code"].agg(lambda c: ",".join(sorted(c)))
    accounts = accounts.rename("reason_codes").reset_index()
    accounts["cluster_id"] = accounts["account_id"].map(
        clusters.set_index("account_id")["cluster_id"]
    )
    return flags, accounts


# ----------------------------------------------------------------------------------- main


def run_plain(
    data_dir: Path, out_dir: Path, key: bytes, budget_seconds: float = 600.0
) -> PlainResult:
    """Run every plain stage over ``data_dir``, write ``out_dir``; seconds per stage."""
    res = PlainResult()

    def timed(name: str, start: tuple[float, float]) -> None:
        res.stages[name] = StageRecord(
            time.perf_counter() - start[0], time.process_time() - start[1]
        )

    def clock() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    t = clock()
    ing = _ingest(data_dir, key)
    timed("ingest", t)
    tables, orders = ing["tables"], ing["tables"]["orders"]
    ids = tables["identifiers"]
    res.hash_sample = ing["sample"]
    res.counts["rows_in"] = ing["rows_in"]
    res.counts["quarantined"] = {k: len(v) for k, v in ing["quarantine"].items()}

    t = clock()
    clusters = _linked(ids)
    timed("linked", t)
    t = clock()
    dealing, dealing_mask = _self_dealing(orders, clusters)
    timed("self_dealing", t)

    budget = _Budget(budget_seconds)
    rings, ring_mask, done = _rings(orders, budget)
    _record_bounded(
        res,
        "rings",
        budget,
        done,
        "share of buyer-seller edges removed by the peel when the budget ran out",
    )
    budget = _Budget(budget_seconds)
    lockstep, done = _lockstep(orders, budget)
    _record_bounded(
        res,
        "lockstep",
        budget,
        done,
        "share of the buyer pairs of all (seller, hour) cells counted when the budget ran out",
    )
    budget = _Budget(budget_seconds)
    cycles, circular, progress = _cycles(orders, budget)
    res.counts["cycles_progress"] = progress
    if progress["finished"]:
        res.stages["cycles"] = StageRecord(budget.elapsed(), budget.cpu())
    else:
        # How many roots networkx will search is only known at the end (it stops once no
        # component of 2+ nodes is left), and their costs differ: no extrapolation.
        _record_bounded(
            res,
            "cycles",
            budget,
            0.0,
            f"networkx.simple_cycles had finished {progress['roots_searched']:,} "
            f"search roots ({progress['cycles_enumerated']:,} cycles) among "
            f"{progress['scc_nodes']:,} nodes in strongly connected components",
        )

    t = clock()
    conc = _concentration(orders, clusters, ring_mask, dealing_mask, circular)
    timed("concentration", t)
    t = clock()
    flags, accounts = _flags(tables, clusters, dealing, dealing_mask, rings, lockstep, cycles, conc)
    timed("flags", t)

    t = clock()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "quarantine").mkdir(exist_ok=True)
    for name, frame in (
        ("flags", flags),
        ("accounts", accounts),
        ("clusters", clusters),
        ("rings", rings),
        ("lockstep", lockstep),
        ("cycles", cycles),
        ("concentration", conc),
        ("self_dealing", dealing),
    ):
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    for name, frame in ing["quarantine"].items():
        frame.to_parquet(out_dir / "quarantine" / f"{name}.parquet", index=False)
    res.counts.update(
        {
            "clusters": int(clusters["cluster_id"].nunique()),
            "clustered_accounts": len(clusters),
            "self_dealing_sellers": len(dealing),
            "ring_members": len(rings),
            "lockstep_groups": int(lockstep["group_id"].nunique()) if len(lockstep) else 0,
            "cycles": int(cycles["cycle_id"].nunique()) if len(cycles) else 0,
            "flags": len(flags),
            "flagged_accounts": len(accounts),
            "sellers": len(conc),
        }
    )
    summary = {
        "stage_seconds": {k: round(v.seconds, 3) for k, v in res.stages.items()},
        "extrapolated": [k for k, v in res.stages.items() if v.extrapolated],
        **res.counts,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    timed("write", t)
    return res


#: Below this share of a loop done, a stopped stage is reported as a lower bound only.
MIN_SHARE_TO_EXTRAPOLATE = 0.01


def _record_bounded(res: PlainResult, name: str, budget: _Budget, done: float, what: str) -> None:
    """Record a bounded stage: measured when it finished; else set-up + loop / share done, or
    (with under 1% of the loop done) only the lower bound it ran."""
    elapsed, cpu = budget.elapsed(), budget.cpu()
    if done >= 1.0:
        res.stages[name] = StageRecord(elapsed, cpu)
        return
    setup = budget.loop_start - budget.start
    setup_cpu = budget.loop_cpu - budget.cpu_start
    loop = elapsed - setup
    stopped = f"stopped after {elapsed:.1f} s ({setup:.1f} s set-up, {loop:.1f} s main loop)"
    if done < MIN_SHARE_TO_EXTRAPOLATE:
        res.stages[name] = StageRecord(
            seconds=elapsed,
            cpu_seconds=cpu,
            lower_bound=True,
            measured_seconds=elapsed,
            how=f"{stopped}; {what}; not extrapolated: at least {elapsed:.1f} s",
        )
        return
    res.stages[name] = StageRecord(
        seconds=setup + loop / done,
        cpu_seconds=setup_cpu + (cpu - setup_cpu) / done,
        extrapolated=True,
        measured_seconds=elapsed,
        how=f"{stopped} at {done:.2%} of the loop ({what}); total = set-up + main loop / "
        f"share done",
    )

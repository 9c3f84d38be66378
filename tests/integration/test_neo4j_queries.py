"""Every named query on the loaded sample answers what a direct computation on the market says.

The sample is loaded into a real Neo4j with the findings of its in-memory snapshot written
back; each query's rows are checked against pandas, networkx or igraph on the same market.
Also checks that Neo4j Browser answers and that the guide is served the way Browser needs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any, cast

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.loader import load_market
from linkguard.neo4j.queries import bind_params, list_queries
from linkguard.neo4j.writeback import write_findings
from linkguard.pipeline.analysis import analyze_market
from linkguard.pipeline.snapshot import Snapshot
from linkguard.rules.ruleset import load_ruleset

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]


@pytest.fixture(scope="module")
def loaded(graph: GraphRunner, sample_market: Market) -> tuple[Market, Snapshot]:
    """The sample in the graph, with its snapshot's findings written back."""
    load_market(sample_market, runner=graph, replace=True)
    snapshot = analyze_market(sample_market, load_ruleset(None))
    report = write_findings(snapshot, runner=graph)
    assert report.missing_accounts == 0
    return sample_market, snapshot


def _run(graph: GraphRunner, name: str, **params: Any) -> list[dict[str, Any]]:
    return graph.run_named(name, bind_params(name, params)).records


def _ids(market: Market, codes: Any) -> list[str]:
    return [str(x) for x in market.account_ids[np.asarray(codes, dtype=np.int64)]]


def _example_params(market: Market, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    cluster = snapshot.clusters["cluster_id"].iloc[0]
    ring = snapshot.rings["ring_id"].iloc[0]
    seller = snapshot.rings.loc[snapshot.rings["role"] == "seller", "account_id"].iloc[0]
    circular = snapshot.flags[snapshot.flags["code"] == "CIRCULAR_TRADE"]
    lengths = circular["evidence"].map(lambda e: json.loads(e)["length"])
    cyc, cyc_length = circular["account_id"].iloc[lengths.argmin()], int(lengths.min())
    member = snapshot.clusters["account_id"].iloc[0]
    dealer = snapshot.flags.loc[snapshot.flags["code"] == "SELF_DEALING", "account_id"].iloc[0]
    return {
        "account_flags": {"account_id": member},
        "account_graph": {"account_id": member},
        "account_identifiers": {"account_id": member},
        "cluster_graph": {"cluster_id": cluster},
        "cycle_graph": {"account_id": cyc, "max_length": cyc_length},
        "ring_graph": {"ring_id": ring},
        "self_dealer_graph": {"account_id": dealer},
        "shortest_path_graph": {"from_id": member, "to_id": seller},
        "cluster_members": {"cluster_id": cluster},
        "flagged_accounts": {},
        "money_cycles": {"account_id": cyc, "max_length": cyc_length},
        "ring_around_seller": {"seller_id": seller},
        "ring_members": {"ring_id": ring},
        "shortest_path": {"from_id": member, "to_id": seller},
        "top_concentrated_sellers": {},
        "gds_hub_picture": {},
        "gds_wcc": {},
        "gds_louvain": {},
        "gds_node_similarity": {},
        **_evidence_params(snapshot),
    }


def _evidence_params(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Example parameters of the evidence queries behind the Browser deep links."""
    flags = snapshot.flags
    lockstep = json.loads(flags.loc[flags["code"] == "LOCKSTEP", "evidence"].iloc[0])
    dealing = flags[flags["code"] == "SELF_DEALING"].iloc[0]
    cycle = json.loads(flags.loc[flags["code"] == "CIRCULAR_TRADE", "evidence"].iloc[0])
    return {
        "evidence_ring": {"ring_id": snapshot.rings["ring_id"].iloc[0]},
        "evidence_cluster": {"cluster_id": snapshot.clusters["cluster_id"].iloc[0]},
        "evidence_trades": {"buyers": lockstep["buyers"], "sellers": lockstep["sellers"]},
        "evidence_self_dealing": {
            "seller_id": dealing["account_id"],
            "puppets": json.loads(dealing["evidence"])["puppets"],
        },
        "evidence_top_buyers": {"seller_id": cycle["accounts"][0]},
    }


@pytest.mark.parametrize("name", list_queries())
def test_every_named_query_runs_on_the_sample(
    graph: GraphRunner, loaded: tuple[Market, Snapshot], name: str
) -> None:
    examples = _example_params(*loaded)
    assert name in examples, f"add example parameters for the new query {name}"
    rows = _run(graph, name, **examples[name])
    assert rows, f"{name} found nothing for {examples[name]}"


def test_account_identifiers_matches_the_market(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    market, snapshot = loaded
    ids = market.identifiers.assign(account_id=_ids(market, market.identifiers["account"]))
    users = ids.groupby(["kind", "value_hash"])["account_id"].agg(lambda s: sorted(set(s)))
    checked = 0
    for account in sorted(set(snapshot.clusters["account_id"]))[:15]:
        mine = ids.loc[ids["account_id"] == account, ["kind", "value_hash"]].drop_duplicates()
        expected = []
        for kind, value in mine.itertuples(index=False):
            others = [a for a in users[(kind, value)] if a != account]
            if others:
                expected.append(
                    {
                        "kind": kind,
                        "hash": value,
                        "shared_with": len(others),
                        "accounts": others[:50],
                    }
                )
        expected.sort(key=lambda r: (-r["shared_with"], r["kind"], r["hash"]))
        assert _run(graph, "account_identifiers", account_id=account) == expected, account
        checked += len(expected)
    assert checked > 0


def test_ring_around_seller_matches_co_buyers(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    market, snapshot = loaded
    o = market.orders
    buyers_of: dict[str, set[str]] = {}
    for b, s in set(zip(_ids(market, o["buyer"]), _ids(market, o["seller"]), strict=True)):
        buyers_of.setdefault(s, set()).add(b)
    rings = snapshot.rings
    ring_sets = {cast(str, rid): set(part["account_id"]) for rid, part in rings.groupby("ring_id")}
    sellers = cast(set[str], set(rings.loc[rings["role"] == "seller", "account_id"]))
    for seller in sorted(sellers)[:8]:
        expected: list[dict[str, Any]] = []
        for other, theirs in buyers_of.items():
            shared = sorted(buyers_of[seller] & theirs)
            if other != seller and len(shared) >= 2:
                in_both = sorted(r for r, m in ring_sets.items() if {seller, other} <= m)
                expected.append(
                    {
                        "seller_id": other,
                        "shared_buyers": len(shared),
                        "buyers": shared[:50],
                        "rings": in_both,
                    }
                )
        expected.sort(key=lambda r: (-r["shared_buyers"], r["seller_id"]))
        got = _run(graph, "ring_around_seller", seller_id=seller, limit=1000)
        for row in got:
            row["rings"] = sorted(row["rings"])
        assert got == expected, seller
        assert any(r["rings"] for r in got), "a ring's sellers share the ring"


def test_money_cycles_match_networkx(graph: GraphRunner, loaded: tuple[Market, Snapshot]) -> None:
    market, snapshot = loaded
    o = market.orders
    g = nx.DiGraph()
    g.add_edges_from(zip(_ids(market, o["buyer"]), _ids(market, o["seller"]), strict=True))
    accounts = sorted(
        set(snapshot.flags.loc[snapshot.flags["code"] == "CIRCULAR_TRADE", "account_id"])
    )[:6]
    assert accounts
    for max_length in (3, 4):
        cycles = [c for c in nx.simple_cycles(g, length_bound=max_length) if len(c) >= 2]
        for account in accounts:
            expected = set()
            for cycle in cycles:
                if account in cycle:
                    k = cycle.index(account)
                    expected.add(tuple(cycle[k:] + cycle[:k]))
            got = _run(
                graph, "money_cycles", account_id=account, max_length=max_length, limit=100_000
            )
            assert {tuple(r["accounts"]) for r in got} == expected, (account, max_length)
            assert len(got) == len(expected)
            assert all(r["length"] == len(r["accounts"]) for r in got)
    assert any(_run(graph, "money_cycles", account_id=a) for a in accounts)


def test_shortest_path_length_matches_igraph(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    market, _ = loaded
    n = market.n_accounts
    ids = market.identifiers
    value_codes, _ = pd.factorize(ids["kind"] + ":" + ids["value_hash"])
    o = market.orders
    edges = np.r_[
        np.c_[o["buyer"].to_numpy(), o["seller"].to_numpy()],
        np.c_[ids["account"].to_numpy(), n + value_codes],
    ]
    g = ig.Graph(n=n + int(value_codes.max()) + 1, edges=edges.tolist(), directed=False)
    g.simplify()
    rng = np.random.default_rng(5)
    pairs = rng.integers(0, n, size=(25, 2))
    found = 0
    for a, b in pairs:
        if a == b:
            continue
        distance = g.distances(int(a), int(b))[0][0]
        got = _run(
            graph,
            "shortest_path",
            from_id=str(market.account_ids[a]),
            to_id=str(market.account_ids[b]),
        )
        if distance > 12:  # the query stops at 12 steps (inf: not connected)
            assert got == []
            continue
        assert len(got) == 1, (a, b)
        assert got[0]["length"] == distance, (a, b)
        nodes = got[0]["nodes"]
        assert nodes[0] == market.account_ids[a]
        assert nodes[-1] == market.account_ids[b]
        found += 1
    assert found >= 10


def test_top_concentrated_sellers_follow_the_snapshot(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    _, snapshot = loaded
    conc = snapshot.concentration.sort_values(["hhi", "seller_id"], ascending=[False, True])
    for min_orders in (0, 10):
        expected = conc[conc["orders"] >= min_orders].head(20)
        got = _run(graph, "top_concentrated_sellers", limit=20, min_orders=min_orders)
        assert [r["seller_id"] for r in got] == expected["seller_id"].tolist()
        assert [r["hhi"] for r in got] == expected["hhi"].tolist()
        assert [r["adjusted_gmv"] for r in got] == expected["adjusted_gmv"].tolist()


def test_cluster_and_ring_members_are_the_snapshot_s(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    _, snapshot = loaded
    for cluster_id, part in snapshot.clusters.groupby("cluster_id"):
        got = _run(graph, "cluster_members", cluster_id=cluster_id)
        assert [r["account_id"] for r in got] == sorted(part["account_id"])
        assert {r["size"] for r in got} == {len(part)}
        assert got[0]["identifier_kinds"] == list(part["identifier_kinds"].iloc[0])
    for ring_id, part in snapshot.rings.groupby("ring_id"):
        got = _run(graph, "ring_members", ring_id=ring_id)
        assert {(r["account_id"], r["role"]) for r in got} == set(
            zip(part["account_id"], part["role"], strict=True)
        )
        assert got[0]["density"] == part["density"].iloc[0]


def test_account_flags_and_flagged_accounts_are_the_snapshot_s(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    _, snapshot = loaded
    acc = snapshot.accounts.set_index("account_id")
    for account in acc.index[:20]:
        row = _run(graph, "account_flags", account_id=account)[0]
        assert row["risk_level"] == acc.loc[account, "risk_level"]
        assert row["risk_score"] == acc.loc[account, "risk_score"]
        assert row["reason_codes"] == list(acc.loc[account, "reason_codes"])
        mine = snapshot.flags[snapshot.flags["account_id"] == account]
        flags = json.loads(row["flags"])
        assert [f["code"] for f in flags] == mine["code"].tolist()
        assert [f["evidence"] for f in flags] == [json.loads(e) for e in mine["evidence"]]
    unflagged = _run(graph, "account_flags", account_id="no-such-account")
    assert unflagged == []
    decline = acc[acc["risk_level"] == "decline"].reset_index()
    expected = decline.sort_values(["risk_score", "account_id"], ascending=[False, True])
    got = _run(graph, "flagged_accounts", level="decline", limit=30)
    assert [r["account_id"] for r in got] == expected["account_id"].head(30).tolist()


def test_account_graph_paths_start_at_the_account(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    _, snapshot = loaded
    account = snapshot.clusters["account_id"].iloc[0]
    rows = _run(graph, "account_graph", account_id=account)
    assert rows
    for row in rows:
        assert row["p"].start_node["id"] == account


def test_neo4j_browser_answers(neo4j_settings: Any) -> None:
    with urllib.request.urlopen(neo4j_settings.browser_url, timeout=10) as response:
        body = response.read().decode("utf-8", errors="replace")
        assert response.status == 200
    assert "Neo4j Browser" in body


@pytest.fixture(scope="module")
def guide_url() -> Iterator[str]:
    from linkguard.neo4j.guide_server import guide_server

    server = guide_server("localhost", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_guide_is_served_with_cors_for_browser(guide_url: str) -> None:
    # Browser's fetch sends these headers, so the web browser asks first with a preflight.
    preflight = urllib.request.Request(
        f"{guide_url}/guide.html",
        method="OPTIONS",
        headers={
            "Origin": "http://localhost:7474",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "cache-control,pragma,sentry-trace",
        },
    )
    with urllib.request.urlopen(preflight, timeout=10) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "sentry-trace" in response.headers["Access-Control-Allow-Headers"]
    get = urllib.request.Request(
        f"{guide_url}/guide.html", headers={"Origin": "http://localhost:7474"}
    )
    with urllib.request.urlopen(get, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        text = response.read().decode()
    assert text.count("<slide") >= 5
    assert "runnable" in text
    with urllib.request.urlopen(f"{guide_url}/style.grass", timeout=10) as response:
        assert b"node.Account" in response.read()


def test_neo4j_browser_renders_the_guide(guide_url: str, neo4j_settings: Any) -> None:
    """Headless Chromium opens Browser with ``:guide URL`` and the slides appear."""
    chromium = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if chromium is None:
        pytest.skip("no Chromium to render Neo4j Browser with")
    arg = urllib.parse.quote(f"{guide_url}/guide.html", safe="")
    page = f"{neo4j_settings.browser_url}?cmd=guide&arg={arg}"
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=30000",
            "--dump-dom",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    assert "Remote guide error" not in dom
    assert "linkguard: fraud in a marketplace graph" in dom
    assert "MATCH (n) RETURN labels(n) AS labels" in dom  # the first slide's runnable query

"""``linkguard report``: the evidence report's figures, its self-containment, and a real browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import linkguard.cli.report  # noqa: F401  (registers the command)
from chromium_cdp import find_chromium, headless_chromium
from linkguard.cli import app
from linkguard.io.read import read_market
from linkguard.market import Market
from linkguard.report.build import gather
from linkguard.report.evidence import MAX_NODES_PER_SIDE, ring_findings

runner = CliRunner()
BASE = "http://neo4j.example:7999"


@pytest.fixture(scope="module")
def snap_dir(sample_snapshot: Any) -> Path:
    return Path(sample_snapshot.path)


@pytest.fixture(scope="module")
def market(sample_dir: Path) -> Market:
    return read_market(sample_dir)


@pytest.fixture(scope="module")
def report_file(snap_dir: Path, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = runner.invoke(
        app,
        [
            "report",
            "--snapshot",
            str(snap_dir),
            "--data",
            str(sample_dir),
            "--out",
            str(out),
            "--browser-url",
            BASE,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_ring_graphs_hold_the_ring_trades(snap_dir: Path, market: Market) -> None:
    data = gather(snap_dir, market, browser_url=BASE)
    rings = pd.read_parquet(snap_dir / "rings.parquet")
    drawn = data.galleries["rings"]
    assert {f.key for f in drawn} == set(rings["ring_id"])
    orders = pd.read_csv(Path(__file__).parents[1] / "samples/market/orders.csv", dtype=str)
    for finding in drawn:
        members = rings[rings["ring_id"] == finding.key]
        buyers = set(members.loc[members["role"] == "buyer", "account_id"])
        sellers = set(members.loc[members["role"] == "seller", "account_id"])
        pairs = orders[orders["buyer_id"].isin(buyers) & orders["seller_id"].isin(sellers)]
        # loaded orders only: the sample's bad rows (quarantined) have unusable ids or amounts
        pairs = pairs[pairs["order_id"].isin(set(market.orders["order_id"]))]
        expected = pairs.groupby(["buyer_id", "seller_id"]).size().to_dict()
        got = {(e.source, e.target): e.weight for e in finding.graph.edges}
        assert got == expected, finding.key
        assert f"; {len(pairs):,} orders between them" in finding.caption
        assert finding.params == {"ring_id": finding.key}


def test_sellers_table_states_the_fake_share(snap_dir: Path, market: Market) -> None:
    data = gather(snap_dir, market, browser_url=BASE)
    conc = pd.read_parquet(snap_dir / "concentration.parquet").set_index("seller_id")
    sellers = data.sellers.set_index("account_id")
    assert len(sellers) > 0
    assert sellers["gmv"].notna().all()
    expected = 1 - conc["adjusted_gmv"] / conc["gmv"]
    np.testing.assert_allclose(sellers["fake_share"], expected.reindex(sellers.index))


def test_report_is_self_contained_with_deep_links(report_file: Path, snap_dir: Path) -> None:
    text = report_file.read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", text, re.I)
    assert "@import" not in text
    assert "url(http" not in text
    # the only addresses are the Browser deep links, on the configured base
    addresses = re.findall(r"(?:https?|wss?)://[^\s\"'<]+", text)
    hrefs = re.findall(r'<a class="neo4j" href="([^"]+)"', text)
    assert addresses
    assert set(addresses) <= set(hrefs) | {BASE}
    rings = set(pd.read_parquet(snap_dir / "rings.parquet")["ring_id"])
    opened = set()
    for href in hrefs:
        url = urlparse(href.replace("&amp;", "&"))
        assert f"{url.scheme}://{url.netloc}" == BASE
        assert url.path == "/browser/"
        query = parse_qs(url.query)
        assert query["cmd"] == ["edit"]
        opened.update(re.findall(r'MATCH \(r:Ring {id: "([^"]+)"}\)', unquote(query["arg"][0])))
    assert opened == rings


def test_one_account_report_keeps_its_findings(
    snap_dir: Path, sample_dir: Path, tmp_path: Path
) -> None:
    rings = pd.read_parquet(snap_dir / "rings.parquet")
    seller = sorted(rings.loc[rings["role"] == "seller", "account_id"])[0]
    out = tmp_path / "one.html"
    result = runner.invoke(
        app,
        [
            "report",
            "--snapshot",
            str(snap_dir),
            "--data",
            str(sample_dir),
            "--out",
            str(out),
            "--account",
            seller,
        ],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert (
        text.count('data-kind="ring"')
        == rings.loc[rings["account_id"] == seller, "ring_id"].nunique()
    )
    assert f"Account {seller}" in text
    assert 'data-kind="cluster"' not in text or seller in text


def test_unknown_account_exits_2(snap_dir: Path, sample_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    result = runner.invoke(
        app,
        [
            "report",
            "--snapshot",
            str(snap_dir),
            "--data",
            str(sample_dir),
            "--out",
            str(out),
            "--account",
            "nobody-here",
        ],
    )
    assert result.exit_code == 2
    assert "not in the analysed market" in result.output
    assert not out.exists()


def test_report_opens_offline_in_chromium_and_draws_the_rings(
    report_file: Path, snap_dir: Path
) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium to open the report with")
    rings = pd.read_parquet(snap_dir / "rings.parquet")
    per_side = rings.groupby(["ring_id", "role"]).size().clip(upper=MAX_NODES_PER_SIDE)
    with headless_chromium(chromium) as browser:
        page = browser.open_page(offline=True)
        browser.send("Page.navigate", {"url": report_file.as_uri()}, session=page)
        browser.wait_event("Page.loadEventFired", page)
        ring_nodes = browser.evaluate(
            page, "document.querySelectorAll('#rings svg.graph g.node circle').length"
        )
        ring_edges = browser.evaluate(page, "document.querySelectorAll('#rings line.edge').length")
        # the page's own script ran to its end and counted every drawn node
        drawn = browser.evaluate(page, "document.body.getAttribute('data-drawn-nodes')")
        all_nodes = browser.evaluate(page, "document.querySelectorAll('svg.graph .node').length")
        width = browser.evaluate(
            page,
            "document.querySelector('#rings svg.graph circle').getBoundingClientRect().width",
        )
        events = list(browser.events)
    errors = [
        e
        for e in events
        if e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    requested = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    assert requested
    assert all(u.startswith("file://") for u in requested), requested
    assert ring_nodes == int(per_side.sum())
    assert ring_edges > ring_nodes
    assert drawn is not None
    assert int(drawn) == all_nodes > ring_nodes
    assert width > 0  # laid out, not just present in the DOM


def test_cycles_count_distinct_orders_and_go_round(snap_dir: Path, market: Market) -> None:
    flags = pd.read_parquet(snap_dir / "flags.parquet")
    evidence = flags.loc[flags["code"] == "CIRCULAR_TRADE", "evidence"].map(json.loads)
    orders: dict[tuple[str, ...], set[str]] = {}
    for ev in evidence:
        orders.setdefault(tuple(sorted(ev["accounts"])), set()).update(ev["orders"])
    amounts = market.orders.set_index("order_id")["amount"]
    data = gather(snap_dir, market, browser_url=BASE)
    assert {f.key for f in data.galleries["cycles"]} == {" ".join(k) for k in orders}
    for finding in data.galleries["cycles"]:
        ids = orders[tuple(finding.key.split())]
        total = amounts[list(ids)].sum()
        assert finding.caption == f"{len(ids)} distinct orders worth {total:,.2f}"
        # drawn in the order money goes round: each node pays the next
        ring = [n.id for n in finding.graph.nodes]
        pays = {(e.source, e.target) for e in finding.graph.edges}
        assert all((a, b) in pays for a, b in zip(ring, ring[1:] + ring[:1], strict=True))


def test_hubs_are_capped_and_still_counted() -> None:
    buyers = [f"b{i:02d}" for i in range(MAX_NODES_PER_SIDE + 10)]
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(buyers) + 5)],
            "buyer_id": [*buyers, *buyers[:5]],
            "seller_id": "s1",
            "amount": 10.0,
            "created_at": "2026-01-01T10:00:00Z",
        }
    )
    market = Market.from_frames(orders)
    rings = pd.DataFrame(
        {
            "ring_id": "R1",
            "account_id": [*buyers, "s1"],
            "role": ["buyer"] * len(buyers) + ["seller"],
            "ring_score": 1.0,
            "density": 1.0,
        }
    )
    (finding,) = ring_findings(rings, market, {})
    drawn = [n.id for n in finding.graph.nodes if n.side == 0]
    assert len(drawn) == MAX_NODES_PER_SIDE
    assert finding.graph.hidden == 10
    assert set(buyers[:5]) <= set(drawn)  # the busiest buyers (two orders each) are kept
    assert "45 orders between them" in finding.caption
    assert len(finding.accounts) == len(buyers) + 1

"""The Browser guide works on the loaded sample: in real Neo4j Browser, and as Browser sends it.

Neo4j Browser reads the numbers of ``:params {limit: 25}`` as floats (25.0); these tests run
every block of every slide the way Browser does, in headless Chromium (every runnable block
clicked and run, no error frame) and through the driver with float parameters, against the
sample loaded with its snapshot's findings. Also holds the CIRCULAR_TRADE evidence to the
``money_cycles`` query.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cdp import chromium_binary, headless_page

from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.loader import load_market
from linkguard.neo4j.queries import bind_params, list_queries, query_spec
from linkguard.neo4j.writeback import write_findings
from linkguard.pipeline.analysis import analyze_market
from linkguard.pipeline.snapshot import Snapshot
from linkguard.rules.ruleset import load_ruleset

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]

_RUNNABLE = re.compile(r'<pre class="[^"]*runnable[^"]*">(.*?)</pre>', re.S)


@pytest.fixture(scope="module")
def loaded(graph: GraphRunner, sample_market: Market) -> tuple[Market, Snapshot]:
    load_market(sample_market, runner=graph, replace=True)
    snapshot = analyze_market(sample_market, load_ruleset(None))
    assert write_findings(snapshot, runner=graph).missing_accounts == 0
    return sample_market, snapshot


@pytest.fixture(scope="module")
def guide_base(loaded: tuple[Market, Snapshot], neo4j_settings: Any) -> Iterator[str]:
    """The guide server, reading examples from the test server (NEO4J_URI as the tests')."""
    from linkguard.neo4j.guide_server import guide_server

    before = os.environ.get("NEO4J_URI")
    os.environ["NEO4J_URI"] = neo4j_settings.uri
    server = guide_server("localhost", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        if before is None:
            os.environ.pop("NEO4J_URI", None)
        else:
            os.environ["NEO4J_URI"] = before


@pytest.fixture(scope="module")
def served_guide(guide_base: str) -> str:
    with urllib.request.urlopen(f"{guide_base}/guide.html", timeout=30) as response:
        return str(response.read().decode("utf-8"))


def _blocks(page: str) -> list[str]:
    return [html.unescape(b).strip() for b in _RUNNABLE.findall(page)]


def browser_params(block: str) -> dict[str, Any]:
    """A ``:params {key: value, ...}`` block as Browser sends it: every number a float."""
    body = block.removeprefix(":params").strip()
    as_json = re.sub(r"([{,]\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', body)
    values: dict[str, Any] = json.loads(as_json)
    return {k: float(v) if isinstance(v, int | float) else v for k, v in values.items()}


def test_served_guide_uses_this_server_and_the_loaded_ids(
    served_guide: str, guide_base: str, neo4j_settings: Any, loaded: tuple[Market, Snapshot]
) -> None:
    _, snapshot = loaded
    assert "{{" not in served_guide
    assert f":style {guide_base}/style.grass" in served_guide
    assert neo4j_settings.uri in served_guide
    ids = {
        key: value
        for block in _blocks(served_guide)
        if block.startswith(":params")
        for key, value in browser_params(block).items()
        if key.endswith("_id")
    }
    assert ids["ring_id"] in set(snapshot.rings["ring_id"])
    assert ids["cluster_id"] in set(snapshot.clusters["cluster_id"])
    accounts = set(snapshot.accounts["account_id"])
    for key in ("account_id", "seller_id", "from_id", "to_id"):
        assert ids[key] in accounts, key
    self_dealers = set(snapshot.flags.loc[snapshot.flags["code"] == "SELF_DEALING", "account_id"])
    assert any(
        browser_params(b).get("account_id") in self_dealers
        for b in _blocks(served_guide)
        if b.startswith(":params")
    )


def test_every_guide_query_runs_with_browser_float_params(
    served_guide: str, graph: GraphRunner
) -> None:
    params: dict[str, Any] = {}
    ran = 0
    for block in _blocks(served_guide):
        if block.startswith(":params"):
            params = {**params, **browser_params(block)}
            continue
        if block.startswith(":"):
            continue
        used = set(re.findall(r"\$([A-Za-z_]\w*)", block))
        records, _, _ = graph.driver.execute_query(  # type: ignore[union-attr]
            block, {k: params[k] for k in used}, database_=graph.database
        )
        assert records, f"no rows for {block[:60]!r} with {params}"
        ran += 1
    assert ran >= 15


@pytest.mark.parametrize("name", list_queries())
def test_each_named_query_accepts_float_numbers(
    name: str, graph: GraphRunner, served_guide: str, loaded: tuple[Market, Snapshot]
) -> None:
    from test_neo4j_queries import _evidence_params  # the deep links' queries, not in the guide

    examples: dict[str, Any] = dict(_evidence_params(loaded[1]).get(name, {}))
    for block in _blocks(served_guide):
        if block.startswith(":params"):
            examples.update(browser_params(block))
    spec = query_spec(name)
    given = {p.name: examples[p.name] for p in spec.params if p.required}
    bound = bind_params(name, given)
    floats = {
        k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in bound.items()
    }
    assert any(isinstance(v, float) for v in floats.values()) or not any(
        p.type == "integer" for p in spec.params
    )
    graph.run_named(name, floats)  # raises on "LIMIT: Invalid input. '25.0' ..."


def test_circular_trade_reason_evidence_and_money_cycles_agree(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    market, snapshot = loaded
    amount_of = dict(zip(market.orders["order_id"], market.orders["amount"], strict=True))
    flags = snapshot.flags[snapshot.flags["code"] == "CIRCULAR_TRADE"]
    assert len(flags)
    row: Any
    for row in flags.itertuples():
        evidence = json.loads(row.evidence)
        orders = evidence["orders"]
        assert len(set(orders)) == len(orders) == evidence["n_orders"]
        total = round(sum(amount_of[o] for o in orders), 2)
        assert evidence["amount"] == pytest.approx(total)
        assert f"{evidence['rounds']} separate round(s)" in row.reason
        assert f"{evidence['n_orders']} distinct orders" in row.reason
        assert f"{total:,.2f} in all" in row.reason
        # Every round needs an order per hop that no other round used.
        assert evidence["rounds"] * evidence["length"] <= evidence["n_orders"]
        cycles = graph.run_named(
            "money_cycles",
            bind_params(
                "money_cycles",
                {"account_id": row.account_id, "max_length": evidence["length"], "limit": 1000},
            ),
        ).records
        mine = [c for c in cycles if set(c["accounts"]) == set(evidence["accounts"])]
        assert len(mine) == 1, (row.account_id, evidence["accounts"])
        on_hops = {o for hop in mine[0]["order_ids"] for o in hop}
        assert set(orders) <= on_hops
        # The graph's per-hop totals cover at least the money of the evidence orders.
        assert sum(mine[0]["amounts"]) >= total - 0.01


_FRAME_STATE = """
(() => {
  const frame = document.querySelector('[data-testid=frame]:not([data-lg-seen])');
  if (!frame) return null;
  const command = frame.querySelector('[data-testid=frameCommand]');
  const errors = frame.querySelectorAll('[data-testid*=rror], [class*=ErrorText]');
  const done = errors.length > 0 || frame.querySelector('[data-testid=frameStatusbar]')
    || frame.querySelector('[data-testid=rawParamData]')
    || frame.innerText.includes('Displaying ');
  return done ? {
    command: command ? command.innerText : '',
    errors: Array.from(errors).map(e => e.innerText),
    text: frame.innerText.slice(0, 400),
  } : null;
})()
"""


def test_neo4j_browser_runs_every_block_of_every_slide(
    guide_base: str, neo4j_settings: Any, tmp_path: Path
) -> None:
    """Headless Chromium: open the guide, click and run every block; no frame shows an error."""
    if chromium_binary() is None:
        pytest.skip("no Chromium to drive Neo4j Browser with")
    arg = urllib.parse.quote(f"{guide_base}/guide.html", safe="")
    dbms = urllib.parse.quote(neo4j_settings.uri, safe="")
    url = (
        f"{neo4j_settings.browser_url}?dbms={dbms}&preselectAuthMethod=NO_AUTH&cmd=guide&arg={arg}"
    )
    ran: list[str] = []
    with headless_page() as page:
        page.navigate(url)
        page.wait_for("document.querySelectorAll('pre.runnable').length > 0", timeout=90)
        page.wait_for("document.body.innerText.includes('Connected to Neo4j')", timeout=90)
        slides = int(
            page.evaluate(
                "Math.max(...Array.from(document.querySelectorAll('[data-testid^=pagination-]'))"
                ".map(e => +e.dataset.testid.split('-')[1]))"
            )
        )
        assert slides >= 8
        for slide in range(1, slides + 1):
            if slide > 1:
                page.evaluate("document.querySelector('[data-testid=guideNextSlide]').click()")
            page.wait_for("document.querySelectorAll('pre.runnable').length > 0")
            n_blocks = int(page.evaluate("document.querySelectorAll('pre.runnable').length"))
            for i in range(n_blocks):
                # Mark the frames shown so far: Browser keeps at most 15, newest first.
                page.evaluate(
                    "document.querySelectorAll('[data-testid=frame]')"
                    ".forEach(f => { f.dataset.lgSeen = '1'; })"
                )
                text = page.evaluate(
                    f"(() => {{ const b = document.querySelectorAll('pre.runnable')[{i}];"
                    " b.click(); return b.innerText; })()"
                )
                head = re.sub(r"\s", "", text)[:30]  # the editor shows spaces as nbsp
                page.wait_for(
                    "document.querySelector('[data-testid=activeEditor]').innerText"
                    f".replace(/\\s/g, '').includes({json.dumps(head)})"
                )
                page.evaluate("document.querySelector('[data-testid=editor-Run]').click()")
                try:
                    state = page.wait_for(_FRAME_STATE, timeout=120)
                except TimeoutError:
                    page.screenshot(tmp_path / "stuck.png")
                    top = page.evaluate(
                        "document.querySelector('[data-testid=frame]').innerText.slice(0, 300)"
                    )
                    pytest.fail(f"slide {slide}: no finished frame for {text!r}; top: {top!r}")
                assert not state["errors"], (slide, text, state)
                assert "ERROR" not in state["text"], (slide, text, state)
                ran.append(text)
                if text.startswith("MATCH (r:Ring") and "RETURN p" in text:  # the ring drawn
                    time.sleep(3)  # let the force layout settle
                    shots = Path(os.environ.get("LINKGUARD_SCREENSHOT_DIR") or tmp_path)
                    page.screenshot(shots / "guide-ring-slide.png")
    with urllib.request.urlopen(f"{guide_base}/guide.html", timeout=30) as response:
        assert len(ran) == len(_blocks(response.read().decode()))


def test_self_dealer_puppets_are_labelled_puppet(
    graph: GraphRunner, loaded: tuple[Market, Snapshot]
) -> None:
    _, snapshot = loaded
    dealing = snapshot.flags[snapshot.flags["code"] == "SELF_DEALING"]
    puppets = {p for e in dealing["evidence"] for p in json.loads(e)["puppets"]}
    assert puppets
    records, _, _ = graph.driver.execute_query(  # type: ignore[union-attr]
        "MATCH (a:Puppet) RETURN a.id AS id, a.finding_roles AS roles", database_=graph.database
    )
    assert {r["id"] for r in records} == puppets
    assert all(r["roles"] == ["puppet"] for r in records)
    # some puppets are only info-level on their own: the role, not the level, colours them
    levels = snapshot.accounts.set_index("account_id")["risk_level"]
    assert any(levels.get(p) in (None, "info") for p in puppets)

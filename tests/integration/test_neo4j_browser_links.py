"""The report's Neo4j Browser deep links open their evidence graphs on the loaded sample.

Each link's text runs in Neo4j and returns the finding's graph; in real Neo4j Browser
(headless Chromium), a ring's link, once run, draws the ring's buyers, sellers and the ring.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from neo4j import Driver

from chromium_cdp import Chromium, find_chromium, headless_chromium
from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.loader import load_market
from linkguard.neo4j.writeback import write_findings
from linkguard.pipeline.analysis import analyze_market
from linkguard.pipeline.snapshot import write_snapshot
from linkguard.report.build import ReportData, gather
from linkguard.rules.ruleset import load_ruleset
from linkguard.serving.browser_links import browser_link, browser_text

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]


@pytest.fixture(scope="module")
def report(
    graph: GraphRunner, sample_market: Market, tmp_path_factory: pytest.TempPathFactory
) -> ReportData:
    load_market(sample_market, runner=graph, replace=True)
    snapshot = analyze_market(sample_market, load_ruleset(None))
    write_findings(snapshot, runner=graph)
    path = write_snapshot(snapshot, tmp_path_factory.mktemp("links") / "snap")
    return gather(path, sample_market)


def _paths(driver: Driver, database: str, text: str) -> list[Any]:
    # The link's text as Browser would send it: values written in, no parameters.
    records, _, _ = driver.execute_query(text, database_=database)
    return [r["p"] for r in records]


def test_every_finding_link_returns_its_evidence(
    report: ReportData, neo4j_driver: Driver, neo4j_database: str
) -> None:
    checked = 0
    for name, findings in report.galleries.items():
        assert findings, f"the sample has no {name}"
        for finding in findings:
            paths = _paths(
                neo4j_driver, neo4j_database, browser_text(finding.query, finding.params)
            )
            assert paths, (name, finding.key)
            ids = {n.get("id") for p in paths for n in p.nodes if "Account" in n.labels}
            assert ids <= set(finding.accounts), (name, finding.key)
            if finding.kind == "ring":
                trades = {
                    (r.start_node["id"], r.end_node["id"])
                    for p in paths
                    for r in p.relationships
                    if r.type == "BOUGHT_FROM"
                }
                assert trades == {(e.source, e.target) for e in finding.graph.edges}
            checked += 1
    assert checked >= 10


def _wait(browser: Chromium, page: str, expression: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.evaluate(page, expression)
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {expression}")


_CONNECT = """(() => {
  const method = document.querySelector('[data-testid=authenticationMethod]');
  const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
  set.call(method, 'NO_AUTH');
  method.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
})()"""


def test_ring_link_draws_the_ring_in_neo4j_browser(
    report: ReportData, neo4j_settings: Any, tmp_path: Path
) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium to render Neo4j Browser with")
    ring = report.galleries["rings"][0]
    link = browser_link(ring.query, ring.params, base=neo4j_settings.http_url)
    url = urlparse(link)
    assert unquote(parse_qs(url.query)["arg"][0]) == browser_text(ring.query, ring.params)
    with headless_chromium(chromium) as browser:
        page = browser.open_page(offline=False)
        browser.send("Page.navigate", {"url": link}, session=page)
        browser.wait_event("Page.loadEventFired", page)
        editor = "document.querySelector('[data-testid=activeEditor]')"
        assert ring.key in _wait(browser, page, f"{editor} && {editor}.innerText")
        # Browser asks how to connect: the dev server runs without authentication.
        _wait(browser, page, "!!document.querySelector('[data-testid=authenticationMethod]')")
        browser.evaluate(page, _CONNECT)
        time.sleep(0.3)
        browser.evaluate(page, "document.querySelector('[data-testid=connect]').click()")
        _wait(browser, page, "document.body.innerText.includes('Connected to Neo4j')")
        browser.evaluate(page, "document.querySelector('[data-testid=editor-Run]').click()")
        nodes = "document.querySelectorAll('[data-testid=frame] svg g.node').length"
        _wait(browser, page, nodes)
        time.sleep(1.0)  # let the force layout add the last nodes
        drawn = browser.evaluate(page, nodes)
        text = browser.evaluate(page, "document.body.innerText")
    assert "Neo.ClientError" not in text
    assert "ERROR" not in text
    buyers_sellers = len(ring.accounts)
    assert drawn == buyers_sellers + 1  # and the ring itself

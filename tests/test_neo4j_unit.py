"""The Neo4j adapter without a server: a recording fake driver captures every statement.

Checks that every statement linkguard sends is the text of one of its ``.cypher`` files (so no
value is ever interpolated into Cypher), that values travel as parameters, that batches have
the requested size, and that named queries load by name with declared parameters.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.cli.neo4j import parse_param
from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.loader import NAT_MICROS, load_market
from linkguard.neo4j.queries import (
    QueryNotFound,
    bind_params,
    cypher_dir,
    list_queries,
    load_query,
    load_statements,
    query_spec,
    used_params,
)
from linkguard.neo4j.writeback import write_findings

_register()
ROOT = Path(__file__).resolve().parents[1]

NASTY_IDS = [
    "x'}) DETACH DELETE n //",
    'dq"}) MATCH (m) DETACH DELETE m RETURN 1 //',
    "back`tick` {brace}; semi",
    "new\nline\r\ttab",
    "MATCH (n) RETURN n",
    "$rows",
    "\\u0027 backslash \\",
    "ünïcødé 账户",
]

#: The named queries the Browser guide walks through.
INVESTIGATION_QUERIES = (
    "account_identifiers",
    "ring_around_seller",
    "money_cycles",
    "shortest_path",
    "top_concentrated_sellers",
    "cluster_members",
)


class RecordingTx:
    """Stands in for ``neo4j.ManagedTransaction``: records ``(query, parameters)``."""

    def __init__(self, log: list[tuple[str, dict[str, Any]]]) -> None:
        self.log = log

    def run(self, query: str, parameters: dict[str, Any] | None = None, **kw: Any) -> Any:
        assert not kw, "values must travel in the parameters dict"
        self.log.append((query, dict(parameters or {})))
        # Batched deletes loop until a batch reports 0; every write reports 0 rows touched.
        rows = [[0]] if re.search(r"RETURN count\(", query) else []
        counters = SimpleNamespace(nodes_created=0)
        return SimpleNamespace(
            keys=lambda: ["n"],
            values=lambda: rows,
            consume=lambda: SimpleNamespace(counters=counters),
        )


class RecordingSession:
    def __init__(self, log: list[tuple[str, dict[str, Any]]]) -> None:
        self.tx = RecordingTx(log)

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute_write(self, work: Any, *args: Any) -> Any:
        return work(self.tx, *args)

    def execute_read(self, work: Any, *args: Any) -> Any:
        return work(self.tx, *args)


class RecordingDriver:
    def __init__(self) -> None:
        self.log: list[tuple[str, dict[str, Any]]] = []
        self.databases: list[str | None] = []

    def session(self, database: str | None = None, **_: Any) -> RecordingSession:
        self.databases.append(database)
        return RecordingSession(self.log)

    def close(self) -> None:
        pass


def nasty_market(n_orders: int = 40) -> Market:
    """Accounts whose ids try to break out of a Cypher string, trading and sharing devices."""
    rng = np.random.default_rng(3)
    ids = NASTY_IDS
    buyer = rng.integers(0, len(ids), n_orders)
    seller = (buyer + 1 + rng.integers(0, len(ids) - 1, n_orders)) % len(ids)
    orders = pd.DataFrame(
        {
            "order_id": [f"o-{i}'\"`;{{}}" for i in range(n_orders)],
            "buyer_id": [ids[b] for b in buyer],
            "seller_id": [ids[s] for s in seller],
            "amount": np.round(rng.uniform(1, 100, n_orders), 2),
            "created_at": pd.date_range("2026-01-01", periods=n_orders, freq="37min", tz="UTC"),
            "status": ["confirmed"] * (n_orders - 1) + [""],
            "rating": [5.0, np.nan] * (n_orders // 2),
            "confirmed_at": [pd.NaT, pd.Timestamp("2026-02-01", tz="UTC")] * (n_orders // 2),
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "kind": ["both"] * len(ids),
            "region": ["EU"] * len(ids),
            "status": ["active"] * len(ids),
        }
    )
    identifiers = pd.DataFrame(
        {
            "account_id": [ids[0], ids[1], ids[2], ids[0], ids[0]],
            "kind": ["device", "device", "device", "phone", "phone"],
            "value_hash": ["h'1}) //", "h'1}) //", "h'1}) //", "p;1", "p;1"],
        }
    )
    loans = pd.DataFrame(
        {
            "loan_id": ["L'}) //"],
            "account_id": [ids[3]],
            "applied_at": ["2026-01-05T00:00:00Z"],
            "amount": [100.0],
            "first_overdue": [np.nan],
            "defaulted": [0.0],
        }
    )
    return Market.from_frames(orders, accounts, identifiers, loans)


def _file_texts() -> set[str]:
    texts = {load_query(n) for n in list_queries(internal=True)}
    texts |= set(load_statements("schema"))
    return texts


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _all_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _all_strings(v)]
    return []


def test_every_load_statement_is_a_file_text_and_values_are_parameters() -> None:
    driver = RecordingDriver()
    market = nasty_market()
    load_market(market, runner=GraphRunner(driver, "neo4j"), replace=True)
    texts = _file_texts()
    assert driver.log
    for query, _ in driver.log:
        assert query in texts, f"not a statement from cypher/: {query[:80]!r}"
        for value in NASTY_IDS:
            if value != "$rows":  # the one id that is also legitimate Cypher text
                assert value not in query
    sent = {s for _, params in driver.log for s in _all_strings(params)}
    assert set(NASTY_IDS) <= sent, "every account id travels as a parameter value"
    assert "L'}) //" in sent
    assert "h'1}) //" in sent
    assert set(driver.databases) == {"neo4j"}


def test_batches_have_the_requested_size() -> None:
    driver = RecordingDriver()
    market = nasty_market(n_orders=40)
    report = load_market(market, runner=GraphRunner(driver), batch_size=3)
    by_stage: dict[str, list[int]] = {}
    names = {
        load_query(n): n for n in ("load_accounts", "load_identifiers", "load_trades", "load_loans")
    }
    for query, params in driver.log:
        if query in names:
            by_stage.setdefault(names[query], []).append(len(params["rows"]))
    expected = {
        "load_accounts": report.accounts,
        "load_identifiers": report.uses,
        "load_trades": report.trades,
        "load_loans": report.loans,
    }
    for name, total in expected.items():
        sizes = by_stage[name]
        assert sum(sizes) == total, name
        assert all(s == 3 for s in sizes[:-1]), (name, sizes)
        assert 1 <= sizes[-1] <= 3, (name, sizes)
    assert report.batches == sum(len(s) for s in by_stage.values())


def test_rows_carry_every_order_and_identifier_row() -> None:
    driver = RecordingDriver()
    market = nasty_market(n_orders=40)
    load_market(market, runner=GraphRunner(driver), batch_size=5)
    trades = [r for q, p in driver.log if q == load_query("load_trades") for r in p["rows"]]
    uses = [r for q, p in driver.log if q == load_query("load_identifiers") for r in p["rows"]]
    rows = sorted(i for r in trades for i in r["rows"])
    assert rows == list(range(len(market.orders)))
    for r in trades:
        n = r["orders"]
        assert n == len(r["order_ids"]) == len(r["amounts"]) == len(r["times"])
        assert n == len(r["ratings"]) == len(r["statuses"]) == len(r["confirmed_times"])
        assert r["amount"] == pytest.approx(sum(r["amounts"]))
        assert r["buyer"] in NASTY_IDS
        assert r["seller"] in NASTY_IDS
    confirmed = [t for r in trades for t in r["confirmed_times"]]
    assert NAT_MICROS in confirmed  # never confirmed
    assert sorted(i for r in uses for i in r["rows"]) == list(range(len(market.identifiers)))
    # (account, kind, hash) repeated in the input is one USES with two rows
    assert max(len(r["rows"]) for r in uses) == 2


def test_write_findings_sends_parameters_only() -> None:
    driver = RecordingDriver()
    ids = NASTY_IDS[:3]
    from linkguard.pipeline.snapshot import Snapshot

    snap = Snapshot(
        flags=pd.DataFrame(
            {
                "account_id": ids,
                "code": ["LINKED_ACCOUNTS"] * 3,
                "severity": ["review"] * 3,
                "score": [0.5] * 3,
                "reason": ["r"] * 3,
                "evidence": ['{"k": "v"}'] * 3,
            }
        ),
        accounts=pd.DataFrame(
            {
                "account_id": ids,
                "risk_level": ["review"] * 3,
                "risk_score": [0.5] * 3,
                "reason_codes": [["LINKED_ACCOUNTS"]] * 3,
                "cluster_id": ["C'}) //"] * 3,
            }
        ),
        clusters=pd.DataFrame(
            {
                "cluster_id": ["C'}) //"] * 3,
                "account_id": ids,
                "size": [3] * 3,
                "identifier_kinds": [["device"]] * 3,
            }
        ),
        rings=pd.DataFrame(
            {
                "ring_id": ["R`x"] * 2,
                "account_id": ids[:2],
                "role": ["buyer", "seller"],
                "ring_score": [1.0] * 2,
                "density": [1.0] * 2,
            }
        ),
        concentration=pd.DataFrame(
            {
                "seller_id": [ids[1]],
                "orders": [3],
                "buyers": [2],
                "gmv": [10.0],
                "hhi": [5000.0],
                "top1_share": [0.5],
                "top5_share": [1.0],
                "linked_buyer_share": [0.0],
                "ring_buyer_share": [0.0],
                "adjusted_gmv": [10.0],
            }
        ),
        summary={"snapshot_id": "S'}) //"},
    )
    write_findings(snap, runner=GraphRunner(driver))
    texts = _file_texts()
    for query, _ in driver.log:
        assert query in texts
    accounts = [
        r for q, p in driver.log if q == load_query("writeback_accounts") for r in p["rows"]
    ]
    assert [r["id"] for r in accounts] == ids
    assert json.loads(accounts[0]["flags"])[0]["evidence"] == {"k": "v"}
    assert any(p.get("snapshot_id") == "S'}) //" for _, p in driver.log)


def test_queries_load_by_name() -> None:
    names = list_queries()
    for name in INVESTIGATION_QUERIES:
        assert name in names
        assert load_query(name).strip()
    assert not any(n.startswith(("load_", "writeback_", "read_")) for n in names)
    assert "load_accounts" in list_queries(internal=True)
    assert "schema" in list_queries(internal=True)


@pytest.mark.parametrize("bad", ["no_such_query", "../pyproject", "Schema", "a b", "", "x.cypher"])
def test_unknown_query_name_is_an_input_error_listing_the_names(bad: str) -> None:
    with pytest.raises(QueryNotFound) as info:
        load_query(bad)
    assert info.value.exit_code == 2
    assert "cluster_members" in str(info.value)


@pytest.mark.parametrize("name", list_queries(internal=True))
def test_declared_parameters_are_the_used_ones(name: str) -> None:
    if name == "schema":
        assert all("$" not in s for s in load_statements("schema"))
        return
    declared = {p.name for p in query_spec(name).params}
    assert declared == used_params(name), name
    assert query_spec(name).summary


def test_cypher_files_ship_from_one_folder() -> None:
    folder = Path(str(cypher_dir()))
    assert (folder / "schema.cypher").is_file()
    assert (folder / "guide.html").is_file()
    assert (folder / "style.grass").is_file()


def test_bind_params_fills_defaults_and_rejects_mistakes() -> None:
    assert bind_params("money_cycles", {"account_id": "a"}) == {
        "account_id": "a",
        "max_length": 4,
        "limit": 25,
    }
    assert bind_params("flagged_accounts", {})["level"] is None
    with pytest.raises(Exception, match="needs --param account_id"):
        bind_params("money_cycles", {})
    with pytest.raises(Exception, match="takes no parameter"):
        bind_params("money_cycles", {"account_id": "a", "depth": 3})


def test_parse_param() -> None:
    assert parse_param("limit=5") == ("limit", 5)
    assert parse_param("level=null") == ("level", None)
    assert parse_param("x=a=b") == ("x", "a=b")
    assert parse_param("id=00123", {"id": "string"}) == ("id", "00123")
    assert parse_param('id="007"', {"id": "string"}) == ("id", "007")
    with pytest.raises(Exception, match="key=value"):
        parse_param("novalue")


def _guide_blocks() -> list[str]:
    text = (ROOT / "cypher" / "guide.html").read_text(encoding="utf-8")
    return [
        html.unescape(b).strip()
        for b in re.findall(r'<pre class="[^"]*runnable[^"]*">(.*?)</pre>', text, re.S)
    ]


def test_guide_runs_the_named_queries_verbatim() -> None:
    blocks = _guide_blocks()
    bodies = {query_spec(n).body: n for n in list_queries()}
    shown = [bodies[b] for b in blocks if b in bodies]
    assert set(shown) >= set(INVESTIGATION_QUERIES)
    others = [b for b in blocks if b not in bodies]
    assert all(b.startswith((":params", ":style", "MATCH (n) RETURN labels(n)")) for b in others)
    # the :params block nearest before each query sets every parameter it uses (Browser keeps
    # parameters until they are set again, so two queries may share one block)
    for i, block in enumerate(blocks):
        if block in bodies:
            params = next(b for b in reversed(blocks[:i]) if b.startswith(":params"))
            for p in used_params(bodies[block]):
                assert re.search(rf"\b{p}:", params), (bodies[block], p)


def test_guide_takes_ids_and_addresses_from_placeholders_only() -> None:
    from linkguard.neo4j.guide import EXAMPLE_KEYS, placeholders

    text = (ROOT / "cypher" / "guide.html").read_text(encoding="utf-8")
    # No example id, port or host is written into the template: all come from the graph
    # and the running configuration when the guide is served.
    assert not re.search(r"\b(?:u\d{6,}|R[0-9a-f]{8,}|C[0-9a-f]{8,})\b", text)
    assert "7474" not in text
    assert "7687" not in text
    assert "8001" not in text
    assert placeholders(text) <= {*EXAMPLE_KEYS, "bolt_uri", "style_url"}
    assert {"bolt_uri", "style_url", "ring_id", "self_dealer", "cluster_id"} <= placeholders(text)
    assert "No authentication" in text


def test_each_guide_slide_opens_with_a_picture() -> None:
    from linkguard.neo4j.queries import query_spec

    text = (ROOT / "cypher" / "guide.html").read_text(encoding="utf-8")
    bodies = {query_spec(n).body: n for n in list_queries()}
    drawn = {
        "account_graph",
        "ring_graph",
        "self_dealer_graph",
        "cluster_graph",
        "cycle_graph",
        "shortest_path_graph",
        "gds_hub_picture",
    }
    for slide in re.findall(r"<slide.*?</slide>", text, re.S)[1:-1]:
        blocks = [
            html.unescape(b).strip()
            for b in re.findall(r'<pre class="[^"]*runnable[^"]*">(.*?)</pre>', slide, re.S)
        ]
        names = [bodies[b] for b in blocks if b in bodies]
        assert names[0] in drawn, names
        assert any(n not in drawn for n in names[1:]), names


def test_render_guide_fills_and_escapes() -> None:
    from linkguard.neo4j.guide import guide_examples, render_guide

    text = (ROOT / "cypher" / "guide.html").read_text(encoding="utf-8")
    page = render_guide(
        text,
        {
            "bolt_uri": "bolt://db:7999",
            "style_url": "http://h:9/style.grass",
            "ring_id": "R<1>",
            "cycle_length": 3,
        },
    )
    assert "{{" not in page
    assert ":style http://h:9/style.grass" in page
    assert "bolt://db:7999" in page
    assert ":params {ring_id: &quot;R&lt;1&gt;&quot;, limit: 500}" in page
    assert "max_length: 3," in page

    class Runner:
        def run_named(self, name: str, params: Any = None) -> Any:
            assert name == "read_guide_examples"
            flags = '[{"code": "CIRCULAR_TRADE", "evidence": {"length": 5}}]'
            row = {
                "ring_id": "R9",
                "self_dealer": None,
                "cluster_member": "m1",
                "circular_flags": flags,
            }
            return type("R", (), {"records": [row]})()

    examples = guide_examples(Runner())
    assert examples == {
        "ring_id": "R9",
        "cluster_member": "m1",
        "self_dealer": "m1",
        "cycle_length": 5,
    }


def test_style_file_styles_every_label() -> None:
    grass = (ROOT / "cypher" / "style.grass").read_text(encoding="utf-8")
    for label in (
        "Account",
        "Identifier",
        "Loan",
        "Cluster",
        "Ring",
        "Flagged",
        "Decline",
        "Review",
        "BOUGHT_FROM",
        "USES",
        "MEMBER_OF",
    ):
        assert re.search(rf"(node|relationship)\.{label} \{{", grass), label


cli = CliRunner()


def test_cli_unknown_query_exits_2_and_lists_names() -> None:
    result = cli.invoke(app, ["neo4j", "query", "no_such_query"])
    assert result.exit_code == 2
    assert "cluster_members" in result.output


def test_cli_queries_json_lists_parameters() -> None:
    result = cli.invoke(app, ["neo4j", "queries", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {q["name"]: q for q in json.loads(result.stdout)}
    assert set(listed) == set(list_queries())
    cycles = {p["name"]: p for p in listed["money_cycles"]["params"]}
    assert cycles["account_id"]["required"]
    assert cycles["max_length"]["default"] == 4


def test_cli_unreachable_server_exits_1_and_names_neo4j_uri(monkeypatch: Any) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")  # discard port: nothing listens
    result = cli.invoke(app, ["neo4j", "query", "account_flags", "-p", "account_id=a"])
    assert result.exit_code == 1
    assert "NEO4J_URI" in result.output
    assert "bolt://127.0.0.1:9" in result.output


def test_cli_guide_prints_where_and_how() -> None:
    result = cli.invoke(app, ["neo4j", "guide", "--format", "json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert Path(info["guide_file"]).is_file()
    assert info["browser_commands"][0] == ":guide http://localhost:8001/guide.html"


def test_cli_guide_names_the_configured_servers(monkeypatch: Any) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://localhost:7713")
    monkeypatch.setenv("NEO4J_HTTP_URL", "http://localhost:7413")
    result = cli.invoke(app, ["neo4j", "guide", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://localhost:7413/browser/" in result.stdout
    assert "bolt://localhost:7713" in result.stdout
    assert "No authentication" in result.stdout
    assert ":guide http://localhost:8123/guide.html" in result.stdout
    assert "7474" not in result.stdout


def test_self_dealer_puppets_get_a_role_and_their_own_style() -> None:
    from linkguard.neo4j.writeback import finding_rows
    from sample_snapshots import sample_snapshot

    snap = sample_snapshot()
    snap.flags.loc[len(snap.flags)] = {
        "account_id": "S9",
        "code": "SELF_DEALING",
        "severity": "decline",
        "score": 0.9,
        "reason": "r",
        "evidence": json.dumps({"puppets": ["P1", "P2"], "n_puppets": 2}),
    }
    roles = {r["id"]: r["roles"] for r in finding_rows(snap)["roles"]}
    assert roles["P1"] == ["puppet"]
    assert roles["P2"] == ["puppet"]
    assert "S9" not in roles
    grass = (ROOT / "cypher" / "style.grass").read_text(encoding="utf-8")
    # Browser applies matching rules in file order, later ones winning: a puppet's style
    # overrides its own Info or Review colour, and a declined account stays red.
    order = [grass.index(f"node.{label} {{") for label in ("Info", "Review", "Puppet", "Decline")]
    assert order == sorted(order)
    assert "REMOVE a:Flagged:Decline:Review:Info:Puppet" in load_query("writeback_clear_accounts")


def test_dev_server_start_prints_the_exports_for_its_ports(monkeypatch: Any) -> None:
    from linkguard.neo4j import devserver

    def fake_start(data_dir: Any, **kw: Any) -> devserver.ServerStatus:
        port, http = kw["bolt_port"], kw["http_port"]
        return devserver.ServerStatus(
            str(data_dir),
            True,
            True,
            pid=1,
            bolt_port=port,
            http_port=http,
            bolt_uri=f"bolt://localhost:{port}",
            http_uri=f"http://localhost:{http}",
            browser_uri=f"http://localhost:{http}/browser/",
            auth_enabled=False,
        )

    monkeypatch.setattr(devserver, "start", fake_start)
    result = cli.invoke(
        app, ["neo4j", "dev-server", "start", "--bolt-port", "7713", "--http-port", "7413"]
    )
    assert result.exit_code == 0, result.output
    assert "export NEO4J_URI=bolt://localhost:7713 NEO4J_HTTP_URL=http://localhost:7413" in (
        result.stdout
    )
    assert "No authentication" in result.stdout

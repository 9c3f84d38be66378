"""Neo4j Browser deep links: where they point, what they hold, and where they appear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import linkguard.cli.account  # noqa: F401  (registers the command)
from linkguard.api import SnapshotSource, create_app
from linkguard.cli import app
from linkguard.neo4j import devserver
from linkguard.neo4j.queries import query_spec
from linkguard.pipeline.snapshot import write_snapshot
from linkguard.serving.browser_links import (
    AccountLinks,
    browser_base_url,
    browser_link,
    browser_text,
)
from sample_snapshots import sample_snapshot

TOKEN = "links-token-0123456789"


@pytest.fixture(autouse=True)
def _no_ambient_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LINKGUARD_BROWSER_URL", raising=False)
    monkeypatch.delenv("NEO4J_HTTP_URL", raising=False)
    monkeypatch.setenv("LINKGUARD_NEO4J_DATA_DIR", str(tmp_path / "no-server"))


def _arg(link: str) -> str:
    return unquote(parse_qs(urlparse(link).query)["arg"][0])


def test_base_url_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert browser_base_url() == "http://localhost:7474"
    monkeypatch.setattr(
        devserver,
        "status",
        lambda data_dir: devserver.ServerStatus(
            str(data_dir), True, True, http_uri="http://localhost:7414"
        ),
    )
    assert browser_base_url() == "http://localhost:7414"
    monkeypatch.setenv("NEO4J_HTTP_URL", "http://db.internal:7475/")
    assert browser_base_url() == "http://db.internal:7475"
    monkeypatch.setenv("LINKGUARD_BROWSER_URL", "https://browser.example/browser/")
    assert browser_base_url() == "https://browser.example"
    assert browser_base_url("localhost:9999") == "http://localhost:9999"


def test_text_is_the_named_query_with_literals_and_defaults() -> None:
    text = browser_text("evidence_trades", {"buyers": ["a", 'b"}) //'], "sellers": ["s"]})
    lines = text.splitlines()
    assert lines[0].startswith("// evidence_trades: ")
    assert "$" not in text
    body = query_spec("evidence_trades").body
    assert text.count("\n") == body.count("\n") + 1
    # the quote in the value stays inside its string literal, JSON-escaped
    assert 'b.id IN ["a", "b\\"}) //"]' in text
    assert "LIMIT toInteger(300)" in text  # the declared default
    with pytest.raises(ValueError, match="needs the parameter"):
        browser_text("evidence_trades", {"buyers": []})
    with pytest.raises(ValueError, match="takes no parameter"):
        browser_text("evidence_ring", {"ring_id": "R", "depth": 2})


def test_link_round_trips_and_account_links_agree() -> None:
    link = browser_link("evidence_ring", {"ring_id": "R1"}, base="http://h:1")
    assert link.startswith("http://h:1/browser/?cmd=edit&arg=")
    assert _arg(link) == browser_text("evidence_ring", {"ring_id": "R1"})
    links = AccountLinks("http://h:1")
    for account in ("u1", "a:b@c-d.e", "..x"):
        assert links.link(account) == browser_link(
            "account_graph", {"account_id": account}, base="http://h:1"
        )
        assert _arg(links.link(account)).count(f'"{account}"') == 2  # both halves of the UNION
    field = json.loads(b"{" + links.json_field("u1")[1:] + b"}")
    assert field == {"browser_link": links.link("u1")}


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return write_snapshot(sample_snapshot("snap-links", "2026-01-01T00:00:00Z"), tmp_path / "s")


def test_api_answers_carry_the_link_on_the_configured_base(
    snap: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKGUARD_BROWSER_URL", "http://investigate.example:7474")
    source = SnapshotSource(snapshot=snap)
    source.refresh()
    with TestClient(create_app(source, [TOKEN], watch=False)) as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        one = client.get("/v1/accounts/S1/flags", headers=auth).json()
        batch = client.post(
            "/v1/flags:batch", json={"account_ids": ["B1", "nobody"]}, headers=auth
        ).json()
        spec = client.get("/openapi.json").json()
    expected = browser_link(
        "account_graph", {"account_id": "S1"}, base="http://investigate.example:7474"
    )
    assert one["browser_link"] == expected
    assert [a["browser_link"] for a in batch] == [
        browser_link("account_graph", {"account_id": a}, base="http://investigate.example:7474")
        for a in ("B1", "nobody")
    ]
    props = spec["components"]["schemas"]["AccountFlags"]
    assert "browser_link" in props["properties"]
    assert "browser_link" in props["required"]


def test_account_json_has_the_link(snap: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "account",
            "S1",
            "--snapshot",
            str(snap),
            "--format",
            "json",
            "--browser-url",
            "http://b:7",
        ],
    )
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.stdout)
    assert view["browser_link"] == browser_link(
        "account_graph", {"account_id": "S1"}, base="http://b:7"
    )

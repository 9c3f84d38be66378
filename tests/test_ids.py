"""One id rule: every id ingest accepts is served by the API and ``linkguard account``."""

import csv
import json
import warnings
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from linkguard.api import SnapshotSource, create_app
from linkguard.cli import _register, app
from linkguard.ids import is_valid_id
from linkguard.pipeline.analysis import run_analysis

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

_register()
TOKEN = "token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

#: Sellers the old API pattern could not reach: Unicode, spaces, '+', quotes, '/', '%', '?',
#: '#', a 128-character id.
ODD_SELLERS = [
    "店铺-7",
    "shop one",
    "a+b",
    "o'brien",
    "north/south",
    "100%",
    "what?",
    "#1",
    "é" * 128,
    "..x",
    "semi;colon",
    "back\\slash",
]
REFUSED = {
    "line\nbreak": "bad_id",
    "nul\x00id": "bad_id",
    "x" * 129: "bad_id",
    "..": "bad_id",
    "tab\there": "bad_id",
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    root = tmp_path_factory.mktemp("ids")
    data = root / "data"
    data.mkdir()
    with open(data / "orders.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["order_id", "buyer_id", "seller_id", "amount", "created_at"])
        n = 0
        for seller in [*ODD_SELLERS, *REFUSED]:
            for _ in range(2):  # a seller buying from itself: flagged SELF_DEALING
                n += 1
                w.writerow([f"o{n}", seller, seller, "50.00", f"2026-01-01T10:{n:02d}:00Z"])
    snap = run_analysis(data, root / "snap")
    return snap


def test_ingest_quarantines_the_ids_it_will_not_serve(snapshot):
    q = snapshot.quarantine["orders"]
    assert set(q["reason"]) == {"bad_id"}
    assert len(q) == 2 * len(REFUSED)
    assert snapshot.summary["inputs"]["orders"]["rows_loaded"] == 2 * len(ODD_SELLERS)
    for seller in REFUSED:
        assert not is_valid_id(seller)


def test_every_flagged_account_is_reachable_through_the_api(snapshot):
    flagged = sorted(set(snapshot.flags["account_id"]))
    assert flagged == sorted(ODD_SELLERS)
    source = SnapshotSource(snapshot=snapshot.path)
    assert source.refresh()
    with TestClient(create_app(source, [TOKEN], watch=False)) as client:
        for account in flagged:
            resp = client.get(f"/v1/accounts/{quote(account, safe='')}/flags", headers=AUTH)
            assert resp.status_code == 200, (account, resp.text)
            body = resp.json()
            assert body["account_id"] == account
            assert body["reason_codes"] == ["SELF_DEALING"]
        # One odd id never fails a batch: ids ingest refuses are simply unknown.
        asked = [*flagged, "x" * 300, "a\nb", ""]
        resp = client.post("/v1/flags:batch", json={"account_ids": asked}, headers=AUTH)
        assert resp.status_code == 200, resp.text
        answers = resp.json()
        assert [a["account_id"] for a in answers] == asked
        assert [a["risk_level"] for a in answers[: len(flagged)]] == ["decline"] * len(flagged)
        assert {a["risk_level"] for a in answers[len(flagged) :]} == {"none"}


def test_every_flagged_account_is_reachable_through_the_cli(snapshot):
    runner = CliRunner()
    for account in ODD_SELLERS:
        result = runner.invoke(
            app, ["account", account, "--snapshot", str(snapshot.path), "--format", "json"]
        )
        assert result.exit_code == 0, (account, result.output)
        view = json.loads(result.stdout)
        assert view["account_id"] == account
        assert view["risk_level"] == "decline"

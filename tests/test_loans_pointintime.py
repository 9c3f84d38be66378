"""Point in time: ``analyze --as-of`` and the backtest's join never let later data count."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app

_register()
runner = CliRunner()


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seller ``s`` sells only to buyer ``b``, and only from 2 February 2026 on.

    Five other shops sell to 20 buyers each in January. ``s`` applies on 21 February (when
    nothing was known against it) and on 5 March (after a month of one-buyer sales).
    """
    d = tmp_path_factory.mktemp("pit")
    rows = []
    t0 = pd.Timestamp("2026-01-03T10:00:00Z")
    for k in range(5):
        for j in range(20):
            rows.append(
                (
                    f"o{k}-{j}",
                    f"buyer{k}-{j}",
                    f"t{k}",
                    20.0,
                    _iso(t0 + pd.Timedelta(hours=7 * j + k)),
                )
            )
    t1 = pd.Timestamp("2026-02-02T09:00:00Z")
    for j in range(25):
        rows.append((f"s-{j}", "b", "s", 50.0, _iso(t1 + pd.Timedelta(hours=26 * j))))
    pd.DataFrame(
        rows, columns=["order_id", "buyer_id", "seller_id", "amount", "created_at"]
    ).to_csv(d / "orders.csv", index=False)
    loans = [
        ("L1", "s", "2026-02-21T00:00:00Z", 1),
        ("L2", "s", "2026-03-05T00:00:00Z", 1),
        ("L3", "t0", "2026-01-20T00:00:00Z", 0),
        ("L4", "t1", "2026-02-10T00:00:00Z", 0),
        ("L5", "t2", "2026-02-25T00:00:00Z", 1),
        ("L6", "t3", "2026-03-02T00:00:00Z", 0),
        ("L7", "t4", "2026-03-07T00:00:00Z", 0),
    ]
    rows_out = []
    for lid, acc, at, fo in loans:
        applied = pd.Timestamp(at)
        rows_out.append(
            (
                lid,
                acc,
                at,
                1000,
                "approved",
                fo,
                0,
                _iso(applied + pd.Timedelta(days=1)),
                _iso(applied + pd.Timedelta(days=91)),
            )
        )
    pd.DataFrame(
        rows_out,
        columns=[
            "loan_id",
            "account_id",
            "applied_at",
            "amount",
            "decision",
            "first_overdue",
            "defaulted",
            "disbursed_at",
            "due_at",
        ],
    ).to_csv(d / "loans.csv", index=False)
    return d


def _flags(snapshot: Path) -> pd.DataFrame:
    return pd.read_parquet(snapshot / "flags.parquet")


def test_analyze_as_of_ignores_later_orders(market_dir: Path, tmp_path: Path) -> None:
    full = runner.invoke(app, ["analyze", str(market_dir), "--out", str(tmp_path / "all")])
    assert full.exit_code == 0, full.output
    flags = _flags(tmp_path / "all")
    assert "s" in set(flags.loc[flags["code"] == "HIGH_CONCENTRATION", "account_id"])

    early = runner.invoke(
        app, ["analyze", str(market_dir), "--out", str(tmp_path / "feb21"), "--as-of", "2026-02-21"]
    )
    assert early.exit_code == 0, early.output
    assert "s" not in set(_flags(tmp_path / "feb21")["account_id"])
    summary = json.loads((tmp_path / "feb21" / "summary.json").read_text())
    assert summary["as_of"] == "2026-02-21T00:00:00Z"


def test_analyze_as_of_forgets_loan_outcomes_and_statuses(market_dir: Path) -> None:
    from linkguard.io import read_market
    from linkguard.loans import market_as_of

    m = read_market(market_dir, pepper=b"k")
    past = market_as_of(m, pd.Timestamp("2026-02-22", tz="UTC"))
    assert past.loans["loan_id"].tolist() == ["L1", "L3", "L4"]
    assert past.loans["first_overdue"].isna().all()
    assert (past.accounts["status"] == "").all()
    assert (past.orders["created_at"] < pd.Timestamp("2026-02-22", tz="UTC")).all()
    assert len(past.orders) == 100 + 25 - sum(
        pd.Timestamp("2026-02-02T09:00:00Z") + pd.Timedelta(hours=26 * j)
        >= pd.Timestamp("2026-02-22", tz="UTC")
        for j in range(25)
    )


def test_a_flag_raised_after_an_application_never_counts_for_it(
    market_dir: Path, tmp_path: Path
) -> None:
    snaps = tmp_path / "snaps"
    for day in ("2026-01-01", "2026-02-01", "2026-03-01"):
        r = runner.invoke(
            app, ["analyze", str(market_dir), "--out", str(snaps / day), "--as-of", day]
        )
        assert r.exit_code == 0, r.output
    for args in (["--snapshots", str(snaps)], []):
        r = runner.invoke(app, ["backtest", str(market_dir), *args, "--format", "json"])
        assert r.exit_code == 0, r.output
        report = json.loads(r.stdout)
        conc = next(
            s
            for s in report["segments"]
            if s["by"] == "code" and s["value"] == "HIGH_CONCENTRATION"
        )
        # Only the 5 March application saw the concentration; the 21 February one did not.
        assert conc["applications"] == 1
        assert conc["bad_rate"] == 1.0
        assert report["applications"] == 7


def test_a_snapshot_without_as_of_is_refused(market_dir: Path, tmp_path: Path) -> None:
    assert (
        runner.invoke(app, ["analyze", str(market_dir), "--out", str(tmp_path / "s")]).exit_code
        == 0
    )
    r = runner.invoke(app, ["backtest", str(market_dir), "--snapshot", str(tmp_path / "s")])
    assert r.exit_code == 2
    assert "as_of" in r.output


def test_bad_as_of_is_bad_usage(market_dir: Path, tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["analyze", str(market_dir), "--out", str(tmp_path / "x"), "--as-of", "yesterday-ish"]
    )
    assert r.exit_code == 2
    assert "--as-of" in r.output


def test_monitor_alerts_on_a_borrower_with_an_open_loan(market_dir: Path, tmp_path: Path) -> None:
    for day in ("2026-02-21", "2026-03-01"):
        r = runner.invoke(
            app, ["analyze", str(market_dir), "--out", str(tmp_path / day), "--as-of", day]
        )
        assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "monitor",
            str(tmp_path / "2026-02-21"),
            str(tmp_path / "2026-03-01"),
            "--data",
            str(market_dir),
            "--html",
            str(tmp_path / "m.html"),
        ],
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 1
    alert = lines[0]
    assert alert["account_id"] == "s"
    assert alert["kind"] == "raised"
    assert alert["added_codes"] == ["HIGH_CONCENTRATION"]
    # L1 (disbursed 22 Feb, due 23 May) is open on 1 March; L2 is not disbursed yet.
    assert alert["open_loans"] == 1
    assert alert["outstanding"] == 1000.0
    assert "raised" in r.stderr
    assert "<svg" in (tmp_path / "m.html").read_text()


def test_monitor_is_silent_when_nothing_changed(market_dir: Path, tmp_path: Path) -> None:
    snap = tmp_path / "s"
    assert (
        runner.invoke(
            app, ["analyze", str(market_dir), "--out", str(snap), "--as-of", "2026-03-01"]
        ).exit_code
        == 0
    )
    r = runner.invoke(app, ["monitor", str(snap), str(snap), "--data", str(market_dir)])
    assert r.exit_code == 0, r.output
    assert r.stdout == ""


def test_the_flag_api_serves_the_same_alerts(
    market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from linkguard.api import SnapshotSource, create_app

    root = tmp_path / "root"
    for day in ("2026-02-21", "2026-03-01"):
        assert (
            runner.invoke(
                app, ["analyze", str(market_dir), "--out", str(root / day), "--as-of", day]
            ).exit_code
            == 0
        )
    old_id = json.loads((root / "2026-02-21" / "summary.json").read_text())["snapshot_id"]
    cli = runner.invoke(
        app,
        ["monitor", str(root / "2026-02-21"), str(root / "2026-03-01"), "--data", str(market_dir)],
    )
    expected = [json.loads(line) for line in cli.stdout.splitlines()]
    source = SnapshotSource(root=root)
    assert source.refresh()
    token = "alerts-token-0123456789"
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(source, [token], watch=False)) as client:
        assert client.get("/v1/alerts", params={"since": old_id}).status_code == 401
        monkeypatch.delenv("LINKGUARD_DATA_DIR", raising=False)
        missing = client.get("/v1/alerts", params={"since": old_id}, headers=auth)
        assert missing.status_code == 503
        assert "LINKGUARD_DATA_DIR" in missing.json()["error"]["message"]
        monkeypatch.setenv("LINKGUARD_DATA_DIR", str(market_dir))
        r = client.get("/v1/alerts", params={"since": old_id}, headers=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["alerts"] == expected
        assert [a["account_id"] for a in body["alerts"]] == ["s"]
        assert body["old_snapshot_id"] == old_id
        unknown = client.get("/v1/alerts", params={"since": "nope"}, headers=auth)
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"]
        bad = client.get("/v1/alerts", params={"since": "a b"}, headers=auth)
        assert bad.status_code == 422


def test_as_of_drops_identifiers_seen_later(tmp_path: Path) -> None:
    from linkguard.io import read_market
    from linkguard.loans import market_as_of

    (tmp_path / "orders.csv").write_text(
        "order_id,buyer_id,seller_id,amount,created_at\no1,b,s,1,2026-01-01T00:00:00Z\n"
    )
    (tmp_path / "identifiers.csv").write_text(
        "account_id,kind,value,seen_at\n"
        "b,phone,+1 555 0100,2026-01-01T00:00:00Z\n"
        "s,phone,+1 555 0100,2026-03-01T00:00:00Z\n"
        "s,device,d-1,\n"
    )
    m = read_market(tmp_path, pepper=b"k")
    past = market_as_of(m, pd.Timestamp("2026-02-01", tz="UTC"))
    kept = [
        (m.account_ids[a], k)
        for a, k in zip(past.identifiers["account"], past.identifiers["kind"], strict=True)
    ]
    # The phone s shares with b was seen only in March; the undated device is kept.
    assert sorted(kept) == [("b", "phone"), ("s", "device")]

"""``linkguard account`` (investigator's view) and ``linkguard serve``'s refusals."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import linkguard.cli.account
import linkguard.cli.serve  # noqa: F401  (registers the command)
from linkguard.cli import app
from linkguard.pipeline.snapshot import write_snapshot
from linkguard.serving.lookup import FlagIndex
from sample_snapshots import sample_snapshot

runner = CliRunner()


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return write_snapshot(sample_snapshot("snap-cli", "2026-02-03T04:05:06Z"), tmp_path / "s")


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, argv, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_text_view_shows_flags_cluster_ring_and_concentration(snap: Path) -> None:
    result = runner.invoke(app, ["account", "S1", "--snapshot", str(snap)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "S1" in out
    assert "decline" in out
    assert "0.92" in out
    for text in (
        "BRUSHING_RING",
        "SELF_DEALING",
        "HIGH_CONCENTRATION",
        "Seller S1 shares a device and a card with its buyer B1.",
        "Evidence: BRUSHING_RING",
        "ring_id",
        "R1",
        "Linked cluster C1",
        "card, device",
        "X9",
        "Ring R1",
        "role seller",
        "density 0.90",
        "B2",
        "Revenue concentration",
        "adjusted_gmv",
        "1,200.50",
        "snap-cli",
    ):
        assert text in out, text


def test_json_view(snap: Path) -> None:
    result = runner.invoke(app, ["account", "B1", "--snapshot", str(snap), "--format", "json"])
    assert result.exit_code == 0, result.output
    view = orjson.loads(result.stdout)
    assert view == FlagIndex.load(snap).view("B1")
    assert view["risk_level"] == "review"
    assert view["cluster"]["cluster_id"] == "C1"
    assert [m["account_id"] for m in view["cluster"]["members"]] == ["B1", "S1", "X9"]
    assert view["cluster"]["identifier_kinds"] == ["card", "device"]
    ring = view["rings"][0]
    assert ring["role"] == "buyer"
    assert ring["density"] == 0.9
    assert ring["ring_score"] == 0.88
    assert {m["account_id"] for m in ring["other_members"]} == {"S1", "B2"}
    assert view["concentration"] is None
    assert view["flags"][0]["evidence"]["ring_id"] == "R1"


def test_json_view_of_seller_has_concentration(snap: Path) -> None:
    result = runner.invoke(app, ["account", "S2", "--snapshot", str(snap), "-f", "json"])
    view = orjson.loads(result.stdout)
    assert view["risk_level"] == "none"
    assert view["concentration"]["adjusted_gmv"] == 9000.0
    assert view["concentration"]["hhi"] == 90.0


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unknown_account_is_none_exit_0(snap: Path, fmt: str) -> None:
    result = runner.invoke(app, ["account", "ghost-1", "--snapshot", str(snap), "-f", fmt])
    assert result.exit_code == 0
    if fmt == "json":
        view = orjson.loads(result.stdout)
        assert view["risk_level"] == "none"
        assert view["flags"] == []
        assert view["cluster"] is None
        assert view["rings"] == []
        assert view["known"] is False
    else:
        assert "none" in result.stdout
        assert "No flags." in result.stdout
        assert "Not in the analysed market" in result.stdout


def test_clean_market_account_is_known_with_its_dates(snap: Path) -> None:
    result = runner.invoke(app, ["account", "S2", "--snapshot", str(snap)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Not in the analysed market" not in result.stdout
    assert "2025-12-01T08:00:00Z" in result.stdout
    assert "2025-12-31T18:30:00Z" in result.stdout
    view = orjson.loads(
        runner.invoke(app, ["account", "S2", "--snapshot", str(snap), "-f", "json"]).stdout
    )
    assert view["known"] is True
    assert view["first_seen"] == "2025-12-01T08:00:00Z"


def test_evidence_is_a_table_that_never_breaks_an_id(snap: Path) -> None:
    # Narrow terminal: a JSON blob would be cut mid-word; the table wraps between items.
    result = runner.invoke(app, ["account", "M1", "--snapshot", str(snap)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "{" not in out
    assert '":' not in out
    assert "ring_score" in out


def test_missing_snapshot_exits_2(tmp_path: Path) -> None:
    rc, out, err = _run(["account", "S1", "--snapshot", str(tmp_path / "nope")])
    assert rc == 2
    assert "no snapshot at" in err
    assert out == ""


def test_incomplete_snapshot_exits_2(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    rc, _, err = _run(["account", "S1", "--snapshot", str(tmp_path / "half")])
    assert rc == 2
    assert "summary.json is missing" in err


@pytest.mark.parametrize("argv_tail", [["a\nb"], ["x" * 129], ["S1", "--format", "yaml"]])
def test_bad_usage_exits_2(snap: Path, argv_tail: list[str]) -> None:
    account_id, *rest = argv_tail
    rc, _, err = _run(["account", account_id, "--snapshot", str(snap), *rest])
    assert rc == 2
    assert "error" in err


def test_help_has_examples() -> None:
    for command in ("account", "serve"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert "Examples" in result.stdout
        assert f"linkguard {command}" in result.stdout


def test_serve_refuses_without_tokens(snap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKGUARD_API_TOKENS", raising=False)
    rc, _, err = _run(["serve", "--snapshot", str(snap)])
    assert rc == 2
    assert "LINKGUARD_API_TOKENS" in err
    rc, _, _ = _run(["serve", "--snapshot", str(snap)], env={"LINKGUARD_API_TOKENS": " , "})
    assert rc == 2


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--snapshot", "S", "--snapshot-root", "R"],
        ["--snapshot", "/nonexistent/snap"],
        ["--snapshot-root", "/nonexistent/root"],
        ["--snapshot", ".", "--log-level", "chatty"],
    ],
)
def test_serve_bad_usage_exits_2(args: list[str]) -> None:
    rc, _, _ = _run(["serve", *args], env={"LINKGUARD_API_TOKENS": "t0k3n"})
    assert rc == 2


def test_serve_hands_settings_to_workers(snap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, object] = {}

    def fake_run(target: str, **kwargs: object) -> None:
        seen.update(kwargs, target=target)

    monkeypatch.setenv("LINKGUARD_API_TOKENS", "t0k3n,other")
    for name in ("SNAPSHOT", "SNAPSHOT_ROOT", "POLL_SECONDS"):
        # serve sets these for its workers; registering them here restores them afterwards.
        monkeypatch.setenv(f"LINKGUARD_SERVE_{name}", "")
    monkeypatch.setattr(uvicorn, "run", fake_run)
    rc, _, _ = _run(["serve", "--snapshot", str(snap), "--port", "9123", "--workers", "3"])
    assert rc == 0
    assert seen["target"] == "linkguard.api.app:app_from_env"
    assert seen["factory"] is True
    assert seen["port"] == 9123
    assert seen["workers"] == 3
    assert seen["host"] == "127.0.0.1"
    from linkguard.api.app import app_from_env

    built = app_from_env()
    assert built.state.source.snapshot == snap.resolve()
    assert built.state.source.root is None

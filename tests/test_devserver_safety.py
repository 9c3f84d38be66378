"""The dev server refuses to listen beyond loopback without a password (no JVM started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkguard.neo4j import devserver
from linkguard.neo4j.devserver import process as dev_process


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_refuses_a_non_loopback_address_without_a_password(
    host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[object] = []
    monkeypatch.setattr(dev_process, "build", lambda **_: launched.append("build"))
    with pytest.raises(devserver.DevServerError, match="without authentication"):
        devserver.start(tmp_path / "neo4j", bolt_port=17687, http_port=17474, host=host)
    assert launched == []
    assert not (tmp_path / "neo4j").exists()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("localhost.example", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert devserver.is_loopback(host) is loopback


def test_the_command_refuses_a_public_address_without_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from linkguard.cli import _register, app

    _register()

    monkeypatch.delenv("LINKGUARD_NEO4J_PASSWORD", raising=False)
    monkeypatch.setattr(dev_process, "build", lambda **_: pytest.fail("must not build"))
    result = CliRunner().invoke(
        app,
        ["neo4j", "dev-server", "start", "--data-dir", str(tmp_path / "n"), "--host", "0.0.0.0"],
    )
    assert result.exit_code != 0
    assert "without authentication" in result.output

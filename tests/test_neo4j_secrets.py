"""Secrets stay secret: the dev server's password, credentials in ``NEO4J_URI``, quarantines.

The dev server is launched with a recording stand-in for ``subprocess.Popen`` (no JVM): the
password must reach it through the environment, never its command line, and the files it
writes must be its owner's only. ``tests/integration/test_neo4j_password.py`` checks the same
on a real server.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.neo4j import devserver
from linkguard.neo4j.credentials import PASSWORD_ENV
from linkguard.neo4j.devserver import process as dev_process
from linkguard.neo4j.driver import unreachable_message
from linkguard.pipeline.snapshot import write_snapshot
from linkguard.redact import redact
from sample_snapshots import sample_snapshot

PASSWORD = "pw-Zq8-never-shown"
cli = CliRunner()
_register()


class _FakeProcess:
    pid = 4242424

    def __init__(self, command: list[str], **kwargs: Any) -> None:
        self.command = command
        self.kwargs = kwargs


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[_FakeProcess]:
    calls: list[_FakeProcess] = []

    def popen(command: list[str], **kwargs: Any) -> _FakeProcess:
        proc = _FakeProcess(command, **kwargs)
        calls.append(proc)
        return proc

    jar = tmp_path / "server.jar"
    jar.write_bytes(b"")
    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(dev_process, "find_java", lambda: "/usr/bin/java")
    monkeypatch.setattr(
        dev_process, "build", lambda **_: devserver.BuildResult(jar, False, 0.0, None)
    )
    monkeypatch.setattr(dev_process, "check_port_free", lambda *a: None)
    monkeypatch.setattr(
        dev_process,
        "wait_until_ready",
        lambda home, *a: devserver.ServerStatus(str(home), True, True),
    )
    return calls


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_password_goes_by_the_environment_never_the_command_line(
    launched: list[_FakeProcess], tmp_path: Path
) -> None:
    home = tmp_path / "neo4j"
    devserver.start(home, bolt_port=17001, http_port=17002, password=PASSWORD)
    (proc,) = launched
    assert not any(PASSWORD in arg for arg in proc.command)
    assert "--password" not in proc.command
    assert proc.kwargs["env"][PASSWORD_ENV] == PASSWORD
    assert proc.kwargs["umask"] == 0o077  # debug.log and the databases: owner only
    for file in home.rglob("*"):
        if file.is_file():
            assert PASSWORD not in file.read_text(errors="replace"), file
    assert json.loads((home / "devserver.launch.json").read_text())["auth_enabled"] is True


def test_the_data_directory_and_logs_are_owner_only(
    launched: list[_FakeProcess], tmp_path: Path
) -> None:
    home = tmp_path / "neo4j"
    (home / "logs").mkdir(parents=True)
    old_log = home / "logs" / "debug.log"
    old_log.write_text("from an earlier run")
    old_log.chmod(0o644)
    home.chmod(0o755)
    devserver.start(home, bolt_port=17001, http_port=17002)
    assert _mode(home) == 0o700
    assert _mode(home / "logs") == 0o700
    assert _mode(old_log) == 0o600
    assert _mode(home / "logs" / "devserver.out") == 0o600
    assert PASSWORD_ENV not in launched[0].kwargs["env"]


def test_cli_refuses_a_password_on_the_command_line(
    launched: list[_FakeProcess], tmp_path: Path
) -> None:
    result = cli.invoke(
        app, ["neo4j", "dev-server", "start", "--data-dir", str(tmp_path), "--password", PASSWORD]
    )
    assert result.exit_code == 2
    assert PASSWORD_ENV in result.output
    assert "--password-file" in result.output
    assert PASSWORD not in result.output
    assert launched == []


def test_cli_takes_the_password_from_the_environment(
    launched: list[_FakeProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    args = ["neo4j", "dev-server", "start", "--data-dir", str(tmp_path / "a")]
    result = cli.invoke(app, [*args, "--bolt-port", "17001", "--http-port", "17002"])
    assert result.exit_code == 0, result.output
    assert launched[0].kwargs["env"][PASSWORD_ENV] == PASSWORD
    assert not any(PASSWORD in arg for arg in launched[0].command)


def test_cli_takes_the_password_from_an_owner_only_file(
    launched: list[_FakeProcess], tmp_path: Path
) -> None:
    secret = tmp_path / "neo4j-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o644)
    args = ["neo4j", "dev-server", "start", "--data-dir", str(tmp_path / "a")]
    args += ["--bolt-port", "17001", "--http-port", "17002", "--password-file", str(secret)]
    refused = cli.invoke(app, args)
    assert refused.exit_code == 2
    assert "chmod 600" in refused.output
    assert launched == []
    secret.chmod(0o600)
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert launched[0].kwargs["env"][PASSWORD_ENV] == PASSWORD


@pytest.mark.parametrize(
    "uri",
    [
        f"bolt://neo4j:{PASSWORD}@127.0.0.1:9",
        f"neo4j+s://neo4j:{PASSWORD}@db.example.com",
        f"bolt://neo4j:{PASSWORD}@127.0.0.1:9/?routing=x",
    ],
)
def test_credentials_in_neo4j_uri_are_never_shown(
    uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", uri)
    result = cli.invoke(app, ["neo4j", "query", "account_flags", "-p", "account_id=a"])
    assert result.exit_code == 1
    assert "NEO4J_URI" in result.output
    assert PASSWORD not in result.output
    assert "***@" in result.output


def test_messages_about_a_server_redact_its_uri() -> None:
    uri = f"neo4j://admin:{PASSWORD}@graph.internal:7687"
    message = unreachable_message(uri, OSError(f"cannot reach {uri}"))
    assert PASSWORD not in message
    assert "neo4j://***@graph.internal:7687" in message
    assert PASSWORD not in redact(f"proxy http://u:{PASSWORD}@p:1 down")


def test_a_snapshots_quarantine_is_owner_only(tmp_path: Path) -> None:
    snapshot = sample_snapshot("snap-private")
    snapshot.quarantine["orders"] = pd.DataFrame(
        {"order_id": ["o9"], "line": [3], "reason": ["bad_amount"]}
    )
    out = write_snapshot(snapshot, tmp_path / "snap")
    assert _mode(out / "quarantine") == 0o700
    assert (out / "quarantine" / "orders.csv").is_file()

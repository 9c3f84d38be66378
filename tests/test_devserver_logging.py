"""The dev server library reports through :mod:`logging`; its one command line prints results.

``linkguard neo4j dev-server`` is the only command line: errors go to stderr with the error's
exit code and nothing on stdout; the library itself never prints (a Maven build run by a
stand-in ``mvn`` is reported as log records only).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.neo4j import devserver
from linkguard.neo4j.devserver import maven

_register()


def test_cli_errors_go_to_stderr_with_the_error_s_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(data_dir: object = None) -> None:
        raise devserver.DevServerError("cannot read the data dir")

    monkeypatch.setattr(devserver, "status", broken)
    result = CliRunner().invoke(app, ["neo4j", "dev-server", "status", "--data-dir", str(tmp_path)])
    assert result.exit_code == devserver.DevServerError.exit_code
    assert result.stdout == ""
    assert "cannot read the data dir" in result.stderr


class _FakeMaven:
    """``mvn package`` that prints two lines and leaves the jar where Maven would."""

    def __init__(self, command: list[str], *, cwd: Path, **_: Any) -> None:
        (cwd / "target" / devserver.JAR_NAME).write_bytes(b"jar")
        self.stdout = iter(
            ["[INFO] Building linkguard-neo4j-devserver\n", "[INFO] BUILD SUCCESS\n"]
        )

    def wait(self) -> int:
        return 0


def test_a_build_is_reported_through_logging_only(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "pom.xml").write_text("<project/>")
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(maven, "find_java", lambda: "/usr/bin/java")
    monkeypatch.setattr(subprocess, "Popen", _FakeMaven)
    with caplog.at_level(logging.INFO, logger=maven.__name__):
        result = devserver.build(force=True, server_dir=tmp_path, verbose=True)
    assert result.built
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("building the Neo4j dev server with Maven")
    assert messages[1:] == ["[INFO] Building linkguard-neo4j-devserver", "[INFO] BUILD SUCCESS"]
    assert capsys.readouterr() == ("", "")
    assert "BUILD SUCCESS" in (tmp_path / "target" / "maven-build.log").read_text()

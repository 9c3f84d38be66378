"""A dev server with a password: the password is on no command line and in no log.

Starts a second, small dev server (512 MiB heap, free ports, its own data directory), with
the password given the only ways linkguard takes it, and stops it again.
"""

from __future__ import annotations

import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from linkguard.neo4j import devserver

pytestmark = pytest.mark.neo4j

PASSWORD = "Integration-pw-4711-not-in-logs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[devserver.ServerStatus]:
    home = tmp_path_factory.mktemp("neo4j-password")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINKGUARD_NEO4J_HEAP", "512m")
        mp.setenv("LINKGUARD_NEO4J_PAGECACHE", "64m")
        info = devserver.start(
            home, bolt_port=_free_port(), http_port=_free_port(), password=PASSWORD, timeout=300
        )
    try:
        yield info
    finally:
        devserver.stop(home)


def test_the_password_is_not_on_the_command_line(server: devserver.ServerStatus) -> None:
    assert server.pid is not None
    cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes()
    assert b"-jar" in cmdline  # it is the server's command line
    assert PASSWORD.encode() not in cmdline
    assert b"--password" not in cmdline


def test_the_password_is_in_no_file_the_server_wrote(server: devserver.ServerStatus) -> None:
    home = Path(server.data_dir)
    logs = list((home / "logs").iterdir())
    assert any(f.name == "debug.log" for f in logs)
    debug = (home / "logs" / "debug.log").read_text(errors="replace")
    assert "sun.java.command" in debug  # the line that used to carry it
    for file in [*logs, home / "devserver.launch.json"]:
        assert PASSWORD not in file.read_text(errors="replace"), file


def test_the_server_files_are_owner_only(server: devserver.ServerStatus) -> None:
    home = Path(server.data_dir)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "logs").stat().st_mode) == 0o700
    for file in (home / "logs").iterdir():
        assert stat.S_IMODE(file.stat().st_mode) & 0o077 == 0, file


def test_the_password_is_the_one_in_force(server: devserver.ServerStatus) -> None:
    assert server.bolt_uri is not None
    with GraphDatabase.driver(server.bolt_uri, auth=("neo4j", PASSWORD)) as driver:
        driver.verify_connectivity()
    with (
        GraphDatabase.driver(server.bolt_uri, auth=("neo4j", "wrong-password")) as driver,
        pytest.raises(AuthError),
    ):
        driver.verify_connectivity()


def test_the_launcher_refuses_a_password_argument(tmp_path: Path) -> None:
    jar = devserver.build().jar
    result = subprocess.run(
        ["java", "-jar", str(jar), "--data-dir", str(tmp_path), "--password", PASSWORD],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "LINKGUARD_NEO4J_PASSWORD" in result.stdout + result.stderr

"""The dev server's command line reports progress and errors through :mod:`logging`."""

from __future__ import annotations

import logging

import pytest

from linkguard.neo4j import devserver


def test_errors_go_to_the_log_not_stdout(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(data_dir: object = None) -> None:
        raise devserver.DevServerError("cannot read the data dir")

    monkeypatch.setattr(devserver, "status", broken)
    with caplog.at_level(logging.INFO, logger=devserver.__name__):
        code = devserver.main(["status"])
    assert code == devserver.DevServerError.exit_code
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "error: cannot read the data dir")
    ]
    assert capsys.readouterr().out == ""

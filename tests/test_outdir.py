"""``analyze --out``: only a snapshot is replaced, the input never, one writer, no debris."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.pipeline.outdir import (
    OutputRefused,
    clean_debris,
    output_folder,
    swap_into_place,
)

_register()
runner = CliRunner()

ORDERS = (
    "order_id,buyer_id,seller_id,amount,created_at\n"
    "o1,b1,s1,10.00,2026-01-01T10:00:00Z\n"
    "o2,b2,s1,12.50,2026-01-01T11:00:00Z\n"
)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "orders.csv").write_text(ORDERS)
    (d / "notes.txt").write_text("keep me")
    return d


def _analyze(data: Path, out: str | Path, *extra: str):
    return runner.invoke(app, ["analyze", str(data), "--out", str(out), *extra])


def _said(result) -> str:
    """The printed message with rich's line wrapping undone."""
    return " ".join(result.output.split())


def _untouched(data: Path) -> None:
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt", "orders.csv"]
    assert (data / "orders.csv").read_text() == ORDERS


@pytest.mark.parametrize("extra", [(), ("--force",)])
def test_out_equal_to_the_input_folder_is_refused_and_the_input_kept(data, extra):
    result = _analyze(data, data, *extra)
    assert result.exit_code == 2, result.output
    assert "input folder" in _said(result)
    _untouched(data)


@pytest.mark.parametrize("extra", [(), ("--force",)])
def test_out_dot_above_the_input_is_refused(data, monkeypatch, extra):
    monkeypatch.chdir(data.parent)
    (data.parent / "report.txt").write_text("mine")
    result = _analyze(Path("data"), ".", *extra)
    assert result.exit_code == 2, result.output
    _untouched(data)
    assert (data.parent / "report.txt").read_text() == "mine"


def test_out_inside_the_input_folder_is_refused(data):
    result = _analyze(data, data / "snap", "--force")
    assert result.exit_code == 2, result.output
    _untouched(data)


def test_a_folder_that_is_no_snapshot_is_refused_without_force(data, tmp_path):
    other = tmp_path / "work"
    other.mkdir()
    (other / "thesis.tex").write_text("years of work")
    result = _analyze(data, other)
    assert result.exit_code == 2, result.output
    assert "not a linkguard snapshot" in _said(result)
    assert "--force" in _said(result)
    assert [p.name for p in other.iterdir()] == ["thesis.tex"]


def test_force_replaces_a_folder_that_is_no_snapshot(data, tmp_path):
    other = tmp_path / "work"
    other.mkdir()
    (other / "old.txt").write_text("x")
    result = _analyze(data, other, "--force")
    assert result.exit_code == 0, result.output
    assert (other / "summary.json").is_file()
    assert not (other / "old.txt").exists()


def test_a_previous_snapshot_and_an_empty_folder_are_replaced(data, tmp_path):
    out = tmp_path / "snap"
    out.mkdir()
    assert _analyze(data, out).exit_code == 0
    first = json.loads((out / "summary.json").read_text())["snapshot_id"]
    (out / "stale.parquet").write_bytes(b"old run")
    result = _analyze(data, out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["snapshot_id"]
    assert not (out / "stale.parquet").exists()
    assert first


def test_a_file_as_out_is_refused(data, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = _analyze(data, target, "--force")
    assert result.exit_code == 2, result.output
    assert target.read_text() == "x"


def test_a_second_writer_gets_a_clear_exit_2(data, tmp_path):
    out = tmp_path / "snap"
    with output_folder(out):
        result = _analyze(data, out)
    assert result.exit_code == 2, result.output
    assert "another linkguard run is writing" in _said(result)
    assert "Traceback" not in result.output
    assert not out.exists()
    # The lock went with the first run: a later run writes, and leaves no lock file.
    assert _analyze(data, out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "snap"]


def test_debris_of_dead_runs_is_cleaned(data, tmp_path):
    out = tmp_path / "snap"
    assert _analyze(data, out).exit_code == 0
    for name in (".snap.tmp-deadbeef", ".snap.old-0badf00d"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "flags.parquet").write_bytes(b"half")
    (tmp_path / ".other.tmp-12345678").mkdir()  # another output's: not ours to remove
    assert _analyze(data, out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-12345678", "data", "snap"]


def test_a_run_killed_between_the_two_renames_is_repaired(tmp_path):
    out = tmp_path / "snap"
    old = tmp_path / ".snap.old-12345678"
    old.mkdir()
    (old / "summary.json").write_text('{"snapshot_id": "s1"}')
    clean_debris(out)
    assert json.loads((out / "summary.json").read_text()) == {"snapshot_id": "s1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_the_swap_is_one_exchange_not_two_renames(tmp_path, monkeypatch):
    target, new = tmp_path / "snap", tmp_path / ".snap.tmp-1"
    target.mkdir()
    (target / "summary.json").write_text('{"snapshot_id": "old"}')
    new.mkdir()
    (new / "summary.json").write_text('{"snapshot_id": "new"}')

    def no_rename(self, other):
        raise AssertionError("a rename would leave a window without the snapshot")

    monkeypatch.setattr(Path, "rename", no_rename)
    swap_into_place(new, target)
    assert json.loads((target / "summary.json").read_text()) == {"snapshot_id": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_output_folder_refuses_before_locking(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(OutputRefused), output_folder(tmp_path):
        pass


def test_a_second_analyze_process_exits_2_while_the_folder_is_locked(data, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "snap"
    with output_folder(out):
        proc = subprocess.run(
            [sys.executable, "-m", "linkguard", "analyze", str(data), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 2, proc.stderr
    assert "another linkguard run is writing" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr
    assert not out.exists()

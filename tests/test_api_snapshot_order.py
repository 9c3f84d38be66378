"""``--snapshot-root``: the newest snapshot by name, and a refused one retried when it changes."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from linkguard.api.snapshots import SnapshotSource, find_snapshots
from linkguard.pipeline.snapshot import SUMMARY_FILE, write_snapshot
from linkguard.serving.lookup import FlagIndex
from sample_snapshots import sample_snapshot as make_snapshot


def _write(root: Path, name: str, snapshot_id: str, created_at: str) -> Path:
    return write_snapshot(make_snapshot(snapshot_id, created_at), root / name)


def test_order_is_the_name_not_the_summary(tmp_path: Path) -> None:
    _write(tmp_path, "run-10", "ten", "2026-01-01T00:00:00Z")
    _write(tmp_path, "run-9", "nine", "2026-03-01T00:00:00Z")  # claims to be newer
    _write(tmp_path, "run-100", "hundred", "2025-01-01T00:00:00Z")
    (tmp_path / "incomplete").mkdir()
    (tmp_path / ".run-101.tmp-1234").mkdir()
    (tmp_path / ".run-101.tmp-1234" / SUMMARY_FILE).write_text("{}")
    assert [c.path.name for c in find_snapshots(tmp_path)] == ["run-100", "run-10", "run-9"]


def test_a_summary_from_the_far_future_is_not_served_forever(tmp_path: Path) -> None:
    _write(tmp_path, "2026-12-01", "claims-9999", "9999-12-31T23:59:59Z")
    src = SnapshotSource(root=tmp_path)
    assert src.refresh()
    assert src.index is not None
    assert src.index.snapshot_id == "claims-9999"
    _write(tmp_path, "2026-12-02", "next-day", "2026-12-02T00:00:00Z")
    assert src.refresh()
    assert src.index.snapshot_id == "next-day"


def test_a_snapshot_copied_summary_first_is_retried_when_its_files_arrive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "root"
    _write(root, "a", "snap-a", "2026-01-01T00:00:00Z")
    made = _write(tmp_path / "made", "b", "snap-b", "2026-01-02T00:00:00Z")
    calls: list[Path] = []

    def loader(path: Path) -> FlagIndex:
        calls.append(path)
        return FlagIndex.load(path, details=False)

    src = SnapshotSource(root=root, loader=loader)
    assert src.refresh()
    # A copy that writes summary.json first: complete by its marker, not by its files.
    copy = root / "b"
    copy.mkdir()
    shutil.copy2(made / SUMMARY_FILE, copy / SUMMARY_FILE)
    caplog.set_level(logging.ERROR, logger="linkguard.api.snapshots")
    assert not src.refresh()
    assert [r.getMessage() for r in caplog.records] == ["snapshot refused"]
    assert not src.refresh()  # unchanged: not retried on every poll
    assert calls.count(copy) == 1
    assert src.index is not None
    assert src.index.snapshot_id == "snap-a"
    for file in made.iterdir():
        if file.is_file() and file.name != SUMMARY_FILE:
            shutil.copy2(file, copy / file.name)
    assert src.refresh()
    assert src.index.snapshot_id == "snap-b"
    assert calls.count(copy) == 2


def test_a_refused_fixed_snapshot_is_retried_when_repaired(tmp_path: Path) -> None:
    snap = _write(tmp_path, "s", "snap-s", "2026-01-01T00:00:00Z")
    good = (snap / "flags.parquet").read_bytes()
    (snap / "flags.parquet").write_bytes(b"not parquet")
    src = SnapshotSource(snapshot=snap)
    assert not src.refresh()
    assert not src.refresh()
    (snap / "flags.parquet").write_bytes(good)
    assert src.refresh()
    assert src.index is not None
    assert src.index.snapshot_id == "snap-s"

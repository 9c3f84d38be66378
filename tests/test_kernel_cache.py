"""The first run says once that kernels compile; later runs load them from numba's cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkguard import _kernel_cache


def test_no_cache_index_means_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_kernel_cache, "_cache_dirs", lambda source: [tmp_path])
    assert _kernel_cache.kernels_cached() is False


def test_cache_index_beside_each_module_means_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    for stem in ("_peel", "cycles", "_kernels"):
        (tmp_path / f"{stem}.kernel-10.{tag}.nbi").write_bytes(b"")
    monkeypatch.setattr(_kernel_cache, "_cache_dirs", lambda source: [tmp_path])
    assert _kernel_cache.kernels_cached() is True
    (tmp_path / f"cycles.kernel-10.{tag}.nbi").unlink()
    assert _kernel_cache.kernels_cached() is False


def test_analyze_says_so_on_the_first_run_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import linkguard.cli.analyze  # noqa: F401  (registers the command)
    from linkguard.cli import app

    sample = Path(__file__).resolve().parents[1] / "samples" / "market"
    monkeypatch.setattr(_kernel_cache, "kernels_cached", lambda: False)
    first = CliRunner().invoke(app, ["analyze", str(sample), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert "compiling linkguard's numeric kernels" in first.stderr
    monkeypatch.setattr(_kernel_cache, "kernels_cached", lambda: True)
    again = CliRunner().invoke(app, ["analyze", str(sample), "--out", str(tmp_path / "b")])
    assert again.exit_code == 0
    assert "compiling" not in again.stderr

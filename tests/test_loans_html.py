"""The loan commands' ``--html`` pages: self-contained, and drawn by headless Chromium with the
network blocked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkguard.cli import _register, app

_register()
runner = CliRunner()
#: Every request that is not a local file fails: no proxy answers, no name resolves.
_NO_NETWORK = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium on PATH")
    return found


def _run(chromium: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", *_NO_NETWORK, *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


@pytest.fixture(scope="module")
def pages(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    made = {}
    for command in ("backtest", "vintage", "funnel"):
        page = out / f"{command}.html"
        r = runner.invoke(app, [command, str(sample_dir), "--html", str(page), "--format", "json"])
        assert r.exit_code == 0, r.output
        made[command] = page
    return made


@pytest.mark.parametrize(("command", "min_svgs"), [("backtest", 5), ("vintage", 3), ("funnel", 1)])
def test_page_is_self_contained(pages: dict[str, Path], command: str, min_svgs: int) -> None:
    text = pages[command].read_text()
    assert text.count("<svg") >= min_svgs
    # Nothing to fetch: no script, stylesheet, image or font from anywhere.
    assert not re.search(r"<(script|link|img|iframe)\b", text)
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    assert not re.search(r"url\((?!#)", text)  # only references inside the page


def test_chromium_draws_the_backtest_page_offline(pages: dict[str, Path], tmp_path: Path) -> None:
    chromium = _chromium()
    url = pages["backtest"].resolve().as_uri()
    dom = _run(chromium, "--dump-dom", url).stdout
    assert dom.count("<svg") >= 5
    assert "Cut-off sweep" in dom
    shot = tmp_path / "backtest.png"
    _run(chromium, f"--screenshot={shot}", "--window-size=1100,1400", "--hide-scrollbars", url)
    import matplotlib.image as mpimg
    import numpy as np

    pixels = mpimg.imread(shot)[..., :3]
    drawn = (pixels.mean(axis=2) < 0.9).mean()
    colour = (np.ptp(pixels, axis=2) > 0.2).mean()
    # Bars and lines in colour, text in black: far more than a blank page.
    assert drawn > 0.02
    assert colour > 0.005

"""The hostile-input suite: every case of ``hostile_cases.py`` through ``linkguard analyze``.

For each case: the exit code, the message, ``rows_in = loaded + quarantined`` for every
table, no raw identifier value in any output, no non-finite number in any snapshot file, and
the data folder untouched.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hostile_cases import BRACKET_CASES, CASES, RAW_VALUES, Case, summary_numbers
from typer.testing import CliRunner

from linkguard.cli import _register, app
from linkguard.pipeline.quarantine_csv import FORMULA_PREFIXES

_register()
#: Generous: every case ends in about a second; a hang (a FIFO read) must fail, not block.
TIMEOUT = 120
_NUMBER = re.compile(r"[+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?")


def _fingerprint(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            out[str(path.relative_to(folder))] = "-"
        else:
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _invoke(args: list[str]) -> Any:
    result: list[Any] = []
    runner = CliRunner()
    thread = threading.Thread(target=lambda: result.append(runner.invoke(app, args)), daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), f"analyze did not finish within {TIMEOUT} s"
    return result[0]


def _text_of_outputs(out: Path) -> str:
    parts = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            parts.append(
                json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
            )
        else:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def _assert_finite(out: Path) -> None:
    for path in sorted(out.glob("*.parquet")):
        table = pq.read_table(path)
        for name, column in zip(table.column_names, table.columns, strict=True):
            if column.type.id in (10, 11, 12):  # half, float, double
                values = column.to_numpy(zero_copy_only=False).astype(np.float64)
                assert np.isfinite(values).all(), (path.name, name)
            elif str(column.type).startswith(("int", "uint")):
                assert column.null_count == 0 or name.endswith("_id"), (path.name, name)
    summary = json.loads((out / "summary.json").read_text())
    assert all(math.isfinite(x) for x in summary_numbers(summary))


def _run(case: Case, tmp_path: Path) -> None:
    data = tmp_path / case.name
    case.make(data)
    before = _fingerprint(data)
    out = {"new": tmp_path / "out", "input": data, "parent": tmp_path}[case.out]
    result = _invoke(["analyze", str(data), "--out", str(out), "--format", "json", *case.args])
    printed = result.output
    assert result.exit_code == case.exit_code, printed
    assert "Traceback" not in printed
    flat = "".join(printed.split())
    for words in case.messages:
        assert "".join(words.split()) in flat, (words, printed)
    assert _fingerprint(data) == before, "the data folder was changed"
    leaked = [v for v in RAW_VALUES if v in printed]
    assert not leaked, leaked
    if case.exit_code != 0:
        if case.out == "new":
            assert not out.exists()
        return
    summary = json.loads(result.stdout)
    for table, rep in summary["inputs"].items():
        assert rep["rows_in"] == rep["rows_loaded"] + rep["rows_quarantined"], table
        assert sum(rep["by_reason"].values()) == rep["rows_quarantined"], table
    for table, (rows_in, loaded) in case.rows.items():
        rep = summary["inputs"][table]
        assert (rep["rows_in"], rep["rows_loaded"]) == (rows_in, loaded), (table, rep)
    by_reason = summary["inputs"]["orders"]["by_reason"]
    for reason, count in case.reasons.items():
        assert by_reason.get(reason) == count, (reason, by_reason)
    for code, count in case.flags.items():
        assert summary["flags"][code] >= count, (code, summary["flags"])
    text = _text_of_outputs(out)
    leaked = [v for v in RAW_VALUES if v in text]
    assert not leaked, leaked
    _assert_finite(out)
    for table, rep in summary["inputs"].items():
        qfile = out / "quarantine" / f"{table}.csv"
        if not rep["rows_quarantined"]:
            assert not qfile.exists()
            continue
        # Read back row for row, and no cell a spreadsheet would run as a formula.
        frame = pd.read_csv(qfile, dtype=str, keep_default_na=False)
        assert len(frame) == rep["rows_quarantined"], table
        cells = [c for row in frame.itertuples(index=False) for c in row]
        formulas = [c for c in cells if c.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(c)]
        assert not formulas, formulas


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_case(case: Case, tmp_path: Path) -> None:
    _run(case, tmp_path)


@pytest.mark.parametrize("case", BRACKET_CASES, ids=lambda c: c.name)
def test_paths_holding_markup(case: Case, tmp_path: Path) -> None:
    _run(case, tmp_path)

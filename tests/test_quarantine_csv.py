"""Quarantine CSVs: no spreadsheet formula, proper quoting, and they read back row for row."""

import pandas as pd

from linkguard.io.sources import read_csv_bytes
from linkguard.pipeline.analysis import run_analysis
from linkguard.pipeline.quarantine_csv import FORMULA_PREFIXES
from linkguard.schema import TableSpec

ORDERS = (
    b"order_id,buyer_id,seller_id,amount,created_at,status\r\n"
    b"o1,b1,s1,10,2026-01-01T10:00:00Z,paid\r\n"
    b'o2,"=HYPERLINK(""http://x"")",s1,-5,2026-01-01T10:00:00Z,paid\r\n'
    b"o3,@SUM(A1),s1,+cmd|' /C calc'!A0,2026-01-01T10:00:00Z,paid\r\n"
    b'"x\ry",b4,s1,10,2026-01-01T10:00:00Z,paid\r\n'
    b'o5,b5,s1,-2+3,2026-01-01T10:00:00Z,"\tpaid"\r\n'
    b"o6,b6,s1,10,,=1+1\r\n"
)


def test_quarantine_csv_neutralises_formulas_and_reads_back_row_for_row(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_bytes(ORDERS)
    snap = run_analysis(data, tmp_path / "out")
    rep = snap.summary["inputs"]["orders"]
    assert rep["rows_quarantined"] == 5
    file = tmp_path / "out" / "quarantine" / "orders.csv"
    raw = file.read_bytes()
    # linkguard's own reader sees exactly the quarantined rows, each whole.
    spec = TableSpec("quarantine", required=("line", "reason"), optional=(), id_columns=())
    table = read_csv_bytes(raw, spec, file.name)
    assert table.rows_in == 5
    assert not table.malformed
    # So does pandas (what an analyst's notebook would use).
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    assert len(frame) == 5
    assert frame["reason"].tolist() == [
        "negative_amount",
        "bad_amount",
        "bad_id",
        "bad_amount",
        "bad_timestamp",
    ]
    cells = [c for row in frame.itertuples(index=False) for c in row]
    formulas = [c for c in cells if c.startswith(FORMULA_PREFIXES) and c != "-5"]
    assert formulas == []
    assert '\'=HYPERLINK("http://x")' in cells
    assert "'@SUM(A1)" in cells
    assert "'-2+3" in cells
    assert "-5" in cells  # a plain number is no formula
    assert "x\ry" in cells  # quoted, so it stays one value of one row
    assert b'"x\ry"' in raw

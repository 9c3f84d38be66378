"""Stray quotes no longer merge rows: swallowed lines are quarantined line by line."""

from pathlib import Path

import pytest

from linkguard.io import read_market

HEADER = "order_id,buyer_id,seller_id,amount,created_at"
ROWS = [f"o{i},b{i},s1,10,2026-01-01T10:{i:02d}:00Z" for i in range(1, 20)]


def _market(tmp_path: Path, rows: list[str], name: str = "orders.csv", header: str = HEADER):
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    if name != "orders.csv":
        (d / "orders.csv").write_text("\n".join([HEADER, *ROWS]) + "\n")
    (d / name).write_bytes(("\n".join([header, *rows]) + "\n").encode())
    return read_market(d, pepper=b"k")


def _counts(market, table="orders"):
    rep = market.reports[table]
    assert rep.rows_in == rep.rows_loaded + rep.rows_quarantined
    return rep.rows_in, rep.rows_loaded, rep.by_reason


def test_two_stray_quotes_quarantine_the_lines_they_swallowed(tmp_path):
    rows = list(ROWS)
    rows[4] = rows[4].replace(",b5,", ',"b5,')
    rows[6] = rows[6].replace(",b7,", ',b7",')
    market = _market(tmp_path, rows)
    assert _counts(market) == (19, 16, {"stray_quote": 3})
    q = market.quarantine["orders"]
    assert q["line"].tolist() == [6, 7, 8]
    assert q["order_id"].tolist() == ["o5", "o6", "o7"]
    ids = market.account_ids.tolist()
    assert not any("\n" in a or "," in a for a in ids)


def test_an_unclosed_quote_quarantines_every_swallowed_line(tmp_path):
    rows = list(ROWS)
    rows[4] = rows[4].replace(",b5,", ',"b5,')
    market = _market(tmp_path, rows)
    assert _counts(market) == (19, 4, {"stray_quote": 15})
    assert market.quarantine["orders"]["line"].tolist() == list(range(6, 21))


def test_values_that_span_lines_as_a_rule_are_kept(tmp_path):
    rows = [f'b{i},address,"{i} Main St\nSpringfield, IL"' for i in range(1, 10)]
    market = _market(tmp_path, rows, "identifiers.csv", "account_id,kind,value")
    assert _counts(market, "identifiers") == (9, 9, {})


def test_one_value_spanning_lines_among_many_rows_that_never_do_is_suspect(tmp_path):
    rows = [f"b{i},phone,555{i:04d}" for i in range(200)]
    rows[50] = 'b50,phone,"555\n0050"'
    market = _market(tmp_path, rows, "identifiers.csv", "account_id,kind,value")
    assert _counts(market, "identifiers") == (201, 199, {"stray_quote": 2})
    q = market.quarantine["identifiers"]
    assert q["line"].tolist() == [52, 53]
    assert "555" not in "".join(q["value"])  # identifier values stay hashed in quarantine


@pytest.mark.parametrize("bad", ["b\x00x", "b\x1bx", "b\x7fx", "b\nx", "b\u0085x"])
def test_ids_with_control_characters_are_quarantined(tmp_path, bad):
    rows = list(ROWS)
    rows[2] = rows[2].replace(",b3,", f',"{bad}",')
    market = _market(tmp_path, rows)
    rows_in, loaded, reasons = _counts(market)
    assert (rows_in, loaded) == (19, 18)
    assert reasons == {"bad_id": 1}
    assert market.quarantine["orders"]["line"].tolist() == [4]


def test_an_id_holding_a_bare_carriage_return_is_quarantined(tmp_path):
    rows = list(ROWS)
    rows[2] = rows[2].replace(",b3,", ',"b\rx",')
    market = _market(tmp_path, rows)
    _, loaded, reasons = _counts(market)
    assert loaded == 18
    assert reasons == {"bad_id": 1}

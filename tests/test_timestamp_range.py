"""Timestamps outside the years 1-9999 (in UTC) are quarantined: nothing downstream reads them."""

import pytest

from linkguard.io import read_market

GOOD = "2026-01-01T10:00:00Z"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("created_at", "0000-01-01T00:00:00Z"),
        ("created_at", "+10000-01-01T00:00:00Z"),
        ("created_at", "-0001-01-01T00:00:00Z"),
        ("created_at", "9999-12-31T23:59:59-01:00"),
        ("created_at", "0001-01-01T00:00:00+01:00"),
        ("confirmed_at", "0000-06-01T00:00:00Z"),
    ],
)
def test_out_of_range_timestamps_are_quarantined_with_a_reason(tmp_path, column, value):
    row = {"created_at": GOOD, "confirmed_at": ""} | {column: value}
    (tmp_path / "orders.csv").write_text(
        "order_id,buyer_id,seller_id,amount,created_at,confirmed_at\n"
        f"o1,b,s,5,{GOOD},\n"
        f"o2,b,s,5,{row['created_at']},{row['confirmed_at']}\n"
    )
    market = read_market(tmp_path, pepper=b"k")
    q = market.quarantine["orders"]
    assert q[["order_id", "column", "reason"]].values.tolist() == [
        ["o2", column, "timestamp_out_of_range"]
    ]
    assert market.reports["orders"].rows_loaded == 1


def test_the_edges_of_the_range_load(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,buyer_id,seller_id,amount,created_at\n"
        "o1,b,s,5,0001-01-01T00:00:00Z\no2,b,s,5,9999-12-31T23:59:59Z\n"
    )
    market = read_market(tmp_path, pepper=b"k")
    assert market.reports["orders"].rows_loaded == 2

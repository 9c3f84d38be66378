"""Validated ingest: reading a data directory into a Market, with quarantine and pseudonyms."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkguard import config
from linkguard.errors import InputError, SchemaError
from linkguard.io import REASONS, pseudonymise, read_market
from linkguard.io.arrow import take_rows
from linkguard.io.csvlayout import one_record_per_line, quotes_span_lines, scan_records
from linkguard.io.hashing import hash_bytes, hash_normalised, hmac_sha256_hex
from linkguard.io.parse import (
    _parse_amounts_general,
    _parse_general,
    _parse_ratings_general,
    parse_amounts,
    parse_ratings,
    parse_timestamps,
)
from linkguard.io.sources import _read_with_csv_module, read_csv_bytes
from linkguard.io.validate import _first_distinct
from linkguard.market import Market
from linkguard.schema import MAX_FIELD_CHARS, TABLES

PEPPER = b"test-pepper"
ORDERS_HEADER = "order_id,buyer_id,seller_id,amount,created_at,status,rating,confirmed_at"
GOOD = "o1,b1,s1,10.50,2026-01-01T10:00:00Z,paid,5,2026-01-02T10:00:00Z"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def orders_dir(tmp_path: Path, *rows: str | bytes, header: str = ORDERS_HEADER) -> Path:
    body = b"".join((r.encode() if isinstance(r, str) else r) + b"\n" for r in rows)
    write(tmp_path, "orders.csv", header.encode() + b"\n" + body)
    return tmp_path


def assert_counts_add_up(market: Market) -> None:
    for table, report in market.reports.items():
        assert report.rows_in == report.rows_loaded + report.rows_quarantined
        assert sum(report.by_reason.values()) == report.rows_quarantined
        assert len(market.quarantine[table]) == report.rows_quarantined


# --- one test per rejection reason ------------------------------------------------------------

LONG = "x" * (MAX_FIELD_CHARS + 1)

REJECTED_ORDERS = [
    pytest.param(b"o2,b1,s1", "", "malformed_row", id="too-few-fields"),
    pytest.param(b"o2,b1,s1,1,2026-01-01,paid,5,,extra", "", "malformed_row", id="too-many"),
    pytest.param(b"o2,b\xff\xfe1,s1,1,2026-01-01,paid,5,", "buyer_id", "bad_utf8", id="utf8"),
    pytest.param(
        f"o2,b1,s1,1,2026-01-01,{LONG},5,".encode(), "status", "field_too_long", id="too-long"
    ),
    pytest.param(b"o2, ,s1,1,2026-01-01,paid,5,", "buyer_id", "missing_id", id="no-buyer"),
    pytest.param(b",b1,s1,1,2026-01-01,paid,5,", "order_id", "missing_id", id="no-order-id"),
    pytest.param(b"o2,b1,,1,2026-01-01,paid,5,", "seller_id", "missing_id", id="no-seller"),
    pytest.param(b"o2,b1,s1,1O.5,2026-01-01,paid,5,", "amount", "bad_amount", id="amount-typo"),
    pytest.param(b"o2,b1,s1,,2026-01-01,paid,5,", "amount", "bad_amount", id="amount-empty"),
    pytest.param(b'o2,b1,s1,"1,000",2026-01-01,paid,5,', "amount", "bad_amount", id="amount-sep"),
    pytest.param(b"o2,b1,s1,inf,2026-01-01,paid,5,", "amount", "bad_amount", id="amount-inf"),
    pytest.param(b"o2,b1,s1,-0.01,2026-01-01,paid,5,", "amount", "negative_amount", id="negative"),
    pytest.param(b"o2,b1,s1,1,yesterday,paid,5,", "created_at", "bad_timestamp", id="ts-word"),
    pytest.param(b"o2,b1,s1,1,,paid,5,", "created_at", "bad_timestamp", id="ts-empty"),
    pytest.param(b"o2,b1,s1,1,2026-13-01,paid,5,", "created_at", "bad_timestamp", id="ts-month"),
    pytest.param(
        b"o2,b1,s1,1,2026-01-01,paid,5,soon", "confirmed_at", "bad_timestamp", id="optional-ts"
    ),
    pytest.param(b"o2,b1,s1,1,2026-01-01,paid,6,", "rating", "rating_out_of_range", id="rating-6"),
    pytest.param(b"o2,b1,s1,1,2026-01-01,paid,0,", "rating", "rating_out_of_range", id="rating-0"),
    pytest.param(
        b"o2,b1,s1,1,2026-01-01,paid,good,", "rating", "rating_out_of_range", id="rating-word"
    ),
    pytest.param(b"o1,b2,s2,1,2026-01-01,paid,5,", "order_id", "duplicate_id", id="duplicate"),
]


@pytest.mark.parametrize(("row", "column", "reason"), REJECTED_ORDERS)
def test_each_reason_quarantines_the_row_with_line_and_column(
    tmp_path: Path, row: bytes, column: str, reason: str
) -> None:
    market = read_market(
        orders_dir(tmp_path, GOOD, row, "o3,b1,s1,2,2026-01-01,paid,,"), pepper=PEPPER
    )

    q = market.quarantine["orders"]
    assert q[["file", "line", "column", "reason"]].to_dict("records") == [
        {"file": "orders.csv", "line": 3, "column": column, "reason": reason}
    ]
    assert list(q.columns[:4]) == ["file", "line", "column", "reason"]
    assert market.orders["order_id"].tolist() == ["o1", "o3"]
    report = market.reports["orders"]
    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert report.by_reason == {reason: 1}
    assert_counts_add_up(market)


def test_quarantine_keeps_the_row_as_read(tmp_path: Path) -> None:
    row = "  o2 ,b1,s1,-5, 2026-01-01 ,PAID,,"
    market = read_market(orders_dir(tmp_path, GOOD, row), pepper=PEPPER)
    q = market.quarantine["orders"].iloc[0]
    assert q["order_id"] == "  o2 "
    assert q["amount"] == "-5"
    assert q["created_at"] == " 2026-01-01 "
    assert q["status"] == "PAID"


def test_broken_utf8_is_shown_with_replacement_characters(tmp_path: Path) -> None:
    market = read_market(
        orders_dir(tmp_path, GOOD, b"o2,b\xff,s1,1,2026-01-01,paid,,"), pepper=PEPPER
    )
    assert market.quarantine["orders"].iloc[0]["buyer_id"] == "b\ufffd"


def test_malformed_row_keeps_its_fields(tmp_path: Path) -> None:
    market = read_market(
        orders_dir(tmp_path, GOOD, "o2,b1", "o3,b1,s1,1,2026-01-01,a,,,x,y"), pepper=PEPPER
    )
    q = market.quarantine["orders"]
    assert q["line"].tolist() == [3, 4]
    assert q.iloc[0][["order_id", "buyer_id", "seller_id"]].tolist() == ["o2", "b1", ""]
    # Surplus fields are kept, joined into the last column.
    assert q.iloc[1]["confirmed_at"] == ",x,y"


def test_first_applicable_reason_wins(tmp_path: Path) -> None:
    rows: list[str | bytes] = [
        GOOD,
        b"o2,b\xff,s1,abc,never,paid,9,",  # bad_utf8 before bad_amount / bad_timestamp
        f",b1,s1,1,2026-01-01,{LONG},5,",  # field_too_long before missing_id
        "o4,,s1,-1,2026-01-01,paid,5,",  # missing_id before negative_amount
        "o5,b1,s1,abc,never,paid,9,",  # bad_amount before bad_timestamp and rating
        "o6,b1,s1,-1,never,paid,9,",  # negative_amount before bad_timestamp
        "o7,b1,s1,1,never,paid,9,",  # bad_timestamp before rating_out_of_range
        "o1,b1,s1,1,2026-01-01,paid,9,",  # rating_out_of_range before duplicate_id
    ]
    market = read_market(orders_dir(tmp_path, *rows), pepper=PEPPER)
    assert market.quarantine["orders"]["reason"].tolist() == [
        "bad_utf8",
        "field_too_long",
        "missing_id",
        "bad_amount",
        "negative_amount",
        "bad_timestamp",
        "rating_out_of_range",
    ]


def test_field_length_counts_characters_not_bytes(tmp_path: Path) -> None:
    fits = "é" * MAX_FIELD_CHARS  # twice as many bytes as the limit
    over = "é" * (MAX_FIELD_CHARS + 1)
    market = read_market(
        orders_dir(tmp_path, f"o1,b1,s1,1,2026-01-01,{fits},,", f"o2,b1,s1,1,2026-01-01,{over},,"),
        pepper=PEPPER,
    )
    assert market.orders["order_id"].tolist() == ["o1"]
    assert market.quarantine["orders"]["reason"].tolist() == ["field_too_long"]


def test_reasons_vocabulary_is_the_documented_order() -> None:
    assert REASONS == (
        "malformed_row",
        "stray_quote",
        "bad_utf8",
        "field_too_long",
        "missing_id",
        "bad_id",
        "bad_amount",
        "negative_amount",
        "amount_too_large",
        "bad_timestamp",
        "timestamp_out_of_range",
        "rating_out_of_range",
        "duplicate_id",
    )


def test_other_tables_reject_too(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(
        tmp_path,
        "accounts.csv",
        "account_id,created_at,status\na1,,active\na1,,frozen\n ,,active\na2,someday,active\n",
    )
    write(
        tmp_path,
        "loans.csv",
        "loan_id,account_id,applied_at,amount,first_overdue,defaulted\n"
        "l1,a1,2026-01-01,100,0,0\nl1,a1,2026-01-02,100,,\n"
        "l2,a1,2026-01-02,-3,,\nl3,a1,,5,,\nl4,,2026-01-01,5,,\n",
    )
    write(
        tmp_path,
        "identifiers.csv",
        "account_id,kind,value,seen_at\na1,phone,123,\n"
        "a1, ,123,\n,phone,123,\na1,phone,123,later\n",
    )
    market = read_market(tmp_path, pepper=PEPPER)

    def reasons(table: str) -> list[tuple[int, str, str]]:
        q = market.quarantine[table]
        return list(zip(q["line"], q["column"], q["reason"], strict=True))

    assert reasons("accounts") == [
        (3, "account_id", "duplicate_id"),
        (4, "account_id", "missing_id"),
        (5, "created_at", "bad_timestamp"),
    ]
    assert reasons("loans") == [
        (3, "loan_id", "duplicate_id"),
        (4, "amount", "negative_amount"),
        (5, "applied_at", "bad_timestamp"),
        (6, "account_id", "missing_id"),
    ]
    assert reasons("identifiers") == [
        (3, "kind", "missing_id"),
        (4, "account_id", "missing_id"),
        (5, "seen_at", "bad_timestamp"),
    ]
    assert market.accounts.loc[0, "status"] == "active"  # the first a1 row is kept
    assert_counts_add_up(market)


# --- duplicates, normalisation ----------------------------------------------------------------


def test_duplicates_keep_the_first_valid_occurrence(tmp_path: Path) -> None:
    rows = [
        "o1,b1,s1,1,2026-01-01,paid,,",
        "o1,b2,s2,2,2026-01-01,paid,,",
        "o2,b1,s1,oops,2026-01-01,paid,,",  # first o2 is rejected for its amount ...
        "o2,b3,s3,3,2026-01-01,paid,,",  # ... so this one is the o2 that loads
        "o2,b4,s4,4,2026-01-01,paid,,",
    ]
    market = read_market(orders_dir(tmp_path, *rows), pepper=PEPPER)
    assert market.orders["order_id"].tolist() == ["o1", "o2"]
    assert market.orders["amount"].tolist() == [1.0, 3.0]
    q = market.quarantine["orders"]
    assert list(zip(q["line"], q["reason"], strict=True)) == [
        (3, "duplicate_id"),
        (4, "bad_amount"),
        (6, "duplicate_id"),
    ]


def test_duplicates_found_in_unsorted_ids(tmp_path: Path) -> None:
    rows = [f"o{i},b,s,1,2026-01-01,,," for i in (5, 3, 9, 3, 1, 5)]
    market = read_market(orders_dir(tmp_path, *rows), pepper=PEPPER)
    assert market.orders["order_id"].tolist() == ["o5", "o3", "o9", "o1"]
    assert market.quarantine["orders"]["line"].tolist() == [5, 7]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab", max_size=3), max_size=50))
def test_first_distinct_by_hashes_matches_polars(ids: list[str]) -> None:
    series = pl.Series(ids, dtype=pl.String)
    assert _first_distinct(series).tolist() == series.is_first_distinct().to_list()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(max_size=3), max_size=5), max_size=5), st.data())
def test_take_rows_matches_arrow_take(chunks: list[list[str]], data: st.DataObject) -> None:
    values = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    rows = data.draw(st.lists(st.integers(0, max(len(values) - 1, 0)), max_size=8))
    rows = rows if len(values) else []
    for order in (sorted(rows), rows):
        picked = np.asarray(order, dtype=np.int64)
        assert take_rows(values, picked).to_pylist() == values.take(pa.array(picked)).to_pylist()


def test_self_dealing_orders_are_kept(tmp_path: Path) -> None:
    market = read_market(orders_dir(tmp_path, "o1,a,a,5,2026-01-01,paid,,"), pepper=PEPPER)
    assert len(market.orders) == 1
    assert market.orders["buyer"].loc[0] == market.orders["seller"].loc[0]


def test_values_are_normalised(tmp_path: Path) -> None:
    rows = [
        " o1 , b1 ,s1,19.99,2026-01-01T10:00:00Z,PAID,5,",
        "o2,b1,s1,1.005,2026-01-01T12:00:00+02:00,Shipped ,4.5,2026-01-03",
        "o3,b1,s1,1e2,2026-01-01 10:00:00,,,",
        "o4,b1,s1,0.125,2026-01-01,confirmed,,2026-01-02T00:00:00-05:00",
    ]
    market = read_market(orders_dir(tmp_path, *rows), pepper=PEPPER)
    o = market.orders
    assert o["order_id"].tolist() == ["o1", "o2", "o3", "o4"]
    assert list(market.account_ids) == ["b1", "s1"]
    assert o["amount"].tolist() == [19.99, 1.01, 100.0, 0.13]
    assert str(o["created_at"].dtype) == "datetime64[us, UTC]"
    assert o["created_at"].tolist() == [pd.Timestamp("2026-01-01T10:00:00Z")] * 3 + [
        pd.Timestamp("2026-01-01T00:00:00Z")
    ]
    assert o["confirmed_at"].isna().tolist() == [True, False, True, False]
    assert o.loc[3, "confirmed_at"] == pd.Timestamp("2026-01-02T05:00:00Z")
    assert o["status"].tolist() == ["paid", "shipped", "", "confirmed"]
    assert o["rating"].tolist()[:2] == [5.0, 4.5]
    assert o["buyer"].dtype == np.int32


@pytest.mark.parametrize("first", ["2026-01-01T09:00:00Z", "2026-01-01 09:00", "yesterday"])
def test_timestamps_in_mixed_styles(tmp_path: Path, first: str) -> None:
    stamps = [
        first,
        "2026-01-01T10:00:00Z",
        "2026-01-01T12:00:00+02:00",
        "2026-01-01T10:00:00.250Z",
        "2026-01-01 10:00:00",
        "2026-01-01T10:00",
        "2026-01-01",
        "2026-02-30T10:00:00Z",  # well formed, but no such day
        "2026-01-01T25:00:00Z",
        "01/02/2026 10:00",
    ]
    rows = [f"o{i},b,s,1,{ts},,," for i, ts in enumerate(stamps)]
    market = read_market(orders_dir(tmp_path, *rows), pepper=PEPPER)
    loaded = dict(zip(market.orders["order_id"], market.orders["created_at"], strict=True))
    ten = pd.Timestamp("2026-01-01T10:00:00Z")
    assert [loaded[f"o{i}"] for i in range(1, 6)] == [
        ten,
        ten,
        ten + pd.Timedelta("250ms"),
        ten,
        ten,
    ]
    assert loaded["o6"] == pd.Timestamp("2026-01-01T00:00:00Z")
    bad = market.quarantine["orders"]
    assert set(bad["order_id"]) == {"o7", "o8", "o9"} | ({"o0"} if first == "yesterday" else set())
    assert set(bad["reason"]) == {"bad_timestamp"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1890, 2210), *(st.integers(0, n) for n in (19, 39, 29, 69, 69))),
        max_size=40,
    )
)
def test_exact_utc_stamps_parse_as_the_general_parsers_do(
    parts: list[tuple[int, int, int, int, int, int]],
) -> None:
    # Impossible dates and times (month 13, February 30th, hour 25) included.
    stamps = [f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z" for y, mo, d, h, mi, s in parts]
    text = pa.chunked_array([pa.array([*stamps, "", "2026-01-01"], pa.string())])
    fast, fast_bad = parse_timestamps(text)
    general, general_bad = _parse_general(text)
    assert fast.tolist() == general.tolist()
    assert fast_bad.tolist() == general_bad.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="-+.0123456789e ", max_size=14), max_size=30))
def test_plain_amounts_parse_as_the_general_parser_does(amounts: list[str]) -> None:
    text = pa.chunked_array([pa.array([*amounts, "12345678901.5", "0.125"], pa.string())])
    fast = parse_amounts(text)
    general = _parse_amounts_general(text)
    np.testing.assert_array_equal(fast[0], general[0])
    assert fast[1].tolist() == general[1].tolist()
    assert fast[2].tolist() == general[2].tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="-.0123456789x", max_size=3), max_size=30))
def test_single_digit_ratings_parse_as_the_general_parser_does(ratings: list[str]) -> None:
    text = pa.chunked_array([pa.array(ratings, pa.string())])
    fast = parse_ratings(text)
    general = _parse_ratings_general(text)
    np.testing.assert_array_equal(fast[0], general[0])
    assert fast[1].tolist() == general[1].tolist()


def test_loan_flags_parse_to_one_zero_or_nan(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(
        tmp_path,
        "loans.csv",
        "loan_id,account_id,applied_at,amount,first_overdue,defaulted\n"
        "l1,a,2026-01-01,5,1,0\nl2,a,2026-01-01,5,,\n"
        "l3,a,2026-01-01,5,TRUE,no\nl4,a,2026-01-01,5,maybe,1.0\n",
    )
    loans = read_market(tmp_path, pepper=PEPPER).loans
    assert loans["first_overdue"].fillna(-1).tolist() == [1.0, -1.0, 1.0, -1.0]
    assert loans["defaulted"].fillna(-1).tolist() == [0.0, -1.0, 0.0, 1.0]


def test_alias_kinds_are_normalised_not_rejected(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(
        tmp_path,
        "identifiers.csv",
        "account_id,kind,value\n"
        "b1,Mobile,+1 (555) 010-0000\n"
        "s1, PHONE_NUMBER ,15550100000\n"
        "b1,E-Mail,Bob@Example.COM\n"
        "s1,email,bob@example.com\n"
        "b1,Device_ID,dev-1\n"
        "b1,Phone Number,1-555-010-0000\n"
        "b1,WeChat,wx-77\n",
    )
    market = read_market(tmp_path, pepper=PEPPER)
    ids = market.identifiers
    assert ids["kind"].tolist() == ["phone", "phone", "email", "email", "device", "phone", "wechat"]
    assert market.reports["identifiers"].rows_quarantined == 0
    hashes = ids["value_hash"].tolist()
    assert hashes[0] == hashes[1] == hashes[5]  # spellings of one phone link
    assert hashes[2] == hashes[3]  # e-mail compared case-insensitively
    assert len(set(hashes)) == 4
    assert all(len(h) == 32 and int(h, 16) >= 0 for h in hashes)


def test_non_ascii_addresses_are_case_folded(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(
        tmp_path,
        "identifiers.csv",
        "account_id,kind,value\n"
        "b1,email, STRASSE@Example.de\n"
        "s1,email,straße@example.DE\n"
        "b1,email,Éva@X.com\n"
        "s1,email,éva@x.com \n"
        "b1,device,Éva@X.com\n",
    )
    hashes = read_market(tmp_path, pepper=PEPPER).identifiers["value_hash"].tolist()
    assert hashes[0] == hashes[1] == pseudonymise(["strasse@example.de"], "email", PEPPER)[0]
    assert hashes[2] == hashes[3] == pseudonymise(["éva@x.com"], "email", PEPPER)[0]
    assert hashes[4] != hashes[2]  # device ids keep their case


def test_phone_without_digits_is_a_missing_value(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(tmp_path, "identifiers.csv", "account_id,kind,value\nb1,phone,n/a\nb1,device,n/a\n")
    market = read_market(tmp_path, pepper=PEPPER)
    q = market.quarantine["identifiers"]
    assert list(zip(q["line"], q["column"], q["reason"], strict=True)) == [
        (2, "value", "missing_id")
    ]
    assert market.identifiers["kind"].tolist() == ["device"]


def test_accounts_table_fills_codes_and_implicit_accounts(tmp_path: Path) -> None:
    orders_dir(tmp_path, "o1,b1,s1,1,2026-01-01,,,", "o2,b9,s1,1,2026-01-01,,,")
    write(
        tmp_path,
        "accounts.csv",
        "account_id,created_at,kind,region,status,extra\n"
        "s1,2020-01-01,Seller,north,Frozen,zzz\nb1,,buyer,,,\n",
    )
    market = read_market(tmp_path, pepper=PEPPER)
    assert list(market.account_ids) == ["s1", "b1", "b9"]
    acc = market.accounts
    assert acc["account_id"].tolist() == ["s1", "b1", "b9"]
    assert acc["status"].tolist() == ["frozen", "", ""]
    assert acc["kind"].tolist() == ["seller", "buyer", ""]
    assert acc["region"].tolist() == ["north", "", ""]
    assert acc["created_at"].isna().tolist() == [False, True, True]
    assert market.orders["buyer"].tolist() == [1, 2]
    assert market.code_of("b9") == 2
    assert "extra" not in acc.columns


def test_columns_are_matched_case_insensitively_in_any_order(tmp_path: Path) -> None:
    header = "Amount, ORDER_ID ,seller_id,created_at,buyer_id,unused"
    market = read_market(
        orders_dir(tmp_path, "3,o1,s,2026-01-01,b,?", header=header), pepper=PEPPER
    )
    assert market.orders[["order_id", "amount"]].values.tolist() == [["o1", 3.0]]


# --- file formats -----------------------------------------------------------------------------

SAMPLE = {
    "orders": "\n".join(
        [
            ORDERS_HEADER,
            GOOD,
            "o2,b2,s1,7.25,2026-01-03T00:00:00+01:00,Confirmed,4,",
            "o3,b2,s1,-1,2026-01-04,paid,,",
            "o4,b3,b3,3,2026-01-05,refunded,,",
        ]
    )
    + "\n",
    "accounts": "account_id,created_at,kind,status\ns1,2020-01-01T00:00:00Z,seller,active\n",
    "identifiers": "account_id,kind,value,seen_at\nb1,phone,+1 555 0100,\nb2,mobile,15550100,\n"
    "b3,email,X@Y.Z,2026-01-01\n",
    "loans": "loan_id,account_id,applied_at,amount,first_overdue,defaulted\n"
    "l1,s1,2026-02-01,500,0,0\n",
}


def write_sample(directory: Path, fmt: str) -> Path:
    directory.mkdir()
    for table, text in SAMPLE.items():
        if fmt == "csv":
            write(directory, f"{table}.csv", text)
        elif fmt == "csv.gz":
            write(directory, f"{table}.csv.gz", gzip.compress(text.encode()))
        else:
            header = text.split("\n", 1)[0].split(",")
            arrow = pacsv.read_csv(
                pa.BufferReader(text.encode()),
                convert_options=pacsv.ConvertOptions(
                    column_types={h: pa.string() for h in header}, strings_can_be_null=False
                ),
            )
            pq.write_table(arrow, directory / f"{table}.parquet")
    return directory


def market_frames(market: Market) -> dict[str, pd.DataFrame]:
    return {name: getattr(market, name) for name in ("accounts", "orders", "identifiers", "loans")}


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_gzip_and_parquet_read_the_same_as_csv(tmp_path: Path, fmt: str) -> None:
    reference = read_market(write_sample(tmp_path / "csv", "csv"), pepper=PEPPER)
    other = read_market(write_sample(tmp_path / fmt, fmt), pepper=PEPPER)
    for name, frame in market_frames(reference).items():
        pd.testing.assert_frame_equal(market_frames(other)[name], frame, obj=name)
    assert list(other.account_ids) == list(reference.account_ids)
    ref_q = reference.quarantine["orders"]
    other_q = other.quarantine["orders"]
    assert other_q["file"].tolist() == [f"orders.{fmt}"]
    # A Parquet row number counts data rows from 1; a CSV line counts the header too.
    assert other_q["line"].tolist() == [ref_q["line"].iloc[0] - (1 if fmt == "parquet" else 0)]
    assert other_q["reason"].tolist() == ref_q["reason"].tolist() == ["negative_amount"]
    for table, report in reference.reports.items():
        assert other.reports[table].rows_loaded == report.rows_loaded


def test_typed_parquet_columns_are_read_as_their_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "order_id": ["o1", "o2"],
            "buyer_id": ["b", "b"],
            "seller_id": ["s", "s"],
            "amount": pa.array([12.5, None], pa.float64()),
            "created_at": pa.array(
                [pd.Timestamp("2026-01-01T10:00:00Z")] * 2, pa.timestamp("us", tz="UTC")
            ),
            "rating": pa.array([5, None], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "orders.parquet")
    market = read_market(tmp_path, pepper=PEPPER)
    assert market.orders["amount"].tolist() == [12.5]
    assert market.orders["created_at"].tolist() == [pd.Timestamp("2026-01-01T10:00:00Z")]
    assert market.orders["rating"].tolist() == [5.0]
    q = market.quarantine["orders"]
    assert q[["line", "column", "reason"]].values.tolist() == [[2, "amount", "bad_amount"]]


def test_crlf_bom_blank_lines_and_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        "\ufeff" + ORDERS_HEADER + ",note\r\n"
        "\r\n"
        'o1,b,s,1,2026-01-01,,,,"two\r\nlines"\r\n'
        "o2,b,s,-1,2026-01-01,,,,\r\n"
        "\r\n"
        'o3,b,s,"1,5",2026-01-01,,,,"a ""quoted"" word"\r\n'
        "o4,b\r\n"
        "o5,b,s,1,2026-01-01,,,,"
    )
    market = read_market(orders_dir(tmp_path, header=text), pepper=PEPPER)
    q = market.quarantine["orders"]
    assert list(zip(q["line"], q["reason"], strict=True)) == [
        (5, "negative_amount"),
        (7, "bad_amount"),
        (8, "malformed_row"),
    ]
    assert q.iloc[1]["note"] == 'a "quoted" word'
    assert market.orders["order_id"].tolist() == ["o1", "o5"]


def test_irregular_quotes_fall_back_to_the_exact_reader(tmp_path: Path) -> None:
    rows = ['o1,b"x,s,1,2026-01-01,,,', "o2,b,s,-1,2026-01-01,,,", "o3,b", "o4,b,s,1,x,,,"]
    market = read_market(orders_dir(tmp_path, *rows), pepper=PEPPER)
    q = market.quarantine["orders"]
    assert list(zip(q["line"], q["reason"], strict=True)) == [
        (3, "negative_amount"),
        (4, "malformed_row"),
        (5, "bad_timestamp"),
    ]
    assert market.account_ids[market.orders["buyer"].iloc[0]] == 'b"x'


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"b,c", b"\n", b"\r\n", b"\r", b"\x0e", b"x" * 9]),
        min_size=1,
        max_size=60,
    )
)
def test_one_record_per_line_agrees_with_splitting_lines(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    regular = all(line not in (b"", b"\r") for line in lines) and (
        b"\r" not in data.replace(b"\r\n", b"")
    )
    for n in (len(lines) - 1, len(lines), len(lines) + 1):
        assert one_record_per_line(data, n) == (regular and n == len(lines))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b'"', b'""', b"\n", b"\r\n", b"x" * 7]), max_size=40))
def test_quotes_span_lines_agrees_with_the_record_scan(pieces: list[bytes]) -> None:
    # Quote tracking is left on exactly when the scan finds irregular quotes or a value
    # spanning lines.
    data = b"".join(pieces)
    layout = scan_records(data)
    assert quotes_span_lines(data) == (layout is None or layout.quoted_newlines)


def test_header_only_file_loads_nothing(tmp_path: Path) -> None:
    market = read_market(orders_dir(tmp_path), pepper=PEPPER)
    assert len(market.orders) == 0
    assert market.n_accounts == 0
    assert market.reports["orders"].rows_in == 0
    assert list(market.quarantine["orders"].columns[:4]) == ["file", "line", "column", "reason"]


# --- errors before anything is written ---------------------------------------------------------


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    orders_dir(tmp_path, "o1,b,s,2026-01-01", header="order_id,buyer_id,seller_id,created_at")
    with pytest.raises(SchemaError, match=r"orders\.csv.*'amount'"):
        read_market(tmp_path, pepper=PEPPER)


def test_missing_column_in_optional_table(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(tmp_path, "identifiers.csv", "account_id,value\na,1\n")
    with pytest.raises(SchemaError, match=r"identifiers\.csv.*'kind'"):
        read_market(tmp_path, pepper=PEPPER)


def test_missing_column_in_parquet(tmp_path: Path) -> None:
    pq.write_table(pa.table({"order_id": ["o1"]}), tmp_path / "orders.parquet")
    with pytest.raises(SchemaError, match=r"orders\.parquet.*'buyer_id'"):
        read_market(tmp_path, pepper=PEPPER)


def test_missing_orders_names_the_directory(tmp_path: Path) -> None:
    write(tmp_path, "accounts.csv", "account_id\na\n")
    with pytest.raises(InputError, match=str(tmp_path)) as info:
        read_market(tmp_path, pepper=PEPPER)
    assert "orders" in str(info.value)
    assert info.value.exit_code == 2


def test_two_files_for_one_table(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(tmp_path, "orders.csv.gz", gzip.compress(b"x"))
    with pytest.raises(InputError, match=r"orders\.csv, orders\.csv\.gz"):
        read_market(tmp_path, pepper=PEPPER)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("orders.csv.gz", b"not gzip at all"),
        ("orders.csv.gz", gzip.compress(b"order_id,buyer_id\n")[:-6]),
        ("orders.parquet", b"PAR1 this is no parquet"),
        ("orders.csv", b""),
        ("orders.csv", b"order_\xffid,buyer_id\n"),
    ],
    ids=["not-gzip", "truncated-gzip", "corrupt-parquet", "empty", "binary-header"],
)
def test_unreadable_file_names_the_file(tmp_path: Path, name: str, content: bytes) -> None:
    write(tmp_path, name, content)
    with pytest.raises(InputError, match=name.replace(".", r"\.")) as info:
        read_market(tmp_path, pepper=PEPPER)
    assert not isinstance(info.value, SchemaError)


def test_a_directory_in_place_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").mkdir()
    with pytest.raises(InputError, match=r"orders\.csv"):
        read_market(tmp_path, pepper=PEPPER)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        read_market(tmp_path / "nope", pepper=PEPPER)


# --- pseudonymisation ---------------------------------------------------------------------------

RAW_VALUES = [
    "+1 (555) 010-7788",
    "15550107788",
    "Alice.Secret@Example.com",
    "dev-SECRET-1",
    "10.20.30.40",
    "4111 1111 1111 1111",
]


def test_no_raw_identifier_value_leaves_ingest(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    rows = [
        "b1,phone,+1 (555) 010-7788,",  # loaded
        "b1,mobile,15550107788,2026-01-01",  # loaded
        "b2,email,Alice.Secret@Example.com,never",  # bad_timestamp
        ",device,dev-SECRET-1,",  # missing_id
        "b3,ip,10.20.30.40",  # malformed (too few fields)
        "b3,card,4111 1111 1111 1111,,surplus",  # malformed (too many)
    ]
    body = ("account_id,kind,value,seen_at\n" + "\n".join(rows) + "\n").encode()
    body += b"b4,card,4111\xff 1111 1111 1111,\n"  # broken UTF-8 in the value
    body += ("b5,device," + "dev-SECRET-1" * 30 + ",\n").encode()  # field_too_long
    write(tmp_path, "identifiers.csv", body)
    market = read_market(tmp_path, pepper=PEPPER)

    q = market.quarantine["identifiers"]
    assert q["reason"].tolist() == [
        "bad_timestamp",
        "missing_id",
        "malformed_row",
        "malformed_row",
        "bad_utf8",
        "field_too_long",
    ]
    cells = [str(v) for v in q.to_numpy().ravel()]
    cells += [str(v) for v in market.identifiers.to_numpy().ravel()]
    fragments = [*RAW_VALUES, "4111", "1111", "Secret", "SECRET", "alice", "7788", "10.20"]
    leaked = [(frag, c) for frag in fragments for c in cells if frag.lower() in c.lower()]
    assert leaked == []
    hashes = q["value"].tolist()
    assert hashes[0] == pseudonymise(["alice.secret@example.com"], "email", PEPPER)[0]
    assert all(len(h) == 32 for h in hashes[:2] + hashes[4:])
    assert "value" not in market.identifiers.columns


def test_pseudonymise_matches_ingest(tmp_path: Path) -> None:
    orders_dir(tmp_path, GOOD)
    write(tmp_path, "identifiers.csv", "account_id,kind,value\nb1,tel, +44 20 7946 0000 \n")
    market = read_market(tmp_path, pepper=PEPPER)
    (expected,) = pseudonymise(["442079460000"], "phone", PEPPER)
    assert market.identifiers["value_hash"].tolist() == [expected]
    digest = hmac.new(PEPPER, b"442079460000", "sha256").hexdigest()[:32]
    assert expected == digest
    assert pseudonymise(["", " "], "email", PEPPER).tolist() == ["", ""]
    with pytest.raises(TypeError):
        pseudonymise("442079460000", "phone", PEPPER)


@pytest.mark.parametrize("key", [b"", b"k", b"x" * 64, b"y" * 65, bytes(range(200))])
def test_hmac_matches_the_standard_library(key: bytes) -> None:
    rng = np.random.default_rng(7)
    # Every length class, with repeats (each distinct value is hashed once, then spread back).
    messages = [rng.bytes(int(n)) for n in rng.permutation([*range(1, 140), 200, 1000])]
    messages += messages[::3]
    out = hmac_sha256_hex(pa.array(messages, pa.binary()), key, 64).to_pylist()
    assert out == [hmac.new(key, m, "sha256").hexdigest() for m in messages]


def test_hmac_strings_leave_empty_messages_empty() -> None:
    messages = [b"", b"a", b"", b"", b"bc" * 40, b"", b"a"]
    got = hmac_sha256_hex(pa.array(messages, pa.binary()), b"k", 32).to_pylist()
    assert got == [hmac.new(b"k", m, "sha256").hexdigest()[:32] if m else "" for m in messages]
    with pytest.raises(ValueError, match="even number"):
        hmac_sha256_hex(pa.array(messages, pa.binary()), b"k", 31)


# Digests written by the earlier compiled implementation, kept so that a change of hashing
# (which would unlink every stored value hash) cannot pass unnoticed.
_EARLIER_DIGESTS = {
    b"": "df5b5349c5be9b0de2042df9cbec38a9c3b41b1c4273266132c7e72cbd3d1727",
    b"k": "ddceca219b3243e7cd59a69ff442936e43e666fc6521a1467c5f06d572127175",
    b"x" * 64: "f25dcab631d3a94b4ddb44915e068a3d414de808957d43971bbb7d2133524293",
    b"y" * 65: "89261446ee617721f4e45ed403ba3302a5ffb18dd3bf15c9ff0fca122614949e",
}


@pytest.mark.parametrize("key", list(_EARLIER_DIGESTS))
def test_hashes_match_the_earlier_implementation(key: bytes) -> None:
    messages = [
        "",
        "a",
        "bob@example.com",
        "15550100000",
        "x" * 55,
        "y" * 56,
        "z" * 64,
        "é" * 40,
        "dev-" + "9" * 150,
        "a",
        "",
        "bob@example.com",
    ]
    out = hash_normalised(pa.array(messages, pa.string()), key).to_pylist()
    assert hashlib.sha256("|".join(out).encode()).hexdigest() == _EARLIER_DIGESTS[key]
    assert hash_bytes([b"\xff\xfe", b"", b"abc"], b"k") == [
        "102f334c2129031450cea21ffffe2eba",
        "",
        "342e519ce0ad6c03a36b98eeb3f1d130",
    ]


def test_dev_key_warning_without_pepper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    orders_dir(tmp_path, GOOD)
    write(tmp_path, "identifiers.csv", "account_id,kind,value\nb1,phone,123\n")
    monkeypatch.delenv("LINKGUARD_PEPPER", raising=False)
    config.get_settings.cache_clear()
    try:
        with pytest.warns(config.DevPepperWarning):
            dev = read_market(tmp_path)
        monkeypatch.setenv("LINKGUARD_PEPPER", "a-real-secret")
        config.get_settings.cache_clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error", config.DevPepperWarning)
            real = read_market(tmp_path)
    finally:
        config.get_settings.cache_clear()
    assert (
        dev.identifiers["value_hash"].tolist()
        == pseudonymise(["123"], "phone", config.DEV_PEPPER.encode()).tolist()
    )
    assert (
        real.identifiers["value_hash"].tolist()
        == pseudonymise(["123"], "phone", b"a-real-secret").tolist()
    )


def test_progress_reports_every_step(tmp_path: Path) -> None:
    write_sample(tmp_path / "d", "csv")
    calls: list[tuple[str, int, int]] = []
    read_market(tmp_path / "d", pepper=PEPPER, progress=lambda *a: calls.append(a))
    assert [done for _, done, _ in calls] == list(range(1, 6))
    assert {total for _, _, total in calls} == {5}
    assert calls[0][0] == "read and validate orders.csv"
    assert calls[-1][0] == "build market"


# --- property: counts add up and lines point at the right input line ----------------------------

#: Row templates: the eight order fields and a free ``extra`` one (the marker goes first).
ROW_KINDS = {
    "good": ("{id},b{n},s1,{n}.25,2026-01-01T00:00:00Z,paid,4,,", None),
    "multiline": ('{id},b{n},s1,1,2026-01-01,paid,,,"note\nmore, text"', None),
    "quoted": ('{id},"b{n}",s1,"2.50",2026-01-01,paid,,,"say ""hi"""', None),
    "self_dealing": ("{id},s1,s1,1,2026-01-01,paid,,,", None),
    "malformed": ("{id},b{n},s1", "malformed_row"),
    "surplus": ("{id},b{n},s1,1,2026-01-01,paid,,,,x", "malformed_row"),
    "bad_amount": ("{id},b{n},s1,1.2.3,2026-01-01,paid,,,", "bad_amount"),
    "negative": ("{id},b{n},s1,-4,2026-01-01,paid,,,", "negative_amount"),
    "bad_ts": ("{id},b{n},s1,1,2026-02-30,paid,,,", "bad_timestamp"),
    "rating": ("{id},b{n},s1,1,2026-01-01,paid,7,,", "rating_out_of_range"),
    "missing": ("{id},,s1,1,2026-01-01,paid,,,", "missing_id"),
    "utf8": ("{id},b\udcff{n},s1,1,2026-01-01,paid,,,", "bad_utf8"),
    "long": ("{id},b{n},s1,1,2026-01-01," + "p" * 300 + ",,,", "field_too_long"),
    "duplicate": ("o0,b{n},s1,1,2026-01-01,paid,,,", "duplicate_id"),
}
PROPERTY_HEADER = "note," + ORDERS_HEADER + ",extra"


@st.composite
def order_files(draw: st.DrawFn) -> tuple[bytes, dict[str, str | None]]:
    kinds = draw(st.lists(st.sampled_from(sorted(ROW_KINDS)), max_size=30))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [PROPERTY_HEADER]
    expected: dict[str, str | None] = {}
    # Row 0 is always good, so that "duplicate" rows have a loaded id to repeat.
    for n, kind in enumerate(["good", *kinds]):
        if draw(st.integers(0, 4)) == 0:
            lines.append("")  # a blank line: skipped by readers, counted in line numbers
        template, reason = ROW_KINDS[kind]
        # The marker column comes first, so every record's first line starts with "rN,".
        lines.append(f"r{n}," + template.format(id=f"o{n}", n=n))
        expected[f"r{n}"] = reason
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return text.encode("utf-8", errors="surrogateescape"), expected


@settings(max_examples=60, deadline=None)
@given(order_files())
def test_counts_add_up_and_lines_point_at_their_rows(
    tmp_path_factory: pytest.TempPathFactory, generated: tuple[bytes, dict[str, str | None]]
) -> None:
    data, expected = generated
    directory = tmp_path_factory.mktemp("prop")
    write(directory, "orders.csv", data)
    market = read_market(directory, pepper=PEPPER)

    report = market.reports["orders"]
    assert report.rows_in == len(expected)
    assert report.rows_in == report.rows_loaded + report.rows_quarantined
    assert_counts_add_up(market)

    physical = data.decode("utf-8", errors="surrogateescape").replace("\r\n", "\n").split("\n")
    q = market.quarantine["orders"]
    got = {}
    for line, marker, reason in zip(q["line"], q["note"], q["reason"], strict=True):
        assert physical[line - 1].startswith(marker + ","), (line, marker)
        got[marker] = reason
    assert got == {m: r for m, r in expected.items() if r is not None}
    assert len(market.orders) == sum(r is None for r in expected.values())

    # The fast reader and the exact csv-module reader agree on rows, lines and fields.
    fast = read_csv_bytes(data, TABLES["orders"], "orders.csv")
    exact = _read_with_csv_module(data, fast.columns, "orders", "orders.csv")
    assert fast.lines.tolist() == exact.lines.tolist()
    assert [m.line for m in fast.malformed] == [m.line for m in exact.malformed]
    assert [m.fields for m in fast.malformed] == [m.fields for m in exact.malformed]
    for a, b in zip(fast.data, exact.data, strict=True):
        assert a.to_pylist() == b.to_pylist()


def test_both_hmac_paths_agree_and_text_keys_take_the_compiled_one(monkeypatch) -> None:
    from linkguard.io import hashing

    rng = np.random.default_rng(11)
    values = pa.array([rng.bytes(int(n)) for n in rng.integers(1, 90, 500)], pa.binary())
    compiled = hashing._hmac_hex_compiled(b"text key", values, 32)
    assert compiled is not None
    fallback = hashing._hmac_hex_hashlib(b"text key", values, 32)
    assert compiled.cast(pa.string()).to_pylist() == fallback.cast(pa.string()).to_pylist()
    assert hashing._hmac_hex_compiled(b"\xff not text", values, 32) is None

    def refuse(*_args: object) -> pa.Array:
        raise AssertionError("the standard-library path ran for a text key")

    monkeypatch.setattr(hashing, "_hmac_hex_hashlib", refuse)
    out = hmac_sha256_hex(values, b"text key", 32).to_pylist()
    assert out == [hmac.new(b"text key", v.as_py(), "sha256").hexdigest()[:32] for v in values]

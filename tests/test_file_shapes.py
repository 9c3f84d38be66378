"""Hostile file shapes are refused quickly (the full cases run in tests/hostile/)."""

import gzip
import time

import pytest

from linkguard.errors import InputError
from linkguard.io.limits import GZIP_FLOOR_BYTES, read_gzip
from linkguard.io.raw import normalise_header
from linkguard.schema import TABLES


def test_renaming_many_repeated_header_names_takes_linear_time():
    names = ["order_id", "buyer_id", "seller_id", "amount", "created_at"] + ["x"] * 50_000
    start = time.perf_counter()
    columns = normalise_header(names, TABLES["orders"], "orders.csv")
    assert time.perf_counter() - start < 2.0
    assert columns[5:8] == ("x", "x_2", "x_3")
    assert len(set(columns)) == len(columns)


def test_renaming_skips_names_the_file_already_uses():
    names = ["order_id", "buyer_id", "seller_id", "amount", "created_at", "x", "x", "x_2", "x"]
    assert normalise_header(names, TABLES["orders"], "f")[5:] == ("x", "x_3", "x_2", "x_4")


def test_a_gzip_bomb_is_stopped_after_a_bounded_read(tmp_path):
    bomb = tmp_path / "orders.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        for _ in range(GZIP_FLOOR_BYTES // (1 << 20) + 8):
            fh.write(b"\0" * (1 << 20))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(InputError, match="decompression bomb"):
        read_gzip(bomb)


def test_an_ordinary_gzip_file_reads_whole(tmp_path):
    text = b"order_id\n" + b"o1\n" * 100_000
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(text))
    assert read_gzip(path).to_pybytes() == text

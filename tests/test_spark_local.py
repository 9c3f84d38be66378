"""The iterative loops give the same answer whether their last rounds run on Spark or on the
driver (``spark.linkguard.localRows``: 0 keeps every round on Spark, a small bound switches
part-way, the default finishes small tables on the driver)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pyspark")

pytestmark = [pytest.mark.spark]

BOUNDS = ["0", "40", "1000000"]


@contextmanager
def _local_rows(spark, rows: str) -> Iterator[str]:
    """``spark.linkguard.localRows`` set to ``rows`` inside the block, unset after it."""
    spark.conf.set("spark.linkguard.localRows", rows)
    try:
        yield rows
    finally:
        spark.conf.unset("spark.linkguard.localRows")


@pytest.fixture(params=BOUNDS)
def bound(request, spark) -> Iterator[str]:
    with _local_rows(spark, request.param) as rows:
        yield rows


def _market(seed: int = 4) -> list[tuple[str, str]]:
    """Random buyer-seller pairs with a planted dense block (a ring) and a few chains."""
    rng = np.random.default_rng(seed)
    pairs = {(f"b{rng.integers(200):03d}", f"s{rng.integers(40):02d}") for _ in range(500)}
    pairs |= {(f"r{i}", f"q{j}") for i in range(8) for j in range(4)}
    pairs |= {(f"s{i:02d}", f"s{i + 1:02d}") for i in range(0, 12)}
    pairs |= {("s12", "s00"), ("b001", "b002"), ("b002", "b001")}
    return sorted(pairs)


def test_components(spark, bound):
    from linkguard.spark.components import connected_components

    edges = spark.createDataFrame(_market(), "src string, dst string")
    got = {r["node"]: r["component"] for r in connected_components(edges).collect()}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in _market():
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    assert got == {n: find(n) for n in parent}


def _pruned(spark) -> list[tuple[str, str, int]]:
    from linkguard.spark.lockstep import prune_cells

    rows = [(b, s, int(s[1:]) % 3) for b, s in _market()]
    m = spark.createDataFrame(rows, "buyer_id string, seller_id string, bucket long")
    return sorted(tuple(r) for r in prune_cells(m, ["seller_id", "bucket"], 3).collect())


def _peeled(spark) -> list[tuple[list[str], list[str]]]:
    from linkguard.detect.rings import RingParams
    from linkguard.spark.rings import EPSILON, MAX_BLOCK_NODES, _structural

    pairs = spark.createDataFrame(
        [(b, s, 1) for b, s in _market()], "buyer_id string, seller_id string, orders long"
    )
    found = _structural(spark, pairs, RingParams(), EPSILON, MAX_BLOCK_NODES)
    return [(sorted(b), sorted(s)) for b, s, _ in found]


@pytest.fixture(scope="module")
def on_spark(spark) -> dict[str, Any]:
    """Pruning and peeling with every round on Spark."""
    with _local_rows(spark, "0"):
        return {"pruned": _pruned(spark), "peeled": _peeled(spark)}


@pytest.mark.parametrize("rows", BOUNDS[1:])
def test_pruned_cells(spark, on_spark, rows):
    with _local_rows(spark, rows):
        got = _pruned(spark)
    assert got == on_spark["pruned"]
    assert got


@pytest.mark.parametrize("rows", BOUNDS[1:])
def test_peeled_regions(spark, on_spark, rows):
    with _local_rows(spark, rows):
        got = _peeled(spark)
    assert got == on_spark["peeled"]
    assert any(s == [f"q{j}" for j in range(4)] for _, s in got)


def test_cyclic_orders(spark, bound):
    from linkguard.spark.cycles import cyclic_orders

    rows = [(f"o{i}", b, s) for i, (b, s) in enumerate(_market())]
    orders = spark.createDataFrame(rows, "order_id string, buyer_id string, seller_id string")
    got = sorted(r["order_id"] for r in cyclic_orders(orders).collect())
    kept = {(b, s) for b, s in _market() if b != s}
    while True:
        both = {b for b, _ in kept} & {s for _, s in kept}
        now = {(b, s) for b, s in kept if b in both and s in both}
        if now == kept:
            break
        kept = now
    assert got == sorted(f"o{i}" for i, p in enumerate(_market()) if p in kept)
    assert len(got) >= 13

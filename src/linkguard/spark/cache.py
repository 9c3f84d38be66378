"""Intermediate tables a run keeps in memory, released when the run ends.

Every stage persists the tables it reads more than once through :func:`run_cached`; the engine runs
inside :func:`released`, which unpersists them all on the way out. A shared session (a notebook,
the test suite) so runs one analysis after another without the cached blocks of earlier runs
filling the driver's heap, and a caller's own cached tables are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pyspark.sql import DataFrame

__all__ = ["released", "run_cached", "truncate"]


class _JavaRDD:
    """A persisted RDD of the JVM's (a local checkpoint's blocks), by id."""

    def __init__(self, df: DataFrame, rdd_id: int) -> None:
        self._jsc = df.sparkSession.sparkContext._jsc
        self._id = rdd_id

    def unpersist(self, blocking: bool = False) -> None:
        rdd = self._jsc.getPersistentRDDs().get(self._id)
        if rdd is not None:
            rdd.unpersist(blocking)


_KEPT: ContextVar[list[DataFrame] | None] = ContextVar("linkguard_spark_kept", default=None)
_KEPT_RDDS: ContextVar[list[_JavaRDD] | None] = ContextVar("linkguard_spark_rdds", default=None)


def run_cached(df: DataFrame) -> DataFrame:
    """``df.persist()``, remembered so that :func:`released` can unpersist it.

    Use as ``df.transform(run_cached)`` at the end of a chain.
    """
    held = _KEPT.get()
    if held is not None:
        held.append(df)
    return df.persist()


def truncate(df: DataFrame) -> DataFrame:
    """``df`` computed once and its lineage cut: under a local master, where executors never
    leave, a local checkpoint (blocks kept by the executors, released as :func:`run_cached`
    tables are); elsewhere a reliable one (in the checkpoint directory)."""
    spark = df.sparkSession
    if not (spark.sparkContext.master or "").startswith("local"):
        return df.checkpoint()
    held = _KEPT_RDDS.get()
    jsc = spark.sparkContext._jsc
    before = set(jsc.getPersistentRDDs().keys()) if held is not None else set()
    out = df.localCheckpoint()
    if held is not None:
        held += [_JavaRDD(df, int(i)) for i in set(jsc.getPersistentRDDs().keys()) - before]
    return out


@contextmanager
def released() -> Iterator[list[DataFrame]]:
    """Unpersist every table :func:`run_cached` inside the block when it ends, whatever happened."""
    held: list[DataFrame] = []
    rdds: list[_JavaRDD] = []
    token = _KEPT.set(held)
    rdd_token = _KEPT_RDDS.set(rdds)
    try:
        yield held
    finally:
        _KEPT.reset(token)
        _KEPT_RDDS.reset(rdd_token)
        for df in held:
            df.unpersist(blocking=False)
        for rdd in rdds:
            rdd.unpersist(blocking=False)

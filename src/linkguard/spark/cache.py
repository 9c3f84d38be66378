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

__all__ = ["released", "run_cached"]

_KEPT: ContextVar[list[DataFrame] | None] = ContextVar("linkguard_spark_kept", default=None)


def run_cached(df: DataFrame) -> DataFrame:
    """``df.persist()``, remembered so that :func:`released` can unpersist it.

    Use as ``df.transform(run_cached)`` at the end of a chain.
    """
    held = _KEPT.get()
    if held is not None:
        held.append(df)
    return df.persist()


@contextmanager
def released() -> Iterator[list[DataFrame]]:
    """Unpersist every table :func:`run_cached` inside the block when it ends, whatever happened."""
    held: list[DataFrame] = []
    token = _KEPT.set(held)
    try:
        yield held
    finally:
        _KEPT.reset(token)
        for df in held:
            df.unpersist(blocking=False)

"""Which engine analyses: in memory (igraph, the reference), Neo4j or Spark.

The flow in :mod:`linkguard.pipeline` imports no engine; this module picks one and hands the
flow what it needs. The in-memory engine is the flow itself; the Neo4j engine loads the
validated market into the database and gives back the market read from it
(:func:`linkguard.neo4j.engine.load_and_read_back`), which the flow then analyses; the Spark
engine runs its own DataFrame version of the flow (:mod:`linkguard.spark.engine`). The Neo4j
and Spark modules are imported only when chosen (the driver is slow to import and pyspark is
an optional extra).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkguard.errors import InputError
from linkguard.market import Market
from linkguard.pipeline.analysis import MarketReadBack, run_analysis
from linkguard.pipeline.snapshot import Snapshot
from linkguard.pipeline.timing import StageTimer

__all__ = ["ENGINES", "analyze_with_engine"]

#: Where the graph lives while detectors run: in memory, in a Neo4j database, or in Spark.
ENGINES = ("igraph", "neo4j", "spark")


def analyze_with_engine(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    engine: str = "igraph",
    ruleset_path: str | Path | None = None,
    timer: StageTimer | None = None,
    market: Market | None = None,
    force: bool = False,
    as_of: pd.Timestamp | None = None,
) -> Snapshot:
    """:func:`~linkguard.pipeline.analysis.run_analysis` on the engine named ``engine``.

    ``engine="neo4j"``: the validated tables replace linkguard's graph in the database at
    ``NEO4J_URI`` and detection runs on the graph read back from it; quarantine and input
    counts still come from ingest. ``engine="spark"`` without ``market``: the Spark engine
    reads ``data_dir`` itself (``as_of`` is not applied there). An unknown name is an
    :class:`~linkguard.errors.InputError`.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "spark" and market is None:
        from linkguard.spark.engine import run_spark_analysis

        return run_spark_analysis(
            data_dir, out_dir, ruleset_path=ruleset_path, timer=timer, force=force
        )
    read_back: MarketReadBack | None = None
    if engine == "neo4j":
        from linkguard.neo4j.engine import load_and_read_back

        read_back = load_and_read_back
    return run_analysis(
        data_dir,
        out_dir,
        ruleset_path=ruleset_path,
        timer=timer,
        market=market,
        engine=engine,
        read_back=read_back,
        force=force,
        as_of=as_of,
    )

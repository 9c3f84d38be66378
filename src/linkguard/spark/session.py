"""The Spark session the engine runs in: master and settings from the command line."""

from __future__ import annotations

import os
import sys

from pyspark import SparkConf, SparkContext
from pyspark.sql import SparkSession

__all__ = ["DEFAULT_CONF", "parse_conf", "spark_session"]

#: Settings that suit linkguard's jobs unless the caller (``--spark-conf``, ``spark-submit``)
#: sets them: few shuffle partitions (set your own on a cluster), no console progress,
#: adaptive execution (which coalesces small shuffles and broadcasts small join sides), and
#: checkpoints dropped once unused.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # components, pruning and peeling checkpoint every round: drop what is no longer used
    "spark.cleaner.referenceTracking.cleanCheckpoints": "true",
}


def parse_conf(pairs: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a dict; raises ValueError naming the bad item.

    >>> parse_conf(["spark.executor.memory=4g"])
    {'spark.executor.memory': '4g'}
    """
    out: dict[str, str] = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--spark-conf {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """Get (or create) the session; ``master`` None keeps what ``spark-submit`` set.

    ``conf`` wins over everything; :data:`DEFAULT_CONF` fills in only what neither ``conf``
    nor ``spark-submit`` (its ``--conf`` and properties file) set.
    """
    conf = dict(conf or {})
    if master is not None and master.startswith("local"):
        # local workers run this interpreter, which has linkguard, unless told otherwise
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    SparkContext._ensure_initialized()  # the JVM, holding spark-submit's settings
    given = SparkConf()
    builder = SparkSession.builder.appName("linkguard")
    if master:
        builder = builder.master(master)
    for key, value in DEFAULT_CONF.items():
        if key not in conf and not given.contains(key):
            builder = builder.config(key, value)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark

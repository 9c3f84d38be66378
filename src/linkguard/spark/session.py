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
    # The JVM, holding spark-submit's settings. When it starts here, ``conf`` goes on its
    # command line: settings read as the JVM launches (spark.driver.memory, the driver's heap,
    # and spark.driver.extraJavaOptions) take effect only there, not on the builder. Under
    # spark-submit the JVM is already running and keeps what spark-submit set.
    SparkContext._ensure_initialized(conf=_launch_conf(conf))
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


def _launch_conf(conf: dict[str, str]) -> SparkConf | None:
    """``conf`` for spark-submit's command line if the JVM is still to be launched, else None."""
    if SparkContext._gateway is not None or not conf:
        return None
    return SparkConf(loadDefaults=False).setAll(sorted(conf.items()))

"""The market-wide baselines of :mod:`linkguard.detect._behaviour` on Spark, and the chance
test applied to a column.

:func:`baselines` gives the market's five-star rate and share of new buyers per trade pair
(:func:`linkguard.detect._behaviour.market_baseline`) with two aggregations; :func:`timed`
says whether the times carry a time of day (:func:`linkguard.detect._behaviour.coarse_times`,
over every order instead of a sample of 100,000). :func:`with_poisson_log10_p` runs
:func:`linkguard.detect._background.poisson_log10_tail` on the executors, a partition at a
time, so candidate tables of any length are tested where they lie.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from linkguard.detect._background import poisson_log10_tail
from linkguard.detect._behaviour import DAY, UNKNOWN, Baseline

__all__ = ["baselines", "created_of", "seconds_of_day", "timed", "with_poisson_log10_p"]


def created_of(accounts: DataFrame | None, orders: DataFrame) -> DataFrame:
    """``account_id, created``: creation times (epoch seconds) of the accounts that have one."""
    if accounts is None:
        return orders.sparkSession.createDataFrame([], "account_id string, created long")
    return accounts.where(F.col("created").isNotNull()).select("account_id", "created")


def baselines(
    orders: DataFrame, pairs: DataFrame, created: DataFrame, new_days: list[float]
) -> list[Baseline]:
    """One :class:`Baseline` per ``new_days``; ``pairs`` carry ``buyer_id, first_ts``."""
    five = orders.agg(
        F.count("rating").alias("n"), F.sum((F.col("rating") >= 5).cast("long")).alias("k")
    ).collect()[0]
    rate = float(five["k"]) / int(five["n"]) if int(five["n"]) else math.nan
    known = pairs.join(created.withColumnRenamed("account_id", "buyer_id"), "buyer_id")
    age = F.col("first_ts") - F.col("created")
    row = known.agg(
        F.count("*").alias("n"),
        *[F.sum((age <= d * DAY).cast("long")).alias(f"y{i}") for i, d in enumerate(new_days)],
    ).collect()[0]
    n = int(row["n"])
    return [
        Baseline(rate, float(row[f"y{i}"]) / n if n else math.nan, d)
        for i, d in enumerate(new_days)
    ]


def seconds_of_day(orders: DataFrame) -> np.ndarray:
    """How many orders fall on each second of the day (one group-by; at most 86,400 counts
    reach the driver): what :func:`timed` and
    :func:`linkguard.detect.lockstep.granularity_of_seconds_of_day` read."""
    counts = np.zeros(DAY, dtype=np.int64)
    per = orders.groupBy(F.pmod(F.col("ts"), F.lit(DAY)).alias("sec")).agg(F.count("*").alias("n"))
    for row in per.collect():
        counts[int(row["sec"])] = int(row["n"])
    return counts


def timed(counts: np.ndarray, share: float = 0.5) -> bool:
    """Whether fewer than ``share`` of the orders fall on one second of the day, given
    :func:`seconds_of_day`'s counts (no orders: timed)."""
    total = int(counts.sum())
    return total == 0 or int(counts.max()) < share * total


def with_poisson_log10_p(df: DataFrame, k: str, lam: str, out: str = "log10_p") -> DataFrame:
    """``df`` with ``out`` = -log10 P(Poisson(``lam``) >= ``k``) per row."""
    schema = T.StructType([*df.schema.fields, T.StructField(out, T.DoubleType())])

    def tail(frames: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for f in frames:
            f[out] = poisson_log10_tail(
                f[k].to_numpy(dtype=np.float64), f[lam].to_numpy(dtype=np.float64)
            )
            yield f

    return df.mapInPandas(tail, schema)


def created_array(created: pd.Series) -> np.ndarray:
    """Creation times as the in-memory detectors take them (unknown: the int64 minimum)."""
    return created.fillna(UNKNOWN).to_numpy(dtype=np.int64)

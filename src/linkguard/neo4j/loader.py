"""Loading a :class:`~linkguard.market.Market` into Neo4j in batched, idempotent transactions.

The graph (see ``docs/neo4j.md``)::

    (:Account {id, seq, created_at, kind, region, status})
    (:Account)-[:USES {rows}]->(:Identifier {kind, hash})
    (:Account)-[:BOUGHT_FROM {orders, amount, first_at, last_at, order_ids, amounts, times,
                              confirmed_times, ratings, statuses, rows}]->(:Account)
    (:Account)-[:APPLIED_FOR]->(:Loan {id, seq, applied_at, amount, product, decision,
                                       first_overdue, defaulted})

:func:`load_market` creates the schema first (uniqueness constraints, so that every ``MERGE``
is an index seek), then loads accounts, identifiers with their ``USES``, ``BOUGHT_FROM`` and
loans, each as ``UNWIND $rows AS row MERGE ...`` batches of ``batch_size`` rows in one managed
transaction each. Every statement merges on keys and then sets every property, so a batch
that runs twice leaves the graph as one run does: loading a market twice gives the same graph,
and a load killed midway is finished by running it again.

Rows are built per batch from the market's columns with numpy (timestamps become integer
epoch seconds and nanoseconds, missing values ``None``), and per-order details of a buyer and
seller pair are cut from sorted flat arrays, so memory stays at one batch of Python objects.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard.config import Neo4jSettings
from linkguard.market import Market
from linkguard.neo4j.driver import COUNTER_NAMES, GraphRunner, connect
from linkguard.neo4j.queries import load_query, load_statements

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "NAT_MICROS",
    "STAGES",
    "LoadProgress",
    "LoadReport",
    "LoadTable",
    "clear_market",
    "create_schema",
    "load_market",
    "load_tables",
    "market_batches",
]

DEFAULT_BATCH_SIZE = 20_000
#: The stages of a load, in order (``delete`` only with ``replace=True``).
STAGES = ("delete", "schema", "accounts", "identifiers", "trades", "loans")
#: ``confirmed_times`` entry of an order never confirmed: pandas' NaT as int64 microseconds.
NAT_MICROS = int(np.iinfo(np.int64).min)

#: ``progress(stage, rows_done, rows_total)``, called after every batch; rows are counted over
#: all stages. An exception raised here stops the load (the batches done so far stay loaded).
LoadProgress = Callable[[str, int, int], None]

_STATEMENTS = {
    "accounts": "load_accounts",
    "identifiers": "load_identifiers",
    "trades": "load_trades",
    "loans": "load_loans",
}


@dataclass(frozen=True)
class LoadReport:
    """What a load wrote: entity counts of the market, batches, timings and update counters.

    ``accounts``, ``identifiers`` (distinct kind and hash), ``uses`` (distinct account,
    kind and hash), ``trades`` (distinct buyer and seller pairs, one ``BOUGHT_FROM`` each),
    ``orders`` and ``loans`` describe the market loaded; ``counters`` sums the server's
    update counters (zero ``nodes_created`` on a second load of the same market).
    """

    accounts: int
    identifiers: int
    uses: int
    trades: int
    orders: int
    loans: int
    batches: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def relationships(self) -> int:
        """``USES`` + ``BOUGHT_FROM`` + ``APPLIED_FOR`` relationships in the market."""
        return self.uses + self.trades + self.loans

    @property
    def relationship_seconds(self) -> float:
        """Seconds spent in the stages that write relationships."""
        return sum(self.stage_seconds.get(s, 0.0) for s in ("identifiers", "trades", "loans"))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["relationships"] = self.relationships
        return out


@dataclass(frozen=True)
class _Table:
    """One stage's rows: columns of equal length, plus per-row lists cut from flat columns."""

    columns: dict[str, np.ndarray]
    #: name -> (flat values, offsets): row ``i`` holds ``flat[offsets[i]:offsets[i + 1]]``.
    lists: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Rows ``start:stop`` as the list of maps ``UNWIND $rows`` takes."""
        names = list(self.columns)
        # tolist() turns a whole numpy slice into Python values in C; zip then pairs them up.
        values: list[list[Any]] = [self.columns[n][start:stop].tolist() for n in names]
        for name, (flat, offsets) in self.lists.items():
            lo, hi = offsets[start], offsets[stop]
            items = flat[lo:hi].tolist()
            cuts = (offsets[start : stop + 1] - lo).tolist()
            names.append(name)
            values.append([items[a:b] for a, b in itertools.pairwise(cuts)])
        return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _micros(values: pd.Series | pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    """UTC timestamps as int64 epoch microseconds; NaT stays :data:`NAT_MICROS`."""
    ts = pd.DatetimeIndex(values)
    if ts.tz is None:
        ts = ts.tz_localize("UTC")
    out: npt.NDArray[np.int64] = ts.as_unit("us").asi8
    return out


def _seconds_nanos(micros: npt.NDArray[np.int64]) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds and nanoseconds for ``datetime({epochSeconds, nanosecond})``.

    Floor division keeps the nanoseconds non-negative for times before 1970 too; NaT becomes
    ``None`` in both (an object array, so that ``tolist()`` yields ``None``).
    """
    missing = micros == NAT_MICROS
    secs = np.floor_divide(micros, 1_000_000)
    nanos = np.remainder(micros, 1_000_000) * 1000
    if not missing.any():
        return secs, nanos
    secs_o, nanos_o = secs.astype(object), nanos.astype(object)
    secs_o[missing] = None
    nanos_o[missing] = None
    return secs_o, nanos_o


def _text_or_none(values: pd.Series | np.ndarray) -> np.ndarray:
    """Strings with the empty string as ``None``: an unknown value leaves the property unset."""
    arr = np.asarray(pd.Series(values).fillna("").astype(str), dtype=object)
    out = arr.copy()
    out[arr == ""] = None
    return out


def _flag_or_none(values: pd.Series) -> np.ndarray:
    """0/1 floats as integers, NaN as ``None``."""
    arr = values.to_numpy(dtype=np.float64)
    out = np.empty(len(arr), dtype=object)
    known = ~np.isnan(arr)
    out[known] = arr[known].astype(np.int64)
    out[~known] = None
    return out


def _groups(keys: npt.NDArray[np.int64]) -> tuple[np.ndarray, np.ndarray]:
    """Row order sorting ``keys`` (stable: rows keep their order inside a group) and offsets."""
    order = np.argsort(keys, kind="stable")
    if len(order) == 0:
        return order, np.zeros(1, dtype=np.int64)
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return order, np.r_[starts, len(order)].astype(np.int64)


def _account_table(market: Market) -> _Table:
    acc = market.accounts
    secs, nanos = _seconds_nanos(_micros(acc["created_at"]))
    return _Table(
        {
            "id": np.asarray(market.account_ids, dtype=object).astype(str).astype(object),
            "seq": np.arange(market.n_accounts, dtype=np.int64),
            "created_s": secs,
            "created_ns": nanos,
            "kind": _text_or_none(acc["kind"]),
            "region": _text_or_none(acc["region"]),
            "status": _text_or_none(acc["status"]),
        }
    )


def _identifier_table(market: Market) -> tuple[_Table, int]:
    """One row per distinct (account, kind, hash) and the number of distinct identifiers."""
    ids = market.identifiers
    kinds = ids["kind"].to_numpy(dtype=object)
    hashes = ids["value_hash"].to_numpy(dtype=object)
    kind_codes, kind_values = pd.factorize(kinds)
    hash_codes, _ = pd.factorize(hashes)
    value_key = hash_codes.astype(np.int64) * max(len(kind_values), 1) + kind_codes
    account = ids["account"].to_numpy(dtype=np.int64)
    # Grouped by identifier first, so that a batch merges each identifier node once and runs
    # of rows hit the same index pages.
    order, offsets = _groups(value_key * max(market.n_accounts, 1) + account)
    first = order[offsets[:-1]]
    # Each identifier's rows are consecutive: count where the identifier changes.
    grouped = value_key[first]
    n_values = int(np.count_nonzero(grouped[1:] != grouped[:-1])) + int(len(grouped) > 0)
    table = _Table(
        {
            # Object arrays of the market's own strings: a copy into fixed-width numpy text
            # would cost seconds per million rows and give the same values.
            "account": np.asarray(market.account_ids, dtype=object)[account[first]],
            "kind": kinds[first],
            "hash": hashes[first],
        },
        {"rows": (order.astype(np.int64), offsets)},
    )
    return table, n_values


def _trade_table(market: Market) -> _Table:
    """One row per (buyer, seller) pair with its aggregates and per-order lists."""
    o = market.orders
    buyer = o["buyer"].to_numpy(dtype=np.int64)
    seller = o["seller"].to_numpy(dtype=np.int64)
    order, offsets = _groups(buyer * max(market.n_accounts, 1) + seller)
    starts = offsets[:-1]
    times = _micros(o["created_at"])[order]
    amounts = o["amount"].to_numpy(dtype=np.float64)[order]
    ids = np.asarray(market.account_ids, dtype=object)
    amount: np.ndarray = np.zeros(0)
    first_s = first_ns = last_s = last_ns = np.zeros(0, dtype=np.int64)
    if len(order):
        first_s, first_ns = _seconds_nanos(np.minimum.reduceat(times, starts))
        last_s, last_ns = _seconds_nanos(np.maximum.reduceat(times, starts))
        amount = np.round(np.add.reduceat(amounts, starts), 2)
    return _Table(
        {
            "buyer": ids[buyer[order[starts]]],
            "seller": ids[seller[order[starts]]],
            "orders": np.diff(offsets),
            "amount": amount,
            "first_s": first_s,
            "first_ns": first_ns,
            "last_s": last_s,
            "last_ns": last_ns,
        },
        {
            "order_ids": (o["order_id"].to_numpy(dtype=object)[order], offsets),
            "amounts": (amounts, offsets),
            "times": (times, offsets),
            "confirmed_times": (_micros(o["confirmed_at"])[order], offsets),
            "ratings": (o["rating"].to_numpy(dtype=np.float64)[order], offsets),
            "statuses": (o["status"].fillna("").astype(str).to_numpy()[order], offsets),
            "rows": (order.astype(np.int64), offsets),
        },
    )


def _loan_table(market: Market) -> _Table:
    ln = market.loans
    secs, nanos = _seconds_nanos(_micros(ln["applied_at"]))
    ids = np.asarray(market.account_ids, dtype=object)
    return _Table(
        {
            "id": ln["loan_id"].to_numpy(dtype=object).astype(str),
            "seq": np.arange(len(ln), dtype=np.int64),
            "account": ids[ln["account"].to_numpy(dtype=np.int64)].astype(str),
            "applied_s": secs,
            "applied_ns": nanos,
            "amount": ln["amount"].to_numpy(dtype=np.float64),
            "product": _text_or_none(ln["product"]),
            "decision": _text_or_none(ln["decision"]),
            "first_overdue": _flag_or_none(ln["first_overdue"]),
            "defaulted": _flag_or_none(ln["defaulted"]),
        }
    )


@dataclass(frozen=True)
class _Plan:
    tables: dict[str, _Table]
    identifiers: int


def _plan(market: Market) -> _Plan:
    identifiers, n_values = _identifier_table(market)
    tables = {
        "accounts": _account_table(market),
        "identifiers": identifiers,
        "trades": _trade_table(market),
        "loans": _loan_table(market),
    }
    return _Plan(tables, n_values)


#: One stage's rows, as the loader sends them (also what the bulk importer's files hold).
LoadTable = _Table


def load_tables(market: Market) -> dict[str, LoadTable]:
    """The rows of each load stage (``accounts``, ``identifiers``, ``trades``, ``loans``)."""
    return _plan(market).tables


def market_batches(
    market: Market, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """Every load batch of ``market`` in load order: ``(stage, statement name, rows)``.

    Batches are built lazily, one at a time.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    plan = _plan(market)
    for stage, table in plan.tables.items():
        for start in range(0, len(table), batch_size):
            yield stage, _STATEMENTS[stage], table.rows(start, min(start + batch_size, len(table)))


def create_schema(runner: GraphRunner) -> None:
    """Create linkguard's constraints and indexes (idempotent) and wait until they are online."""
    for statement in load_statements("schema"):
        runner.write(statement, name="schema")


def clear_market(
    runner: GraphRunner,
    *,
    limit: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete linkguard's nodes in transactions of ``limit`` nodes; the number deleted."""
    query = load_query("delete_market")
    total = 0
    while True:
        deleted = int(runner.write(query, {"limit": limit}, name="delete_market").scalar() or 0)
        total += deleted
        if progress is not None:
            progress(total)
        if deleted == 0:
            return total


def load_market(
    market: Market,
    settings: Neo4jSettings | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: LoadProgress | None = None,
    *,
    runner: GraphRunner | None = None,
    replace: bool = False,
) -> LoadReport:
    """Load ``market`` into Neo4j: schema, accounts, identifiers, trades, loans.

    Parameters
    ----------
    market
        The ingested market (identifier values are already keyed hashes).
    settings
        Where the server is (default: the ``NEO4J_*`` environment); unused with ``runner``.
    batch_size
        Rows per transaction (10,000 to 50,000 load fastest; a ``BOUGHT_FROM`` row is one
        buyer and seller pair with all its orders).
    progress
        Called as ``progress(stage, rows_done, rows_total)`` after every batch.
    runner
        An open :class:`~linkguard.neo4j.driver.GraphRunner` to use (and leave open).
    replace
        Delete the database's linkguard nodes first, so that the graph holds this market
        only. Without it the market is merged into what is there.

    Returns
    -------
    LoadReport

    Raises
    ------
    Neo4jUnavailable
        When the server cannot be reached (names ``NEO4J_URI``).

    Notes
    -----
    Idempotent and resumable: every statement merges on a key and sets every property from
    the market, so a repeated batch changes nothing and a load stopped midway is completed
    by running it again. Work is O(rows) index seeks on the server.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    own = runner is None
    graph = runner if runner is not None else connect(settings)
    started = time.perf_counter()
    stage_seconds: dict[str, float] = {}
    counters = dict.fromkeys(COUNTER_NAMES, 0)
    batches = 0
    try:
        plan = _plan(market)
        total = sum(len(t) for t in plan.tables.values())
        done = 0
        if replace:
            t0 = time.perf_counter()
            clear_market(graph)
            if progress is not None:
                progress("delete", 0, total)
            stage_seconds["delete"] = round(time.perf_counter() - t0, 4)
        t0 = time.perf_counter()
        create_schema(graph)
        stage_seconds["schema"] = round(time.perf_counter() - t0, 4)
        if progress is not None:
            progress("schema", done, total)
        # One thread builds the next batch's rows while the server works on the current one
        # (the driver releases the GIL while it waits on the socket).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkguard-rows") as ahead:
            for stage, table in plan.tables.items():
                t0 = time.perf_counter()
                query = load_query(_STATEMENTS[stage])
                bounds = [
                    (s, min(s + batch_size, len(table))) for s in range(0, len(table), batch_size)
                ]
                pending = ahead.submit(table.rows, *bounds[0]) if bounds else None
                for i, (start, stop) in enumerate(bounds):
                    assert pending is not None
                    rows = pending.result()
                    if i + 1 < len(bounds):
                        pending = ahead.submit(table.rows, *bounds[i + 1])
                    result = graph.write(query, {"rows": rows}, name=stage)
                    for name, value in result.counters.items():
                        counters[name] = counters.get(name, 0) + value
                    batches += 1
                    done += stop - start
                    if progress is not None:
                        progress(stage, done, total)
                stage_seconds[stage] = round(time.perf_counter() - t0, 4)
    finally:
        if own:
            graph.close()
    tables = plan.tables
    return LoadReport(
        accounts=len(tables["accounts"]),
        identifiers=plan.identifiers,
        uses=len(tables["identifiers"]),
        trades=len(tables["trades"]),
        orders=len(market.orders),
        loans=len(tables["loans"]),
        batches=batches,
        seconds=round(time.perf_counter() - started, 4),
        stage_seconds=stage_seconds,
        counters=counters,
    )

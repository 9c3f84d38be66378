"""The Neo4j engine: read the graph back into a :class:`~linkguard.market.Market`.

The in-memory path is the reference (house style: a backend is an adapter, and a parity test
holds it to the reference). The Neo4j engine therefore does not re-implement the detectors in
Cypher: it reads accounts, identifiers, orders (from the per-order lists on ``BOUGHT_FROM``)
and loans back out of the graph, in the order ingest numbered them (``seq`` and ``rows``
properties), and hands the market to the same detectors. ``analyze_market`` on the market read
back gives exactly what it gives on the market that was loaded.

The flow does not import this door: :func:`load_and_read_back` returns the market read back,
and :mod:`linkguard.engines` hands it to :func:`linkguard.pipeline.analysis.run_analysis`.

Examples
--------
>>> from linkguard.neo4j.engine import analyze_with_neo4j        # doctest: +SKIP
>>> market = read_market("samples/market")                      # doctest: +SKIP
>>> snapshot = analyze_with_neo4j(market, load_ruleset(None))   # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from linkguard.config import Neo4jSettings
from linkguard.market import Market, TableReport
from linkguard.neo4j.driver import GraphRunner, connect
from linkguard.neo4j.loader import DEFAULT_BATCH_SIZE, NAT_MICROS, load_market
from linkguard.pipeline.analysis import analyze_market
from linkguard.pipeline.snapshot import Snapshot
from linkguard.pipeline.timing import StageTimer
from linkguard.rules.ruleset import Ruleset

__all__ = ["analyze_with_neo4j", "load_and_read_back", "read_market"]


def _utc_from_parts(secs: pd.Series, nanos: pd.Series) -> pd.Series:
    """Timestamps from epoch seconds and nanoseconds (``None`` for unknown) as UTC, in µs."""
    known = secs.notna().to_numpy()
    micros = np.full(len(secs), NAT_MICROS, dtype=np.int64)
    if known.any():
        s = secs[known].to_numpy(dtype=np.int64)
        ns = nanos[known].to_numpy(dtype=np.int64)
        micros[known] = s * 1_000_000 + ns // 1000
    return _utc_from_micros(micros)


def _utc_from_micros(micros: npt.NDArray[np.int64]) -> pd.Series:
    # int64 minimum is NaT's representation, so unknown times come back as NaT.
    return pd.Series(micros.view("datetime64[us]")).dt.tz_localize("UTC")


def _text(values: pd.Series) -> np.ndarray:
    return values.fillna("").astype(str).to_numpy(dtype=object)


def _flat(column: pd.Series, dtype: Any = None) -> np.ndarray:
    """Concatenate a column of lists into one array."""
    chain = itertools.chain.from_iterable(column.tolist())
    if dtype is None:
        return np.array(list(chain), dtype=object)
    return np.fromiter(chain, dtype=dtype)


def _accounts(graph: GraphRunner) -> pd.DataFrame:
    frame = graph.run_named("read_accounts").frame()
    if frame.empty:
        frame = pd.DataFrame(
            columns=["id", "seq", "created_s", "created_ns", "kind", "region", "status"]
        )
    return pd.DataFrame(
        {
            "account_id": frame["id"].astype(str).to_numpy(dtype=object),
            "created_at": _utc_from_parts(frame["created_s"], frame["created_ns"]),
            "kind": _text(frame["kind"]),
            "region": _text(frame["region"]),
            "status": _text(frame["status"]),
        }
    )


def _orders(graph: GraphRunner) -> pd.DataFrame:
    trades = graph.run_named("read_trades").frame()
    if trades.empty:
        return pd.DataFrame(
            {
                "order_id": pd.Series([], dtype=object),
                "buyer_id": pd.Series([], dtype=object),
                "seller_id": pd.Series([], dtype=object),
                "amount": np.zeros(0),
                "created_at": _utc_from_micros(np.zeros(0, dtype=np.int64)),
                "status": pd.Series([], dtype=object),
                "rating": np.zeros(0),
                "confirmed_at": _utc_from_micros(np.zeros(0, dtype=np.int64)),
            }
        )
    counts = trades["order_ids"].map(len).to_numpy(dtype=np.int64)
    rows = _flat(trades["rows"], np.int64)
    order = np.argsort(rows, kind="stable")  # back into ingest order
    frame = pd.DataFrame(
        {
            "order_id": _flat(trades["order_ids"])[order],
            "buyer_id": np.repeat(trades["buyer"].to_numpy(dtype=object), counts)[order],
            "seller_id": np.repeat(trades["seller"].to_numpy(dtype=object), counts)[order],
            "amount": _flat(trades["amounts"], np.float64)[order],
            "created_at": _utc_from_micros(_flat(trades["times"], np.int64)[order]),
            "status": _flat(trades["statuses"])[order],
            "rating": _flat(trades["ratings"], np.float64)[order],
            "confirmed_at": _utc_from_micros(_flat(trades["confirmed_times"], np.int64)[order]),
        }
    )
    return frame


def _identifiers(graph: GraphRunner) -> pd.DataFrame:
    uses = graph.run_named("read_identifiers").frame()
    if uses.empty:
        return pd.DataFrame(
            {
                "account_id": pd.Series([], dtype=object),
                "kind": pd.Series([], dtype=object),
                "value_hash": pd.Series([], dtype=object),
            }
        )
    counts = uses["rows"].map(len).to_numpy(dtype=np.int64)
    order = np.argsort(_flat(uses["rows"], np.int64), kind="stable")
    return pd.DataFrame(
        {
            "account_id": np.repeat(uses["account"].to_numpy(dtype=object), counts)[order],
            "kind": np.repeat(uses["kind"].to_numpy(dtype=object), counts)[order],
            "value_hash": np.repeat(uses["hash"].to_numpy(dtype=object), counts)[order],
        }
    )


def _loans(graph: GraphRunner) -> pd.DataFrame:
    frame = graph.run_named("read_loans").frame()
    if frame.empty:
        return pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in ("loan_id", "account_id", "applied_at")}
            | {"amount": np.zeros(0)}
        )
    return pd.DataFrame(
        {
            "loan_id": frame["id"].astype(str).to_numpy(dtype=object),
            "account_id": frame["account"].astype(str).to_numpy(dtype=object),
            "applied_at": _utc_from_parts(frame["applied_s"], frame["applied_ns"]),
            "amount": frame["amount"].to_numpy(dtype=np.float64),
            "product": _text(frame["product"]),
            "decision": _text(frame["decision"]),
            "first_overdue": pd.to_numeric(frame["first_overdue"]).astype("float64").to_numpy(),
            "defaulted": pd.to_numeric(frame["defaulted"]).astype("float64").to_numpy(),
        }
    )


def read_market(
    settings: Neo4jSettings | None = None,
    *,
    runner: GraphRunner | None = None,
    reports: dict[str, TableReport] | None = None,
    quarantine: dict[str, pd.DataFrame] | None = None,
) -> Market:
    """Read linkguard's graph back into a market.

    Parameters
    ----------
    settings
        Where the server is (default: the ``NEO4J_*`` environment); unused with ``runner``.
    runner
        An open :class:`~linkguard.neo4j.driver.GraphRunner` to use (and leave open).
    reports, quarantine
        Ingest's row counts and rejected rows, carried into the market (the graph holds loaded
        rows only), so that a snapshot's summary reports the input as ingest saw it.

    Returns
    -------
    Market
        Accounts numbered in ingest order (``Account.seq``), orders, identifier rows and loans
        in their ingest order (``rows`` and ``seq``), built with :meth:`Market.from_frames`.

    Notes
    -----
    One read transaction per table; the per-order lists of every ``BOUGHT_FROM`` are
    flattened with numpy. Memory is O(orders + identifier rows).
    """
    own = runner is None
    graph = runner if runner is not None else connect(settings)
    try:
        accounts = _accounts(graph)
        orders = _orders(graph)
        identifiers = _identifiers(graph)
        loans = _loans(graph)
    finally:
        if own:
            graph.close()
    return Market.from_frames(
        orders, accounts, identifiers, loans, reports=reports, quarantine=quarantine
    )


def load_and_read_back(
    market: Market,
    timer: StageTimer | None = None,
    settings: Neo4jSettings | None = None,
    *,
    runner: GraphRunner | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Market:
    """Load ``market`` into Neo4j (replacing the graph) and return the market read back.

    The market read back keeps ingest's input counts and quarantine (taken from ``market``);
    stages ``neo4j load`` and ``neo4j read`` are timed.
    """
    timer = timer or StageTimer()
    own = runner is None
    graph = runner if runner is not None else connect(settings)
    try:
        with timer.stage("neo4j load"):
            load_market(market, batch_size=batch_size, runner=graph, replace=True)
        with timer.stage("neo4j read"):
            return read_market(runner=graph, reports=market.reports, quarantine=market.quarantine)
    finally:
        if own:
            graph.close()


def analyze_with_neo4j(
    market: Market,
    ruleset: Ruleset,
    timer: StageTimer | None = None,
    settings: Neo4jSettings | None = None,
    *,
    runner: GraphRunner | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Snapshot:
    """``analyze --engine neo4j`` on a market in hand: load it, read it back, analyse that.

    The snapshot's summary keeps ingest's input counts and quarantine (taken from ``market``)
    and records ``engine: neo4j``; stages ``neo4j load`` and ``neo4j read`` are timed.
    """
    timer = timer or StageTimer()
    graph_market = load_and_read_back(market, timer, settings, runner=runner, batch_size=batch_size)
    return analyze_market(graph_market, ruleset, timer, engine="neo4j")

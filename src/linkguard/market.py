"""The ingested marketplace: typed tables keyed by integer account codes.

Ingest turns a data directory into a :class:`Market`; every detector, the Neo4j loader and the
synthetic generator's tests work from it. Account ids are kept as strings once, in
:attr:`Market.account_ids`; the tables refer to accounts by their integer code (the position in
that array), which keeps 10M-order markets small in memory and lets graphs be built from arrays.

Examples
--------
>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": ["o1"], "buyer_id": ["b"], "seller_id": ["s"],
...                        "amount": [9.5], "created_at": ["2026-01-01T10:00:00Z"]})
>>> m = Market.from_frames(orders)
>>> list(m.account_ids), m.orders["buyer"].tolist(), m.orders["seller"].tolist()
(['b', 's'], [0], [1])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["Market", "TableReport", "empty_repayments", "epoch_seconds"]

ACCOUNT_COLUMNS = ("account_id", "created_at", "kind", "region", "status")
ORDER_COLUMNS = (
    "order_id",
    "buyer",
    "seller",
    "amount",
    "created_at",
    "status",
    "rating",
    "confirmed_at",
)
IDENTIFIER_COLUMNS = ("account", "kind", "value_hash")
LOAN_COLUMNS = (
    "loan_id",
    "account",
    "applied_at",
    "amount",
    "product",
    "decision",
    "first_overdue",
    "defaulted",
    "disbursed_at",
    "due_at",
)
REPAYMENT_COLUMNS = ("loan_id", "due_at", "amount_due", "paid_at", "amount_paid")


@dataclass(frozen=True)
class TableReport:
    """How one input table fared: ``rows_in == rows_loaded + rows_quarantined``."""

    table: str
    file: str | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    by_reason: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rows_in != self.rows_loaded + self.rows_quarantined:
            raise ValueError(
                f"{self.table}: counts do not add up: {self.rows_in} in != "
                f"{self.rows_loaded} loaded + {self.rows_quarantined} quarantined"
            )


@dataclass(frozen=True)
class Market:
    """A validated marketplace.

    Attributes
    ----------
    account_ids
        ``account_ids[code]`` is the account id (string) behind integer code ``code``.
    accounts
        One row per account code (row ``i`` is code ``i``): ``account_id``, ``created_at``
        (UTC timestamp, NaT unknown), ``kind``, ``region``, ``status`` (empty string unknown).
    orders
        ``order_id`` (str), ``buyer``/``seller`` (int32 codes), ``amount`` (float64, currency
        units rounded to cents), ``created_at`` (UTC timestamp), ``status`` (str, may be empty),
        ``rating`` (float64, NaN when missing), ``confirmed_at`` (UTC timestamp or NaT).
    identifiers
        ``account`` (int32 code), ``kind`` (normalised word), ``value_hash`` (keyed hash, hex).
    loans
        ``loan_id``, ``account`` (int32 code), ``applied_at``, ``amount``, ``product``,
        ``decision``, ``first_overdue`` and ``defaulted`` (float64: 1, 0 or NaN),
        ``disbursed_at`` and ``due_at`` (UTC timestamps, NaT unknown).
    reports
        Per table row counts (only for tables that were present).
    quarantine
        Per table the rejected rows: ``file``, ``line``, ``column``, ``reason`` and the row as
        read (identifier values pseudonymised).
    repayments
        One row per scheduled instalment: ``loan_id`` (str), ``due_at`` (UTC timestamp),
        ``amount_due`` (float64), ``paid_at`` (UTC timestamp, NaT while unpaid),
        ``amount_paid`` (float64, NaN when not given).
    """

    account_ids: np.ndarray
    accounts: pd.DataFrame
    orders: pd.DataFrame
    identifiers: pd.DataFrame
    loans: pd.DataFrame
    reports: dict[str, TableReport] = field(default_factory=dict)
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict)
    repayments: pd.DataFrame = field(default_factory=lambda: empty_repayments())

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    def code_of(self, account_id: str) -> int | None:
        """The integer code of ``account_id``, or None when the market does not hold it."""
        idx = self._index.get(account_id)
        return None if idx is None else int(idx)

    @property
    def _index(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_index_cache")
        if cached is None:
            cached = {str(a): i for i, a in enumerate(self.account_ids)}
            object.__setattr__(self, "_index_cache", cached)
        return cached

    @classmethod
    def from_frames(
        cls,
        orders: pd.DataFrame,
        accounts: pd.DataFrame | None = None,
        identifiers: pd.DataFrame | None = None,
        loans: pd.DataFrame | None = None,
        repayments: pd.DataFrame | None = None,
        *,
        reports: dict[str, TableReport] | None = None,
        quarantine: dict[str, pd.DataFrame] | None = None,
    ) -> Market:
        """Build a market from already-valid frames that use string ids (contract columns).

        ``identifiers`` carries ``value_hash`` (or ``value``, taken as already pseudonymised).
        Accounts that appear only in orders, identifiers or loans are created implicitly.
        Timestamps may be strings or datetimes; they are parsed as UTC.
        """
        accounts = _or_empty(accounts, ("account_id",))
        identifiers = _or_empty(identifiers, ("account_id", "kind", "value_hash"))
        loans = _or_empty(loans, ("loan_id", "account_id", "applied_at", "amount"))
        if "value_hash" not in identifiers.columns and "value" in identifiers.columns:
            identifiers = identifiers.rename(columns={"value": "value_hash"})

        all_ids = pd.concat(
            [
                accounts["account_id"].astype(str),
                orders["buyer_id"].astype(str),
                orders["seller_id"].astype(str),
                identifiers["account_id"].astype(str),
                loans["account_id"].astype(str),
            ],
            ignore_index=True,
        )
        account_ids = np.asarray(pd.unique(all_ids), dtype=object)
        index = pd.Index(account_ids)

        def codes(col: pd.Series) -> npt.NDArray[np.int32]:
            return np.asarray(index.get_indexer(col.astype(str)), dtype=np.int32)

        acc = pd.DataFrame({"account_id": account_ids})
        if len(accounts):
            given = accounts.drop_duplicates("account_id").set_index(
                accounts.drop_duplicates("account_id")["account_id"].astype(str)
            )
            for col in ("created_at", "kind", "region", "status"):
                if col in given.columns:
                    acc[col] = given[col].reindex(account_ids).to_numpy()
        acc["created_at"] = _utc(acc.get("created_at"), len(acc))
        for col in ("kind", "region", "status"):
            acc[col] = acc[col].fillna("").astype(str) if col in acc else ""

        o = pd.DataFrame(
            {
                "order_id": orders["order_id"].astype(str).to_numpy(),
                "buyer": codes(orders["buyer_id"]),
                "seller": codes(orders["seller_id"]),
                "amount": orders["amount"].astype("float64").round(2).to_numpy(),
                "created_at": _utc(orders["created_at"], len(orders)),
                "status": _text(orders.get("status"), len(orders)),
                "rating": _float(orders.get("rating"), len(orders)),
                "confirmed_at": _utc(orders.get("confirmed_at"), len(orders)),
            }
        )
        ids = pd.DataFrame(
            {
                "account": codes(identifiers["account_id"]),
                "kind": identifiers["kind"].astype(str).str.lower().to_numpy(),
                "value_hash": identifiers["value_hash"].astype(str).to_numpy(),
            }
        )
        ln = pd.DataFrame(
            {
                "loan_id": loans["loan_id"].astype(str).to_numpy(),
                "account": codes(loans["account_id"]),
                "applied_at": _utc(loans["applied_at"], len(loans)),
                "amount": loans["amount"].astype("float64").to_numpy(),
                "product": _text(loans.get("product"), len(loans)),
                "decision": _text(loans.get("decision"), len(loans)),
                "first_overdue": _float(loans.get("first_overdue"), len(loans)),
                "defaulted": _float(loans.get("defaulted"), len(loans)),
                "disbursed_at": _utc(loans.get("disbursed_at"), len(loans)),
                "due_at": _utc(loans.get("due_at"), len(loans)),
            }
        )
        rp = empty_repayments()
        if repayments is not None and len(repayments):
            n_rp = len(repayments)
            rp = pd.DataFrame(
                {
                    "loan_id": repayments["loan_id"].astype(str).to_numpy(),
                    "due_at": _utc(repayments["due_at"], n_rp),
                    "amount_due": repayments["amount_due"].astype("float64").to_numpy(),
                    "paid_at": _utc(repayments.get("paid_at"), n_rp),
                    "amount_paid": _float(repayments.get("amount_paid"), n_rp),
                }
            )
        return cls(
            account_ids=account_ids,
            accounts=acc,
            orders=o,
            identifiers=ids,
            loans=ln,
            reports=reports or {},
            quarantine=quarantine or {},
            repayments=rp,
        )


def epoch_seconds(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """UTC timestamps as int64 seconds since the epoch (NaT becomes the int64 minimum)."""
    ts = pd.DatetimeIndex(values)
    if ts.tz is None:
        ts = ts.tz_localize("UTC")
    out = ts.as_unit("s").asi8.copy()
    return out


def empty_repayments() -> pd.DataFrame:
    """A repayments table without rows (the market of a data directory without one)."""
    return pd.DataFrame(
        {
            "loan_id": pd.Series([], dtype="str"),
            "due_at": pd.Series([], dtype="datetime64[us, UTC]"),
            "amount_due": np.zeros(0),
            "paid_at": pd.Series([], dtype="datetime64[us, UTC]"),
            "amount_paid": np.zeros(0),
        }
    )


def _or_empty(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame:
    if frame is not None:
        return frame
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _utc(col: pd.Series | None, n: int) -> pd.Series:
    if col is None:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]")
    out = (
        pd.to_datetime(col, utc=True, format="ISO8601")
        if col.dtype == object or str(col.dtype).startswith(("str", "string"))
        else pd.to_datetime(col, utc=True)
    )
    # Kept as an index, not as numpy: a column of nothing but NaT leaves numpy without its
    # time zone, and a naive column cannot be cast to UTC (the Neo4j engine reads such
    # columns back when an optional time was never given).
    return pd.Series(pd.DatetimeIndex(out).as_unit("us"), index=range(n))


def _text(col: pd.Series | None, n: int) -> np.ndarray:
    if col is None:
        return np.full(n, "", dtype=object)
    return col.fillna("").astype(str).to_numpy(dtype=object)


def _float(col: pd.Series | None, n: int) -> np.ndarray:
    if col is None:
        return np.full(n, np.nan)
    return pd.to_numeric(col, errors="coerce").astype("float64").to_numpy()

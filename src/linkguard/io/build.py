"""Assembling a :class:`~linkguard.market.Market` from validated tables.

Accounts are numbered in order of first appearance over ``accounts``, then buyers, sellers,
identifier owners and loan holders (the order :meth:`Market.from_frames` uses). Loaded accounts
rows are unique, so they take codes ``0 … k-1`` in file order and accounts seen only elsewhere
follow, created implicitly with unknown attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.io.arrow import empty_strings
from linkguard.io.validate import CheckedTable
from linkguard.market import Market, TableReport, empty_repayments
from linkguard.schema import TABLES

__all__ = ["build_market"]

#: Where account ids are referenced, in numbering order.
_ACCOUNT_REFS = (
    ("accounts", "account_id"),
    ("orders", "buyer_id"),
    ("orders", "seller_id"),
    ("identifiers", "account_id"),
    ("loans", "account_id"),
)


class _Loaded:
    """The loaded rows of one table (all empty when the table is absent)."""

    def __init__(self, checked: CheckedTable | None) -> None:
        self._checked = checked
        self._mask = None if checked is None else checked.loaded
        self.n = 0 if self._mask is None else int(self._mask.sum())

    def text(self, name: str) -> pa.ChunkedArray:
        if self._checked is None or self._mask is None:
            return pa.chunked_array([], pa.string())
        values = self._checked.values[name]
        return values if self._mask.all() else values.filter(pa.array(self._mask))

    def array(self, name: str) -> np.ndarray:
        assert self._checked is not None
        assert self._mask is not None
        values: np.ndarray = self._checked.values[name]
        return values if self._mask.all() else values[self._mask]


def build_market(
    checked: dict[str, CheckedTable],
    reports: dict[str, TableReport],
    quarantine: dict[str, pd.DataFrame],
) -> Market:
    """The market made of the loaded rows of ``checked`` (``orders`` must be present)."""
    loaded = {name: _Loaded(checked.get(name)) for name in TABLES}
    account_ids, codes = _number_accounts(loaded)
    orders, accounts, identifiers, loans = (
        loaded["orders"],
        loaded["accounts"],
        loaded["identifiers"],
        loaded["loans"],
    )

    n_accounts = len(account_ids)
    acc: dict[str, Any] = {"account_id": _strings(pa.chunked_array([account_ids]))}
    if accounts.n:
        implicit = n_accounts - accounts.n
        acc["created_at"] = _utc(np.concatenate([accounts.array("created_at"), _nat(implicit)]))
        for name in ("kind", "region", "status"):
            acc[name] = _strings(
                pa.chunked_array(
                    [*accounts.text(name).chunks, *empty_strings(implicit).chunks], pa.string()
                )
            )
    else:
        acc["created_at"] = _utc(_nat(n_accounts))
        for name in ("kind", "region", "status"):
            acc[name] = _strings(empty_strings(n_accounts))

    order_frame = pd.DataFrame(
        {
            "order_id": _strings(orders.text("order_id")),
            "buyer": codes[("orders", "buyer_id")],
            "seller": codes[("orders", "seller_id")],
            "amount": orders.array("amount"),
            "created_at": _utc(orders.array("created_at")),
            "status": _strings(orders.text("status")),
            "rating": orders.array("rating"),
            "confirmed_at": _utc(orders.array("confirmed_at")),
        }
    )
    if identifiers.n:
        id_frame = pd.DataFrame(
            {
                "account": codes[("identifiers", "account_id")],
                "kind": _strings(identifiers.text("kind")),
                "value_hash": _strings(identifiers.text("value_hash")),
                "seen_at": _utc(identifiers.array("seen_at")),
            }
        )
    else:
        id_frame = _empty_identifiers()
    if loans.n:
        loan_frame = pd.DataFrame(
            {
                "loan_id": _strings(loans.text("loan_id")),
                "account": codes[("loans", "account_id")],
                "applied_at": _utc(loans.array("applied_at")),
                "amount": loans.array("amount"),
                "product": _strings(loans.text("product")),
                "decision": _strings(loans.text("decision")),
                "first_overdue": loans.array("first_overdue"),
                "defaulted": loans.array("defaulted"),
                "disbursed_at": _utc(loans.array("disbursed_at")),
                "due_at": _utc(loans.array("due_at")),
            }
        )
    else:
        loan_frame = _empty_loans()
    repayments = loaded["repayments"]
    repayment_frame = (
        pd.DataFrame(
            {
                "loan_id": _strings(repayments.text("loan_id")),
                "due_at": _utc(repayments.array("due_at")),
                "amount_due": repayments.array("amount_due"),
                "paid_at": _utc(repayments.array("paid_at")),
                "amount_paid": repayments.array("amount_paid"),
            }
        )
        if repayments.n
        else empty_repayments()
    )
    return Market(
        account_ids=np.asarray(account_ids.to_pylist(), dtype=object),
        accounts=pd.DataFrame(acc),
        orders=order_frame,
        identifiers=id_frame,
        loans=loan_frame,
        repayments=repayment_frame,
        reports=reports,
        quarantine=quarantine,
    )


def _number_accounts(
    loaded: dict[str, _Loaded],
) -> tuple[pa.Array, dict[tuple[str, str], np.ndarray]]:
    """Distinct account ids in first-appearance order, and each reference column's codes."""
    columns = [loaded[table].text(col) for table, col in _ACCOUNT_REFS]
    chunks = [chunk for column in columns for chunk in column.chunks]
    if not chunks:
        return pa.array([], pa.string()), {ref: np.zeros(0, np.int32) for ref in _ACCOUNT_REFS}
    # One hash pass over every reference; Arrow numbers a chunked array with one shared
    # dictionary in order of first appearance.
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, pa.string()))
    indices = np.concatenate(
        [np.asarray(c.indices.to_numpy(zero_copy_only=False)) for c in encoded.chunks]
    ).astype(np.int32)
    dictionary = encoded.chunks[0].dictionary
    codes: dict[tuple[str, str], np.ndarray] = {}
    start = 0
    for ref, column in zip(_ACCOUNT_REFS, columns, strict=True):
        codes[ref] = indices[start : start + len(column)]
        start += len(column)
    n_accounts = loaded["accounts"].n
    assert np.array_equal(codes[("accounts", "account_id")], np.arange(n_accounts))
    return dictionary, codes


def _strings(values: pa.ChunkedArray) -> pd.Series:
    return pd.Series(values.to_pandas(), dtype="str")


def _utc(values: np.ndarray) -> pd.Series:
    naive = pd.Series(np.asarray(values, dtype="datetime64[us]"), copy=False)
    return naive.dt.tz_localize("UTC")


def _nat(n: int) -> np.ndarray:
    return np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")


def _empty_identifiers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account": np.zeros(0, np.int32),
            "kind": pd.Series([], dtype="str"),
            "value_hash": pd.Series([], dtype="str"),
            "seen_at": _utc(_nat(0)),
        }
    )


def _empty_loans() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "loan_id": pd.Series([], dtype="str"),
            "account": np.zeros(0, np.int32),
            "applied_at": _utc(_nat(0)),
            "amount": np.zeros(0),
            "product": pd.Series([], dtype="str"),
            "decision": pd.Series([], dtype="str"),
            "first_overdue": np.zeros(0),
            "defaulted": np.zeros(0),
            "disbursed_at": _utc(_nat(0)),
            "due_at": _utc(_nat(0)),
        }
    )

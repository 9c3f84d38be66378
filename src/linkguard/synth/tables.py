"""The four input tables (contract section 1) as Arrow tables of strings, in file order.

Every column is text, formatted the way a marketplace export would write it (amounts with two
decimals, ISO-8601 UTC timestamps ending in ``Z``, empty where a value is missing), so that
dirty rows can carry text that is not a number or a date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.schema import ORDER_STATUSES
from linkguard.synth import text
from linkguard.synth.builder import NOT_SET, MarketBuilder
from linkguard.synth.loans import Loans
from linkguard.synth.orders import Orders
from linkguard.synth.repayments import make_repayments, maturity
from linkguard.synth.vocab import ACCOUNT_STATUSES, KIND_SPELLINGS, REGIONS

__all__ = ["CleanTables", "build_tables"]

IntArray = npt.NDArray[np.int64]
#: Share of identifier rows of honest accounts written with another spelling of their kind.
RESPELLED_SHARE = 0.01


@dataclass(frozen=True)
class CleanTables:
    """The clean tables and what each row stands for.

    Attributes
    ----------
    account_id
        ``account_id[i]``: the id of account ``i``.
    accounts, orders, identifiers, loans, repayments
        The tables in file order.
    account_rows
        Per row of ``accounts``: the account.
    order_rows
        Per row of ``orders``: its index in :class:`~linkguard.synth.orders.Orders`.
    identifier_accounts
        Per row of ``identifiers``: the account.
    next_order, next_loan
        First unused order and loan numbers (for dirty rows).
    respelled
        How many identifier rows carry another spelling of their kind.
    """

    account_id: pa.Array
    accounts: pa.Table
    orders: pa.Table
    identifiers: pa.Table
    loans: pa.Table
    repayments: pa.Table
    account_rows: IntArray
    order_rows: IntArray
    identifier_accounts: IntArray
    next_order: int
    next_loan: int
    respelled: int


def _nullable(values: pa.Array, valid: npt.NDArray[np.bool_]) -> pa.Array:
    return pc.if_else(pa.array(valid), values, pa.scalar(None, pa.string()))


def build_tables(b: MarketBuilder, orders: Orders, loans: Loans) -> CleanTables:
    """Format the market as the four input tables."""
    rng = b.rng
    size = b.cfg.accounts
    # Distinct random eight-digit ids: file order says nothing about the plant.
    id_number = 10_000_000 + rng.choice(90_000_000, size, replace=False)
    account_id = text.join("u", text.num(id_number))

    # Orders: in time order, numbered upwards with small gaps as a shared sequence would be.
    by_time = np.argsort(orders.t, kind="stable")
    number = int(rng.integers(3_000_000_000, 4_000_000_000)) + np.cumsum(
        rng.integers(1, 4, len(by_time))
    )
    o = {
        f: getattr(orders, f)[by_time]
        for f in ("buyer", "seller", "t", "cents", "status", "confirmed", "rating")
    }
    orders_table = pa.table(
        {
            "order_id": text.join("O", text.num(number)),
            "buyer_id": account_id.take(pa.array(o["buyer"])),
            "seller_id": account_id.take(pa.array(o["seller"])),
            "amount": text.money(o["cents"]),
            "created_at": text.iso_utc(o["t"]),
            "status": text.pick(ORDER_STATUSES, o["status"]),
            "rating": _nullable(text.num(o["rating"]), o["rating"] > 0),
            "confirmed_at": text.iso_utc(o["confirmed"], o["confirmed"] != NOT_SET),
        }
    )

    # Accounts: sorted by id; kind from what the account did (or, idle, what it is).
    sells = b.shop.copy()
    sells[orders.seller] = True
    buys = np.zeros(size, dtype=np.bool_)
    buys[orders.buyer] = True
    kind = np.where(sells & buys, 2, np.where(sells, 1, 0))
    rows = np.argsort(id_number, kind="stable")  # same digit count: numeric order is text order
    accounts_table = pa.table(
        {
            "account_id": account_id.take(pa.array(rows)),
            "created_at": text.iso_utc(b.created[rows]),
            "kind": text.pick(("buyer", "seller", "both"), kind[rows]),
            "region": text.pick([r.code for r in REGIONS], b.region[rows]),
            "status": text.pick(ACCOUNT_STATUSES, b.status[rows]),
        }
    )

    identifiers_table, holder, respelled = _identifiers(b, account_id)

    loan_number = int(rng.integers(10_000_000, 20_000_000)) + np.arange(len(loans))
    repayments = make_repayments(b, loans)
    due_at = maturity(loans)
    loans_table = pa.table(
        {
            "loan_id": text.join("L", text.num(loan_number)),
            "account_id": account_id.take(pa.array(loans.account)),
            "applied_at": text.iso_utc(loans.applied),
            "amount": text.money(loans.cents),
            "product": text.pick(("order", "credit"), loans.credit.astype(np.int64)),
            "decision": text.pick(("declined", "approved"), loans.approved.astype(np.int64)),
            "first_overdue": _nullable(text.num(loans.first_overdue), loans.first_overdue >= 0),
            "defaulted": text.num(loans.defaulted),
            "disbursed_at": text.iso_utc(loans.disbursed, loans.disbursed >= 0),
            "due_at": text.iso_utc(due_at, due_at >= 0),
        }
    )
    paid = repayments.paid >= 0
    repayments_table = pa.table(
        {
            "loan_id": loans_table.column("loan_id").take(pa.array(repayments.loan)),
            "due_at": text.iso_utc(repayments.due),
            "amount_due": text.money(repayments.cents_due),
            "paid_at": text.iso_utc(repayments.paid, paid),
            "amount_paid": _nullable(text.money(np.maximum(repayments.cents_due, 0)), paid),
        }
    )
    return CleanTables(
        account_id=account_id,
        accounts=accounts_table,
        orders=orders_table,
        identifiers=identifiers_table,
        loans=loans_table,
        repayments=repayments_table,
        account_rows=rows,
        order_rows=by_time,
        identifier_accounts=holder,
        next_order=int(number[-1]) + 1000 if len(number) else 1,
        next_loan=int(loan_number[-1]) + 1000 if len(loan_number) else 10_000_000,
        respelled=respelled,
    )


def _identifiers(b: MarketBuilder, account_id: pa.Array) -> tuple[pa.Table, IntArray, int]:
    """All identifier rows, in the order they were first seen."""
    rng = b.rng
    parts = b.ids.rows(b.region)
    holder = np.concatenate([acc for _, acc, _, _ in parts])
    values = pa.concat_arrays([v for _, _, v, _ in parts])
    seen_from = np.concatenate([lo for _, _, _, lo in parts])
    kind_index = np.concatenate([np.full(len(acc), i) for i, (_, acc, _, _) in enumerate(parts)])
    names = [k for k, _, _, _ in parts]
    lo = np.maximum(b.created[holder], seen_from)
    seen = lo + (rng.random(len(holder)) * np.maximum(b.end - lo, 0)).astype(np.int64)
    kinds = text.pick(names, kind_index)
    # Other exports spell the kinds differently; the loader must map these, not reject them.
    respell = (rng.random(len(holder)) < RESPELLED_SHARE) & (b.fraud[holder] == 0)
    variant = rng.integers(0, 3, len(holder))
    spelled = pa.array(
        [
            KIND_SPELLINGS[names[k]][v]
            for k, v in zip(kind_index[respell].tolist(), variant[respell].tolist(), strict=True)
        ],
        type=pa.string(),
    )
    kinds = pc.replace_with_mask(kinds, pa.array(respell), spelled)
    order = np.argsort(seen, kind="stable")
    table = pa.table(
        {
            "account_id": account_id.take(pa.array(holder[order])),
            "kind": kinds.take(pa.array(order)),
            "value": values.take(pa.array(order)),
            "seen_at": text.iso_utc(seen[order]),
        }
    )
    return table, holder[order], int(respell.sum())

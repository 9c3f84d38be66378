"""Loans to sellers and how they turned out.

A quarter of honest shops and most shops involved in planted fraud (which inflate their sales
precisely to borrow) apply for one or two loans during the last nine months. A loan is due
30 days after it is granted: ``first_overdue`` is empty until then, and a default can only be
known 75 days after the application. Honest shops go overdue on about 7 % of loans and
default on nearly half of those (3 % of loans); fraud shops go overdue on 45 % and default on
three quarters of those (a third of loans): a default rate roughly ten times higher.

Every account with a defaulted loan gets status ``defaulted``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder
from linkguard.synth.orders import Orders
from linkguard.synth.plan import DAY
from linkguard.synth.vocab import FRAUD_TYPES, STATUS_CODE, bit

__all__ = ["Loans", "make_loans"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
#: (honest, fraud): chance to apply, to be approved, to go overdue, to default once overdue.
APPLY = (0.25, 0.8)
APPROVE = (0.85, 0.8)
OVERDUE = (0.07, 0.45)
DEFAULT = (0.45, 0.75)
DUE_DAYS = 30
KNOWN_DAYS = 75


@dataclass(frozen=True)
class Loans:
    """One entry per loan; ``first_overdue`` is -1 where not yet due (written empty)."""

    account: IntArray
    applied: IntArray
    cents: IntArray
    credit: BoolArray
    approved: BoolArray
    first_overdue: npt.NDArray[np.int8]
    defaulted: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.account)


def make_loans(b: MarketBuilder, orders: Orders) -> Loans:
    """Draw the loans of every shop that sold something, then update account statuses."""
    rng = b.rng
    size = b.cfg.accounts
    counted = orders.counted
    gmv = np.bincount(orders.seller[counted], weights=orders.cents[counted], minlength=size)
    sold = np.bincount(orders.seller[counted], minlength=size)
    fraud = b.fraud != 0
    planted = np.array([a for a, _ in b.planted_loans], dtype=np.int64)
    applicant = b.shop & (sold >= 3) & (rng.random(size) < np.where(fraud, *APPLY[::-1]))
    applicant[planted] = False
    account = np.repeat(np.flatnonzero(applicant), 1 + (rng.random(int(applicant.sum())) < 0.35))
    lo = np.maximum(b.created[account] + 14 * DAY, b.end - 270 * DAY)
    keep = lo < b.end - DAY
    account, lo = account[keep], lo[keep]
    applied = lo + (rng.random(len(account)) * (b.end - DAY - lo)).astype(np.int64)
    is_fraud = fraud[account]
    link_bad = (b.fraud[account] & bit(FRAUD_TYPES, "linked_to_defaulted")) != 0
    p_approve = np.where(link_bad, 0.4, np.where(is_fraud, APPROVE[1], APPROVE[0]))
    approved = rng.random(len(account)) < p_approve
    due = approved & (applied + DUE_DAYS * DAY <= b.end)
    overdue = due & (rng.random(len(account)) < np.where(is_fraud, OVERDUE[1], OVERDUE[0]))
    known = applied + KNOWN_DAYS * DAY <= b.end
    defaulted = overdue & known & (rng.random(len(account)) < np.where(is_fraud, *DEFAULT[::-1]))

    # The planted defaulters: a loan granted two to four months before they stopped trading.
    p_applied = np.array([t for _, t in b.planted_loans], dtype=np.int64) - rng.integers(
        60 * DAY, 120 * DAY, len(planted)
    )
    account = np.r_[account, planted]
    applied = np.r_[applied, p_applied]
    approved = np.r_[approved, np.ones(len(planted), dtype=np.bool_)]
    first_overdue = np.r_[np.where(due, overdue.astype(np.int8), -1), np.ones(len(planted))]
    defaulted = np.r_[defaulted, np.ones(len(planted), dtype=np.bool_)]

    monthly = gmv[account] / max(b.cfg.days / 30, 1)
    cents = np.clip(monthly * rng.uniform(0.5, 2.0, len(account)), 20_000, 50_000_000)
    b.status[account[defaulted]] = STATUS_CODE["defaulted"]
    order = np.argsort(applied, kind="stable")
    return Loans(
        account=account[order],
        applied=applied[order],
        cents=(cents // 5_000 * 5_000).astype(np.int64)[order],
        credit=(rng.random(len(account)) < 0.45)[order],
        approved=approved[order],
        first_overdue=first_overdue.astype(np.int8)[order],
        defaulted=defaulted.astype(np.int8)[order],
    )

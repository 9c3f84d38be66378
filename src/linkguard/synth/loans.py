"""Loans to sellers and how they turned out.

A quarter of honest shops and most shops involved in planted fraud (which inflate their sales
precisely to borrow) apply for one or two loans while they trade, from two weeks into the
order history to its last day. An approved loan is disbursed within two days; its first
instalment falls due 30 days later (an ``order`` loan has 3 monthly instalments, a ``credit``
loan 6, :mod:`linkguard.synth.repayments`). ``first_overdue`` is empty until the first
instalment is due, and a default is only declared 45 days after it.

The chance to go overdue on the first instalment follows ordinary credit signals and, much
more, the planted fraud: honest shops start from 5 %, fraud shops from 40 %; a shop younger
than six months goes overdue 1.6 times as often and one older than two years 0.7 times; a loan
large for the shop's sales (up to twice its monthly GMV) up to 1.6 times; a ``credit`` loan 1.2
times; and every applicant carries its own log-normal character (median 1, sd 0.5 of the log).
Honest borrowers who go overdue default on 45 % of those loans, fraud shops on 75 %.

Every account with a defaulted loan gets status ``defaulted``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder
from linkguard.synth.orders import Orders
from linkguard.synth.plan import DAY, HOUR
from linkguard.synth.vocab import FRAUD_TYPES, STATUS_CODE, bit

__all__ = ["Loans", "make_loans"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
#: (honest, fraud): chance to apply, to be approved, to go overdue, to default once overdue.
APPLY = (0.25, 0.8)
APPROVE = (0.85, 0.8)
OVERDUE = (0.05, 0.40)
DEFAULT = (0.45, 0.75)
DUE_DAYS = 30
#: Days after the first due date at which a loan still unpaid is declared defaulted.
DEFAULT_DAYS = 45


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
    #: Disbursal time, -1 when declined or not disbursed before the end of the history.
    disbursed: IntArray
    #: Per loan: the borrower stops paying (first instalment never paid).
    stops: BoolArray

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
    lo = np.maximum(b.created[account], b.start) + 14 * DAY
    keep = lo < b.end - DAY
    account, lo = account[keep], lo[keep]
    applied = lo + (rng.random(len(account)) * (b.end - DAY - lo)).astype(np.int64)
    is_fraud = fraud[account]
    link_bad = (b.fraud[account] & bit(FRAUD_TYPES, "linked_to_defaulted")) != 0
    p_approve = np.where(link_bad, 0.4, np.where(is_fraud, APPROVE[1], APPROVE[0]))
    approved = rng.random(len(account)) < p_approve
    disbursed = np.where(approved, applied + rng.integers(HOUR, 2 * DAY, len(account)), -1)
    disbursed[disbursed > b.end] = -1
    leverage = rng.uniform(0.5, 2.0, len(account))
    credit = rng.random(len(account)) < 0.45
    age_days = (applied - b.created[account]) / DAY
    signals = (
        np.where(age_days < 180, 1.6, np.where(age_days > 730, 0.7, 1.0))
        * (0.6 + 0.5 * leverage)
        * np.where(credit, 1.2, 1.0)
        * rng.lognormal(0.0, 0.5, len(account))
    )
    p_overdue = np.minimum(np.where(is_fraud, OVERDUE[1], OVERDUE[0]) * signals, 0.95)
    due = (disbursed >= 0) & (disbursed + DUE_DAYS * DAY <= b.end)
    overdue = due & (rng.random(len(account)) < p_overdue)
    stops = overdue & (rng.random(len(account)) < np.where(is_fraud, *DEFAULT[::-1]))
    defaulted = stops & (disbursed + (DUE_DAYS + DEFAULT_DAYS) * DAY <= b.end)

    # The planted defaulters: a loan granted two to four months before they stopped trading.
    n_planted = len(planted)
    p_applied = np.array([t for _, t in b.planted_loans], dtype=np.int64) - rng.integers(
        60 * DAY, 120 * DAY, n_planted
    )
    account = np.r_[account, planted]
    applied = np.r_[applied, p_applied]
    approved = np.r_[approved, np.ones(n_planted, dtype=np.bool_)]
    disbursed = np.r_[disbursed, p_applied + rng.integers(HOUR, 2 * DAY, n_planted)]
    first_overdue = np.r_[np.where(due, overdue.astype(np.int8), -1), np.ones(n_planted)]
    defaulted = np.r_[defaulted, np.ones(n_planted, dtype=np.bool_)]
    stops = np.r_[stops, np.ones(n_planted, dtype=np.bool_)]
    leverage = np.r_[leverage, rng.uniform(0.5, 2.0, n_planted)]
    credit = np.r_[credit, rng.random(n_planted) < 0.45]

    monthly = gmv[account] / max(b.cfg.days / 30, 1)
    cents = np.clip(monthly * leverage, 20_000, 50_000_000)
    b.status[account[defaulted]] = STATUS_CODE["defaulted"]
    order = np.argsort(applied, kind="stable")
    return Loans(
        account=account[order],
        applied=applied[order],
        cents=(cents // 5_000 * 5_000).astype(np.int64)[order],
        credit=credit[order],
        approved=approved[order],
        first_overdue=first_overdue.astype(np.int8)[order],
        defaulted=defaulted.astype(np.int8)[order],
        disbursed=disbursed.astype(np.int64)[order],
        stops=stops[order],
    )

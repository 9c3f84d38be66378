"""Repayment schedules of the synthetic loans, and when each instalment was paid.

An approved, disbursed loan repays in equal monthly instalments (the last one takes the cents
left over): 3 for an ``order`` loan, 6 for a ``credit`` loan, the first due 30 days after
disbursal. A borrower who stops paying (:attr:`Loans.stops`) never pays an instalment; one who
went overdue on the first instalment pays it 1 to 40 days late; any later instalment is paid
late (1 to 45 days) by 4 % of honest borrowers, 20 % of fraud shops and half of those who were
late on the first; the rest pay up to five days early. An instalment paid after the end of the
history is written unpaid (``paid_at`` and ``amount_paid`` empty). The draws come from a
generator of their own, so adding repayments changes no other table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder
from linkguard.synth.loans import DUE_DAYS, Loans
from linkguard.synth.plan import DAY

__all__ = ["Repayments", "make_repayments"]

IntArray = npt.NDArray[np.int64]
#: Instalments of an ``order`` and a ``credit`` loan.
INSTALMENTS = (3, 6)
#: Chance that a later instalment is paid late: honest, fraud, late on the first instalment.
LATE_LATER = (0.04, 0.20, 0.5)


@dataclass(frozen=True)
class Repayments:
    """One entry per instalment; ``paid`` is -1 while unpaid at the end of the history."""

    loan: IntArray
    due: IntArray
    cents_due: IntArray
    paid: IntArray

    def __len__(self) -> int:
        return len(self.loan)


def maturity(loans: Loans) -> IntArray:
    """Each loan's last due date (``loans.due_at``), -1 when it was not disbursed."""
    n = np.where(loans.credit, INSTALMENTS[1], INSTALMENTS[0])
    return np.where(loans.disbursed >= 0, loans.disbursed + n * DUE_DAYS * DAY, -1)


def make_repayments(b: MarketBuilder, loans: Loans) -> Repayments:
    """The instalments of every disbursed loan, in loan order then due order."""
    rng = np.random.default_rng([b.cfg.seed, 12])
    disbursed = np.flatnonzero(loans.disbursed >= 0)
    count = np.where(loans.credit[disbursed], INSTALMENTS[1], INSTALMENTS[0])
    loan = np.repeat(disbursed, count)
    k = np.arange(len(loan)) - np.repeat(np.cumsum(count) - count, count) + 1
    due = loans.disbursed[loan] + k * DUE_DAYS * DAY
    share = loans.cents[loan] // count.repeat(count)
    last = k == count.repeat(count)
    cents_due = np.where(last, loans.cents[loan] - share * (count.repeat(count) - 1), share)

    first = k == 1
    late_first = loans.first_overdue[loan] == 1
    fraud = b.fraud[loans.account[loan]] != 0
    p_late = np.where(late_first, LATE_LATER[2], np.where(fraud, LATE_LATER[1], LATE_LATER[0]))
    late = np.where(first, late_first, rng.random(len(loan)) < p_late)
    early = rng.integers(0, 5 * DAY, len(loan))
    delay = rng.integers(1, 41, len(loan)) * DAY + rng.integers(0, DAY, len(loan))
    delay = np.where(first, delay, rng.integers(1, 46, len(loan)) * DAY)
    paid = np.where(late, due + delay, due - early)
    paid = np.maximum(paid, loans.disbursed[loan] + DAY)
    never = loans.stops[loan] | (paid > b.end)
    paid[never] = -1
    return Repayments(loan=loan, due=due, cents_due=cents_due, paid=paid)

"""The loan side: loan outcomes, point-in-time snapshots, backtests, vintages, the funnel and
post-loan monitoring.

Everything here is a pure function of a :class:`~linkguard.market.Market` and snapshot tables;
the ``backtest``, ``vintage``, ``funnel`` and ``monitor`` commands are doors onto it.
"""

from __future__ import annotations

from linkguard.loans.outcomes import TARGETS, data_end, loan_outcomes
from linkguard.pipeline.pointintime import market_as_of, month_starts

__all__ = ["TARGETS", "data_end", "loan_outcomes", "market_as_of", "month_starts"]

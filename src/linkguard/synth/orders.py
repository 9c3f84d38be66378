"""All orders in one set of arrays, with their status, confirmation time and rating.

Status follows the order's age and style: an order confirms a few days after it is placed
(fake-reputation orders within a day or two), so the last days of the history hold paid and
shipped orders; ordinary shopping has a few cancellations and refunds. Ratings are mostly five
and four stars, lower at the one shop in ten that disappoints, and nearly always five stars
on fake-reputation orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from linkguard.schema import ORDER_STATUSES
from linkguard.synth.builder import NOT_SET, MarketBuilder, Style
from linkguard.synth.plan import DAY, HOUR

__all__ = ["COUNTED", "Orders", "collect"]

IntArray = npt.NDArray[np.int64]
#: Statuses whose orders count as revenue (the concentration detector drops the others).
COUNTED = ("paid", "shipped", "confirmed")
_STATUS = {name: np.int8(i) for i, name in enumerate(ORDER_STATUSES)}
_GOOD_SHOP = np.array([0.03, 0.02, 0.06, 0.21, 0.68])
_BAD_SHOP = np.array([0.15, 0.08, 0.15, 0.24, 0.38])


@dataclass
class Orders:
    """Every generated order (before dirty rows), in the order the chunks were planted.

    ``status`` indexes :data:`linkguard.schema.ORDER_STATUSES`; ``confirmed`` is
    :data:`~linkguard.synth.builder.NOT_SET` unless confirmed; ``rating`` is 0 when unrated.
    """

    buyer: IntArray
    seller: IntArray
    t: IntArray
    cents: IntArray
    label: npt.NDArray[np.int8]
    style: npt.NDArray[np.int8]
    status: npt.NDArray[np.int8]
    confirmed: IntArray
    rating: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.buyer)

    @property
    def counted(self) -> npt.NDArray[np.bool_]:
        """Orders that count as revenue (not cancelled, not refunded)."""
        return np.isin(self.status, [_STATUS[s] for s in COUNTED])


def collect(b: MarketBuilder) -> Orders:
    """Concatenate the planted chunks and draw status, confirmation and rating."""
    rng = b.rng
    cat = {
        f: np.concatenate([getattr(c, f) for c in b.chunks])
        for f in ("buyer", "seller", "t", "cents", "label", "style")
    }
    n = len(cat["t"])
    style, t = cat["style"], cat["t"]
    retail, praise = style == Style.RETAIL, style == Style.PRAISE
    u = rng.random(n)
    cancelled = retail & (u < 0.015)
    refunded = (retail & (u >= 0.015) & (u < 0.04)) | ((style == Style.BULK) & (u < 0.005))
    delay = np.where(
        praise,
        rng.uniform(0.8, 2.5, n),
        np.where(retail, rng.lognormal(np.log(4.5), 0.35, n), rng.uniform(3, 10, n)),
    )
    confirm_at = t + (delay * DAY).astype(np.int64)
    confirmed = ~cancelled & ~refunded & (confirm_at <= b.end)
    status = np.where(b.end - t < 12 * HOUR, _STATUS["paid"], _STATUS["shipped"]).astype(np.int8)
    status[confirmed] = _STATUS["confirmed"]
    status[refunded] = _STATUS["refunded"]
    status[cancelled] = _STATUS["cancelled"]

    rated = confirmed & (rng.random(n) < np.where(praise, 0.96, np.where(retail, 0.55, 0.15)))
    bad = b.bad_shop[cat["seller"]]
    stars = np.where(bad, _draw(rng, _BAD_SHOP, n), _draw(rng, _GOOD_SHOP, n))
    stars = np.where(praise, np.where(rng.random(n) < 0.93, 5, 4), stars)
    return Orders(
        **cat,
        status=status,
        confirmed=np.where(confirmed, confirm_at, NOT_SET),
        rating=np.where(rated, stars, 0).astype(np.int8),
    )


def _draw(rng: np.random.Generator, p: npt.NDArray[np.float64], n: int) -> IntArray:
    return rng.choice(5, n, p=p).astype(np.int64) + 1

"""Honest trade: shops with power-law popularity, buyers with light-tailed activity.

Shop popularity is Pareto distributed (a few shops take a large share of orders, most sell
little); buyer activity is Gamma distributed (nobody buys a thousand times). Each buyer has
one to three favourite shops it returns to, so repeat buying is common. Times follow the
daily rhythm of the buyer's time zone (:meth:`MarketBuilder.times`).

A buyer market like that never puts a dense core where the planted rings are: heavy buyers
times popular shops would (see the FRAUDAR notes in the project's anchors), which is why the
buyer side is kept light-tailed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import NOT_SET, MarketBuilder
from linkguard.synth.orders import Orders
from linkguard.synth.plan import DAY, HOUR

__all__ = [
    "CONCENTRATION_RULE",
    "concentrated_by_numbers",
    "dilute_concentration",
    "finalise_created",
    "populate",
    "retail_orders",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Share of honest accounts that run a shop.
SHOP_SHARE = 0.08
#: Share of a buyer's orders that go to one of its favourite shops.
FAVOURITE_SHARE = 0.45
#: Where ``HIGH_CONCENTRATION`` is due: the defaults of
#: :class:`linkguard.rules.ruleset.ConcentrationSettings` (a test keeps them equal), copied
#: rather than imported so that generating data does not load the detectors.
CONCENTRATION_RULE = {"min_orders": 20, "hhi": 2500.0, "top1_share": 0.5}


def populate(b: MarketBuilder, count: int) -> tuple[IntArray, IntArray]:
    """Create ``count`` honest accounts; returns ``(shops, buyers)``.

    Shops get Pareto popularity and a lognormal price level; about 40 % of them also buy a
    little. Creation times are hints: mostly months to years before the history, some
    inside it (the account's first activity then decides, see :func:`finalise_created`).
    """
    rng = b.rng
    accounts = b.allocate(count)
    n_shops = max(20, round(SHOP_SHARE * count))
    shops, buyers = accounts[:n_shops], accounts[n_shops:]
    b.make_shops(shops, rng.pareto(1.3, n_shops) + 1.0)
    b.activity[buyers] = rng.gamma(1.5, 1.0, len(buyers))
    b.activity[shops] = rng.gamma(1.5, 0.3, n_shops) * (rng.random(n_shops) < 0.4)
    new = rng.random(count) < 0.12
    hint = b.old_hint(count)
    hint[new] = rng.integers(b.start, b.end, int(new.sum()))
    b.created_hint[accounts] = hint
    b.give_identifiers(accounts)
    return shops, buyers


def retail_orders(b: MarketBuilder, count: int) -> None:
    """Append ``count`` ordinary orders (fewer where a buyer and shop are never both open).

    Buyers are drawn by activity; each order goes to one of the buyer's favourite shops or
    to a shop drawn by popularity. Times fall inside both accounts' active windows.
    """
    rng = b.rng
    if count <= 0:
        return
    weight = b.activity / b.activity.sum()
    pop = b.popularity / b.popularity.sum()
    size = len(weight)
    favourites = rng.choice(size, (size, 3), p=pop)
    n_fav = rng.integers(1, 4, size)
    buyer = rng.choice(size, count, p=weight)
    fav = favourites[buyer, rng.integers(0, 3, count) % n_fav[buyer]]
    shop = np.where(rng.random(count) < FAVOURITE_SHARE, fav, rng.choice(size, count, p=pop))
    # A shop never buys from itself: redraw once, drop what still collides.
    own = shop == buyer
    shop[own] = rng.choice(size, int(own.sum()), p=pop)
    lo = np.maximum(b.active_from[buyer], b.active_from[shop])
    hi = np.minimum(b.active_to[buyer], b.active_to[shop])
    # Within a ring, an owner or a cycle all trade is planted: chance orders would blur it.
    keep = (shop != buyer) & (hi - lo > HOUR) & ~b.same_group(buyer, shop)
    buyer, shop, lo, hi = buyer[keep], shop[keep], lo[keep], hi[keep]
    b.add_orders(buyer, shop, b.times(lo, hi, buyer), b.prices(shop))


def concentrated_by_numbers(
    seller: IntArray, buyer: IntArray, cents: IntArray, size: int
) -> tuple[BoolArray, IntArray]:
    """Per seller: is it concentrated by :data:`CONCENTRATION_RULE`, and its top buyer (or -1).

    ``seller``, ``buyer`` and ``cents`` describe the counted orders (the caller leaves out
    cancelled and refunded ones, as the concentration detector does).
    """
    n_orders = np.bincount(seller, minlength=size)
    gmv = np.bincount(seller, weights=cents, minlength=size)
    pair = seller * size + buyer
    keys, inverse = np.unique(pair, return_inverse=True)
    pair_gmv = np.bincount(inverse, weights=cents)
    pair_seller = keys // size
    share = pair_gmv / np.maximum(gmv[pair_seller], 1)
    hhi = np.bincount(pair_seller, weights=(100 * share) ** 2, minlength=size)
    top1 = np.zeros(size)
    np.maximum.at(top1, pair_seller, share)
    # The top buyer: the last pair of each seller once sorted by (seller, GMV).
    order = np.lexsort((pair_gmv, pair_seller))
    by_seller = pair_seller[order]
    last = order[np.r_[by_seller[1:] != by_seller[:-1], True]]
    top_buyer = np.full(size, -1, dtype=np.int64)
    top_buyer[pair_seller[last]] = keys[last] % size
    rule = CONCENTRATION_RULE
    hit = (n_orders >= rule["min_orders"]) & ((hhi >= rule["hhi"]) | (top1 >= rule["top1_share"]))
    return np.asarray(hit, dtype=np.bool_), top_buyer


def dilute_concentration(b: MarketBuilder, orders: Orders, honest_shops: IntArray) -> int:
    """Hand a dominant buyer's plain orders at an honest shop to other honest buyers.

    A small honest shop can, by chance, owe most of its sales to one loyal buyer; the truth
    promises that honest shops are not concentrated by the numbers, so such orders are moved
    to other buyers (keeping shop, time, amount and status). Returns how many orders moved.
    """
    size = b.cfg.accounts
    is_target = np.zeros(size, dtype=np.bool_)
    is_target[honest_shops] = True
    # Stand-ins: honest buyers open for the whole history, so any order time suits them.
    pool = b.activity * (b.fraud == 0) * (b.active_from == b.start) * (b.active_to == b.end)
    pool /= pool.sum()
    moved = 0
    for _ in range(4):
        counted = orders.counted
        hit, top = concentrated_by_numbers(
            orders.seller[counted], orders.buyer[counted], orders.cents[counted], size
        )
        bad = np.flatnonzero(hit & is_target)
        if not len(bad):
            break
        dominant = np.full(size, -2, dtype=np.int64)
        dominant[bad] = top[bad]
        move = (dominant[orders.seller] == orders.buyer) & (orders.label == 0)
        # Keep one order of the dominant buyer: a favourite shop stays a favourite.
        first = np.unique(orders.seller[move], return_index=True)[1]
        move[np.flatnonzero(move)[first]] = False
        idx = np.flatnonzero(move)
        others = b.rng.choice(size, len(idx), p=pool)
        orders.buyer[idx] = np.where(others == orders.seller[idx], others ^ 1, others)
        moved += len(idx)
    return moved


def finalise_created(b: MarketBuilder, orders: Orders) -> None:
    """Fix every creation time: planted ones stay, the others precede the first activity."""
    first = np.full(b.cfg.accounts, b.end, dtype=np.int64)
    np.minimum.at(first, orders.buyer, orders.t)
    np.minimum.at(first, orders.seller, orders.t)
    gap = b.rng.integers(HOUR, 30 * DAY, b.cfg.accounts)
    derived = np.minimum(b.created_hint, first - gap)
    b.created = np.where(b.created == NOT_SET, derived, b.created)

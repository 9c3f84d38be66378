"""Planted owners behind several accounts: self-dealing shops, multi-accounting, defaulters.

* A self-dealing seller runs 2-4 puppet buyers on its own device, phone or card and has them
  buy from its shop and rate it five stars, next to its real customers.
* A multi-account owner holds 2-6 accounts bound by strong identifiers: buyer accounts that
  farm new-customer coupons, or shops one person runs side by side (bound by one shared
  value, a star of one to three kinds, or a chain of different kinds from shop to shop).
* A defaulter's shop stops trading after its loan goes bad (status ``defaulted``); 1-3 new
  shops sharing its phone, id number, device, card or payout account open afterwards.

Each group is one owner (``owner_id`` in the truth).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from linkguard.synth.builder import MarketBuilder, Style
from linkguard.synth.plan import DAY
from linkguard.synth.vocab import STATUS_CODE

__all__ = ["plant_defaulted", "plant_multi_accounts", "plant_self_dealing"]

IntArray = npt.NDArray[np.int64]


def _popularity(b: MarketBuilder, count: int, lo: float, hi: float) -> npt.NDArray[np.float64]:
    """Pareto popularity clipped to ``[lo, hi]``: ordinary, not famous, shops."""
    return np.clip(b.rng.pareto(1.3, count) + 1.0, lo, hi)


def _share_kinds(b: MarketBuilder, members: IntArray, kinds: list[str]) -> None:
    """Star sharing around ``members[0]``: devices as extra rows, other kinds replace."""
    for kind in kinds:
        b.share(kind, members, int(members[0]), as_row=kind == "device")


def plant_self_dealing(b: MarketBuilder) -> None:
    """Self-dealing sellers and their puppets."""
    rng = b.rng
    for g in range(b.plan.self_dealing):
        seller = b.allocate(1)
        puppets = b.allocate(int(b.plan.puppets[g]))
        b.make_shops(seller, _popularity(b, 1, 2.0, 8.0))
        b.created_hint[seller] = b.old_hint(1)
        b.created_hint[puppets] = np.where(
            rng.random(len(puppets)) < 0.5,
            b.old_hint(len(puppets)),
            rng.integers(b.start, b.end - 20 * DAY, len(puppets)),
        )
        b.activity[puppets] = rng.gamma(1.5, 0.3, len(puppets))
        group = np.r_[seller, puppets]
        b.give_identifiers(group)
        b.ids.has["card"][seller] = True
        for puppet in puppets:
            uses = [
                k for k, p in (("device", 0.6), ("phone", 0.5), ("card", 0.4)) if rng.random() < p
            ] or ["device"]
            _share_kinds(b, np.r_[seller, puppet], uses)
        buys = np.repeat(puppets, rng.integers(3, 9, len(puppets)))
        shop = np.full(len(buys), seller[0])
        b.add_orders(
            buys,
            shop,
            b.times(b.start, b.end, buys),
            b.prices(shop),
            label="self_dealing",
            style=Style.PRAISE,
        )
        b.self_dealer[seller] = True
        b.mark_fraud(group, "self_dealing")
        b.new_owner(group)


def plant_multi_accounts(b: MarketBuilder) -> None:
    """Multi-account owners: coupon-farming buyer accounts or side-by-side shops."""
    rng = b.rng
    # How an owner binds its shops is drawn from a generator of its own, so the main stream,
    # and with it everything else in the market, stays as it was seed for seed.
    aux = np.random.default_rng((b.cfg.seed, 0x5B0B))
    for g, size in enumerate(b.plan.multi_sizes):
        members = b.allocate(int(size))
        if b.plan.multi_shops[g]:
            b.make_shops(members, _popularity(b, len(members), 1.0, 10.0))
            b.created_hint[members] = b.old_hint(len(members))
            pool = ["id_number", "payment_account", "phone"]
        else:
            b.activity[members] = rng.gamma(1.5, 1.0, len(members))
            b.created_hint[members] = b.old_hint(len(members))
            if rng.random() < 0.5:
                # Opened one after another inside the history, to collect sign-up coupons.
                opened = int(rng.integers(b.start, b.end - 30 * DAY))
                b.created[members] = opened + np.sort(rng.integers(0, 10 * DAY, len(members)))
                b.active_from[members] = b.created[members]
            pool = ["device", "phone", "card", "email"]
        b.give_identifiers(members)
        kinds = [str(k) for k in rng.choice(pool, int(rng.integers(1, 3)), replace=False)]
        if b.plan.multi_shops[g]:
            _bind_shops(aux, b, members, kinds)
        else:
            _share_kinds(b, members, kinds)
        b.mark_fraud(members, "multi_account")
        b.new_owner(members)
        if rng.random() < 0.3:
            b.status[rng.choice(members)] = rng.choice(
                [STATUS_CODE["frozen"], STATUS_CODE["blacklisted"]]
            )


#: Strong kinds one owner's shops may share, and how often each is picked.
_SHOP_KINDS = ("id_number", "payment_account", "phone", "device", "card", "email")
_SHOP_KIND_P = np.array([0.25, 0.2, 0.2, 0.15, 0.1, 0.1])


def _bind_shops(
    aux: np.random.Generator, b: MarketBuilder, shops: IntArray, kinds: list[str]
) -> None:
    """Bind one owner's shops by strong identifiers in one of three ways (drawn from ``aux``).

    * one value: a single id number, payout account or phone on every shop, nothing else;
    * a star of ``kinds`` around the first shop, sometimes with one more strong kind;
    * a chain: each shop shares a different kind with the next (the owner reused the phone
      on the second shop, that shop's device on the third, ...), so no value is common to all.
    """
    pattern = aux.choice(3, p=[0.35, 0.4, 0.25])
    if pattern == 0 or (len(shops) == 2 and pattern == 2):
        _share_kinds(b, shops, kinds[:1])
    elif pattern == 1:
        extra = str(aux.choice(_SHOP_KINDS, p=_SHOP_KIND_P))
        more = [extra] if aux.random() < 0.4 and extra not in kinds else []
        _share_kinds(b, shops, kinds + more)
    else:
        for i in range(len(shops) - 1):
            kind = str(aux.choice(_SHOP_KINDS, p=_SHOP_KIND_P))
            _share_kinds(b, shops[i : i + 2], [kind])


def plant_defaulted(b: MarketBuilder) -> None:
    """Defaulted shops (status ``defaulted``, a defaulted loan) and the shops linked to them."""
    rng = b.rng
    for g in range(b.plan.defaulted):
        bad = b.allocate(1)
        links = b.allocate(int(b.plan.defaulted_links[g]))
        group = np.r_[bad, links]
        b.make_shops(group, _popularity(b, len(group), 1.5, 8.0))
        # Old enough to have borrowed months before it stopped trading.
        b.created[bad] = b.old_hint(1) - 150 * DAY
        stopped = int(rng.integers(b.start + 20 * DAY, b.start + 50 * DAY))
        b.active_to[bad] = stopped
        b.status[bad] = STATUS_CODE["defaulted"]
        b.planted_loans.append((int(bad[0]), stopped))
        b.created[links] = stopped + rng.integers(3 * DAY, 30 * DAY, len(links))
        b.active_from[links] = b.created[links]
        b.give_identifiers(group)
        kinds = ["phone", "id_number", "device", "card", "payment_account"]
        picked = rng.choice(kinds, int(rng.integers(1, 3)), replace=False)
        _share_kinds(b, group, [str(k) for k in picked])
        b.mark_fraud(bad, "defaulted")
        b.mark_fraud(links, "linked_to_defaulted")
        b.new_owner(group)

"""Ground truth: what was planted, and which flags a perfect detector raises on whom.

Expected flag codes follow from the planted structure and the clean orders:

* ``BRUSHING_RING`` and ``LOCKSTEP``: every buyer and seller of a ring (device farm or hijacked);
* ``SELF_DEALING``: the self-dealing sellers (not their puppets);
* ``LINKED_ACCOUNTS``: every account of an owner group (2+ accounts sharing strong identifiers:
  multi-account owners, a self-dealer with its puppets, a device farm's buyers, a defaulter
  with its linked shops). Households that share a tablet are *not* an owner group;
* ``LINKED_TO_BAD``: an owner-group account another member of which is frozen, defaulted or
  blacklisted (the bad account itself is not flagged for its own status);
* ``CIRCULAR_TRADE``: the members of a cycle;
* ``HIGH_CONCENTRATION``: every seller concentrated by the numbers of the default ruleset
  (:data:`~linkguard.synth.honest.CONCENTRATION_RULE`: 20+ counted orders and HHI >= 2,500 or
  top-1 share >= 0.5). Planted concentrated sellers always are; honest shops never are (the
  generator dilutes chance concentration), wholesale shops included; other fraud sellers are
  when their numbers say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linkguard.synth import text
from linkguard.synth.builder import MarketBuilder
from linkguard.synth.honest import CONCENTRATION_RULE, concentrated_by_numbers
from linkguard.synth.orders import Orders
from linkguard.synth.tables import CleanTables
from linkguard.synth.vocab import (
    ACCOUNT_STATUSES,
    EXPECTED_CODES,
    FRAUD_TYPES,
    HONEST_STRUCTURES,
    ORDER_LABELS,
    SELLER_LABELS,
    STATUS_CODE,
    bit,
)

__all__ = ["Truth", "build_truth", "expected_codes"]

IntArray = npt.NDArray[np.int64]
_BAD = [STATUS_CODE[s] for s in ("frozen", "defaulted", "blacklisted")]


@dataclass(frozen=True)
class Truth:
    """The truth tables (``dirty`` is added when the bad rows are) and planted counts."""

    tables: dict[str, pa.Table]
    counts: dict[str, Any]


def _words(mask: npt.ArrayLike, names: tuple[str, ...]) -> pa.Array:
    """Bit masks as ``;``-joined names (empty string for no bit)."""
    uniq, inverse = np.unique(np.asarray(mask, dtype=np.int64), return_inverse=True)
    words = [";".join(n for i, n in enumerate(names) if int(u) >> i & 1) for u in uniq.tolist()]
    return pa.array(words, type=pa.string()).take(pa.array(inverse.ravel()))


def _ids(prefix: str, index: npt.ArrayLike) -> pa.Array:
    """``prefix`` + 1-based number (width 3 or more); empty where ``index`` is -1."""
    idx = np.asarray(index, dtype=np.int64)
    width = max(3, len(str(int(idx.max(initial=0)) + 1)))
    named = text.join(prefix, text.num(idx + 1, width))
    return pa.array(
        np.where(idx >= 0, np.asarray(named.to_numpy(zero_copy_only=False)), ""), type=pa.string()
    )


def expected_codes(b: MarketBuilder, orders: Orders) -> npt.NDArray[np.uint16]:
    """Per account: the bit mask of flag codes a perfect detector raises (module docstring)."""
    size = b.cfg.accounts
    code = np.zeros(size, dtype=np.uint16)

    def add(mask: npt.NDArray[np.bool_], name: str) -> None:
        code[mask] |= np.uint16(bit(EXPECTED_CODES, name))

    grouped = b.owner >= 0
    members = np.bincount(b.owner[grouped], minlength=b.n_owners)
    add(grouped & (members[np.maximum(b.owner, 0)] >= 2), "LINKED_ACCOUNTS")
    bad = np.isin(b.status, _BAD)
    bad_members = np.bincount(b.owner[grouped & bad], minlength=b.n_owners)
    add(grouped & (bad_members[np.maximum(b.owner, 0)] - bad > 0), "LINKED_TO_BAD")
    add(b.ring >= 0, "BRUSHING_RING")
    # The hidden shapes (one-shop farms, recruited accounts with one order per shop) never
    # meet in the same windows again and again: they are rings, not lockstep.
    lockstep_ring = np.array([g.kind in ("device_farm", "hijacked") for g in b.rings] + [False])
    add(lockstep_ring[b.ring], "LOCKSTEP")
    add(b.self_dealer, "SELF_DEALING")
    add((b.fraud & bit(FRAUD_TYPES, "circular")) != 0, "CIRCULAR_TRADE")
    counted = orders.counted
    hit, _ = concentrated_by_numbers(
        orders.seller[counted], orders.buyer[counted], orders.cents[counted], size
    )
    add(hit, "HIGH_CONCENTRATION")
    return code


def _seller_labels(b: MarketBuilder) -> npt.NDArray[np.int8]:
    """One label per shop: its planted fraud if any, else its honest structure."""
    label = b.shop_label.copy()
    # Later assignments win: brushing outranks self-dealing, which outranks circular, ...
    for name, mask in (
        ("concentrated", (b.fraud & bit(FRAUD_TYPES, "concentrated")) != 0),
        ("circular", (b.fraud & bit(FRAUD_TYPES, "circular")) != 0),
        ("self_dealing", b.self_dealer),
        ("brushing", (b.ring >= 0) & b.shop),
    ):
        label[mask & b.shop] = SELLER_LABELS.index(name)
    return label


def build_truth(b: MarketBuilder, orders: Orders, clean: CleanTables) -> Truth:
    """The truth tables (in the files' row order) and the planted counts for the manifest."""
    code = expected_codes(b, orders)
    rows = clean.account_rows
    accounts = pa.table(
        {
            "account_id": clean.account_id.take(pa.array(rows)),
            "fraud_types": _words(b.fraud[rows], FRAUD_TYPES),
            "expected_codes": _words(code[rows], EXPECTED_CODES),
            "honest_structures": _words(b.structure[rows], HONEST_STRUCTURES),
            "owner_id": _ids("own", b.owner[rows]),
            "household_id": _ids("hh", b.household[rows]),
            "ring_id": _ids("ring", b.ring[rows]),
        }
    )
    label = orders.label[clean.order_rows]
    labelled = np.flatnonzero(label > 0)
    order_truth = pa.table(
        {
            "order_id": clean.orders.column("order_id").take(pa.array(labelled)),
            "label": pa.array(ORDER_LABELS, type=pa.string()).take(pa.array(label[labelled])),
        }
    )

    ring_rows = [
        (i, int(a), role, g.kind)
        for i, g in enumerate(b.rings)
        for a, role in zip(g.members.tolist(), g.roles, strict=True)
    ]
    rings = pa.table(
        {
            "ring_id": _ids("ring", [r[0] for r in ring_rows]),
            "account_id": clean.account_id.take(pa.array([r[1] for r in ring_rows], pa.int64())),
            "role": pa.array([r[2] for r in ring_rows], pa.string()),
            "kind": pa.array([r[3] for r in ring_rows], pa.string()),
        }
    )
    cycle_rows = [
        (i, int(a), p) for i, members in enumerate(b.cycles) for p, a in enumerate(members.tolist())
    ]
    cycles = pa.table(
        {
            "cycle_id": _ids("cycle", [r[0] for r in cycle_rows]),
            "account_id": clean.account_id.take(pa.array([r[1] for r in cycle_rows], pa.int64())),
            "position": pa.array([r[2] for r in cycle_rows], pa.int64()),
        }
    )

    sells = np.zeros(b.cfg.accounts, dtype=np.bool_)
    sells[orders.seller] = True
    seller_rows = rows[sells[rows]]
    sellers = pa.table(
        {
            "seller_id": clean.account_id.take(pa.array(seller_rows)),
            "label": pa.array(SELLER_LABELS, pa.string()).take(
                pa.array(_seller_labels(b)[seller_rows].astype(np.int64))
            ),
        }
    )
    tables = {
        "accounts": accounts,
        "orders": order_truth,
        "rings": rings,
        "cycles": cycles,
        "sellers": sellers,
    }
    return Truth(tables, _counts(b, orders, code, _seller_labels(b)[seller_rows]))


def _bits(mask: npt.NDArray[np.uint16], names: tuple[str, ...]) -> dict[str, int]:
    return {n: int(((mask >> i) & 1).sum()) for i, n in enumerate(names)}


def _counts(
    b: MarketBuilder,
    orders: Orders,
    code: npt.NDArray[np.uint16],
    seller_label: npt.NDArray[np.int8],
) -> dict[str, Any]:
    """What the manifest reports about the plant."""
    fraud = int((b.fraud != 0).sum())
    owners = np.bincount(b.owner[b.owner >= 0], minlength=b.n_owners)
    ring_kinds = [g.kind for g in b.rings]
    return {
        "planted": {
            "device_farm_rings": ring_kinds.count("device_farm"),
            "hijacked_rings": ring_kinds.count("hijacked"),
            "small_farm_rings": ring_kinds.count("small_farm"),
            "recruited_rings": ring_kinds.count("recruited"),
            "ring_buyers": int(sum(g.roles.count("buyer") for g in b.rings)),
            "ring_sellers": int(sum(g.roles.count("seller") for g in b.rings)),
            "self_dealing_sellers": int(b.self_dealer.sum()),
            "multi_account_groups": b.plan.multi_account,
            "owner_groups": int((owners >= 2).sum()),
            "cycles": len(b.cycles),
            "defaulted_groups": b.plan.defaulted,
            "concentrated_sellers": b.plan.concentrated,
        },
        "fraud_accounts": fraud,
        "fraud_share": round(fraud / b.cfg.accounts, 4),
        "fraud_types": _bits(b.fraud, FRAUD_TYPES),
        "expected_codes": _bits(code, EXPECTED_CODES),
        "honest_structures": {
            **_bits(b.structure, HONEST_STRUCTURES),
            "households": b.n_households,
            "hub_ips": b.plan.hub_ips,
            "offices": b.plan.offices,
            "flash_sales": b.plan.flash_sales,
            "wholesale_shops": b.plan.wholesale,
            "loyal_clubs": b.plan.loyal_clubs,
        },
        "order_labels": {
            n: int((orders.label == i).sum()) for i, n in enumerate(ORDER_LABELS) if i
        },
        "seller_labels": {n: int((seller_label == i).sum()) for i, n in enumerate(SELLER_LABELS)},
        "account_statuses": {n: int((b.status == i).sum()) for i, n in enumerate(ACCOUNT_STATUSES)},
        "concentration_rule": CONCENTRATION_RULE,
    }

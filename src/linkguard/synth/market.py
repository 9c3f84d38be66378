"""Generate a synthetic marketplace: the steps in order, and the result.

Examples
--------
>>> m = generate_market(accounts=600, seed=1)
>>> sorted(m.tables)
['accounts', 'identifiers', 'loans', 'orders', 'repayments']
>>> sorted(m.truth)
['accounts', 'cycles', 'dirty', 'orders', 'rings', 'sellers']
>>> m.tables["accounts"].num_rows - m.manifest["dirty_rows"]["accounts"]
600
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linkguard.synth import dirty
from linkguard.synth.builder import MarketBuilder
from linkguard.synth.circular import plant_cycles
from linkguard.synth.concentrated import plant_concentrated
from linkguard.synth.farms import HiddenPlan, plant_recruited_rings, plant_small_farms
from linkguard.synth.honest import dilute_concentration, finalise_created, populate, retail_orders
from linkguard.synth.linked import plant_defaulted, plant_multi_accounts, plant_self_dealing
from linkguard.synth.loans import make_loans
from linkguard.synth.lookalikes import plant_lookalikes
from linkguard.synth.orders import Orders, collect
from linkguard.synth.plan import DAY, Plan, SynthConfig
from linkguard.synth.rings import plant_device_farms, plant_hijacked_rings
from linkguard.synth.structures import plant_structures
from linkguard.synth.tables import CleanTables, build_tables
from linkguard.synth.truth import build_truth
from linkguard.synth.vocab import STATUS_CODE

__all__ = ["GENERATOR_VERSION", "STAGES", "SynthMarket", "generate_market"]

#: Bumped whenever the same arguments would generate different data.
GENERATOR_VERSION = "2"
#: The steps reported to ``progress``, in order.
STAGES = (
    "plan",
    "honest trade",
    "honest structures",
    "planted fraud",
    "retail orders",
    "order status",
    "loans",
    "tables",
    "dirty rows",
    "truth",
)
#: Share of honest, unlinked accounts the platform froze or blacklisted (chargebacks, spam).
HONEST_BAD_SHARE = 0.003
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SynthMarket:
    """A generated marketplace.

    Attributes
    ----------
    config
        The arguments it was generated from.
    tables
        ``orders``, ``accounts``, ``identifiers``, ``loans``, ``repayments``: all-text Arrow
        tables in file order, bad rows included (contract section 1; ``repayments`` has none).
    truth
        ``accounts``, ``orders``, ``rings``, ``cycles``, ``sellers``, ``dirty``: the ground
        truth; ``dirty.file`` names the table and ``dirty.line`` is the physical CSV line
        (header = line 1).
    manifest
        Seed, sizes and counts of every planted kind.
    """

    config: SynthConfig
    tables: dict[str, pa.Table]
    truth: dict[str, pa.Table]
    manifest: dict[str, Any]


def generate_market(
    accounts: int,
    seed: int,
    orders: int | None = None,
    *,
    days: int = 90,
    end: str = "2026-02-01T00:00:00Z",
    dirty_fraction: float = 0.001,
    difficulty: str = "standard",
    progress: Callable[[str], None] | None = None,
) -> SynthMarket:
    """Generate a marketplace with planted fraud and its ground truth.

    Parameters
    ----------
    accounts
        Number of accounts (at least 500).
    seed
        Seed: the same arguments always give the same market, byte for byte once written.
    orders
        Target number of orders (default five per account).
    days
        Length of the order history.
    end
        End of the history, ISO-8601 UTC.
    dirty_fraction
        Share of extra bad rows per table (0 for none).
    difficulty
        How well the rings disguise themselves: ``standard`` or ``hard``
        (:data:`linkguard.synth.plan.DIFFICULTIES`).
    progress
        Called with each name in :data:`STAGES` as the step starts.

    Returns
    -------
    SynthMarket

    Raises
    ------
    ValueError
        When an argument is out of range.
    """
    cfg = SynthConfig(accounts, seed, orders, days, end, dirty_fraction, difficulty)
    report = progress or (lambda _stage: None)
    rng = np.random.default_rng(seed)

    report(STAGES[0])
    plan = Plan.draw(rng, cfg)
    hidden = HiddenPlan.draw(rng, cfg) if difficulty == "realistic" else None
    b = MarketBuilder(cfg, plan, rng)
    report(STAGES[1])
    extra = hidden.new_accounts if hidden is not None else 0
    shops, buyers = populate(b, accounts - plan.new_fraud_accounts - extra)
    report(STAGES[2])
    popular = plant_structures(b, shops, buyers)
    report(STAGES[3])
    # Hijack victims: established buyers (a year or more) outside every honest structure.
    old = b.created_hint[buyers] < b.start - 365 * DAY
    victims = buyers[old & (b.structure[buyers] == 0)]
    plant_hijacked_rings(b, victims, shops[b.popularity[shops] > 0])
    plant_device_farms(b, popular)
    if hidden is not None:
        plant_small_farms(b, hidden, b.honest(shops))
        old = b.created_hint[buyers] < b.start - 365 * DAY
        plant_recruited_rings(
            b, hidden, buyers[old & (b.structure[buyers] == 0) & (b.fraud[buyers] == 0)]
        )
    plant_self_dealing(b)
    plant_multi_accounts(b)
    plant_defaulted(b)
    plant_cycles(b)
    plant_concentrated(b, b.honest(buyers))
    if hidden is not None:
        plant_lookalikes(b, b.honest(shops), b.honest(buyers))
    assert b.n == accounts, "every account is allocated exactly once"
    report(STAGES[4])
    retail_orders(b, cfg.orders - b.n_orders)
    report(STAGES[5])
    all_orders = collect(b)
    moved = dilute_concentration(b, all_orders, shops)
    finalise_created(b, all_orders)
    _freeze_some(b)
    report(STAGES[6])
    loans = make_loans(b, all_orders)
    report(STAGES[7])
    clean = build_tables(b, all_orders, loans)
    report(STAGES[8])
    tables, dirty_rows = _add_dirty(b, all_orders, loans.account, clean)
    report(STAGES[9])
    truth = build_truth(b, all_orders, clean)
    truth_tables = dict(truth.tables)
    truth_tables["dirty"] = pa.table(
        {
            "file": pa.array([d["file"] for d in dirty_rows], pa.string()),
            # Physical line: the header is line 1, data row 0 is line 2 (no field spans lines).
            "line": pa.array([d["row"] + 2 for d in dirty_rows], pa.int64()),
            "reason": pa.array([d["reason"] for d in dirty_rows], pa.string()),
        }
    )
    manifest = {
        "generator": "linkguard.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "accounts": accounts,
        "orders_target": cfg.orders,
        "days": days,
        "start": _iso(cfg.start_s),
        "end": _iso(cfg.end_s),
        "dirty_fraction": dirty_fraction,
        "difficulty": difficulty,
        "rows": {name: t.num_rows for name, t in tables.items()},
        "dirty_rows": {name: sum(d["file"] == name for d in dirty_rows) for name in tables},
        "kind_spellings": clean.respelled,
        "orders_reassigned_to_dilute_concentration": moved,
        **truth.counts,
    }
    return SynthMarket(cfg, tables, truth_tables, manifest)


def _iso(seconds: int) -> str:
    return str(np.datetime64(seconds, "s")) + "Z"


def _freeze_some(b: MarketBuilder) -> None:
    """Freeze or blacklist a few honest accounts that nobody is linked to."""
    alone = np.flatnonzero((b.fraud == 0) & (b.household < 0) & (b.owner < 0) & (b.status == 0))
    hit = b.rng.choice(alone, round(HONEST_BAD_SHARE * b.cfg.accounts), replace=False)
    b.status[hit] = b.rng.choice([STATUS_CODE["frozen"], STATUS_CODE["blacklisted"]], len(hit))


def _add_dirty(
    b: MarketBuilder, orders: Orders, loan_accounts: IntArray, clean: CleanTables
) -> tuple[dict[str, pa.Table], list[dict[str, Any]]]:
    """Insert the bad rows into every table; bad rows copy rows of honest accounts only."""
    honest = b.fraud == 0
    o = clean.order_rows
    eligible = {
        "orders": np.flatnonzero(
            (orders.label[o] == 0) & honest[orders.buyer[o]] & honest[orders.seller[o]]
        ),
        "accounts": np.flatnonzero(honest[clean.account_rows]),
        "identifiers": np.flatnonzero(honest[clean.identifier_accounts]),
        "loans": np.flatnonzero(honest[loan_accounts]),
    }

    def fresh(prefix: str, start: int) -> Callable[[int], list[str]]:
        return lambda k: [f"{prefix}{start + i}" for i in range(k)]

    # Only orders and loans need new ids: other bad rows keep (or break) the copied id.
    fresh_ids = {"orders": fresh("O", clean.next_order), "loans": fresh("L", clean.next_loan)}
    tables: dict[str, pa.Table] = {}
    rows: list[dict[str, Any]] = []
    for name in ("orders", "accounts", "identifiers", "loans"):
        tables[name], bad = dirty.inject(
            name,
            getattr(clean, name),
            eligible[name],
            b.rng,
            b.cfg.dirty_fraction,
            fresh_ids.get(name),
        )
        rows += bad
    tables["repayments"] = clean.repayments
    return tables, rows

"""Score a snapshot against a synthetic market's ground truth (``OUT_DIR/truth/``).

Used by the end-to-end tests and by ``linkguard evaluate`` to see how a ruleset change moves
precision and recall before it ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linkguard.errors import InputError
from linkguard.pipeline.snapshot import Snapshot

__all__ = ["FRAUD_CODES", "HONEST_SHOP_LABELS", "Evaluation", "evaluate_snapshot", "f1"]

#: Flag codes that say fraud (not merely "linked" or "concentrated").
FRAUD_CODES = ("SELF_DEALING", "BRUSHING_RING", "LOCKSTEP", "CIRCULAR_TRADE", "LINKED_TO_BAD")
#: Honest shops that look suspicious to a naive detector and must raise no fraud code.
HONEST_SHOP_LABELS = (
    "flash_sale",
    "wholesale",
    "loyal_club",
    "workplace_wifi",
    "fan_community",
    "promotion",
    "new_user_campaign",
)
#: Orders whose GMV is fake and should leave adjusted GMV.
FAKE_ORDER_LABELS = ("brushing", "self_dealing", "circular")


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    predicted: int
    actual: int

    def __str__(self) -> str:
        return (
            f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
            f"(predicted {self.predicted}, actual {self.actual})"
        )


def f1(predicted: set[Any], actual: set[Any]) -> Score:
    tp = len(predicted & actual)
    p = tp / len(predicted) if predicted else (1.0 if not actual else 0.0)
    r = tp / len(actual) if actual else 1.0
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return Score(p, r, f, len(predicted), len(actual))


@dataclass
class Evaluation:
    """Every figure the acceptance criteria name."""

    seller_fraud: Score
    seller_by_code: dict[str, Score]
    account_by_code: dict[str, Score]
    ring_buyers: Score
    ring_sellers: Score
    linked_pairs: Score
    honest_shops_flagged: list[str]
    fake_gmv_removed: float
    honest_gmv_removed: float
    notes: list[str] = field(default_factory=list)
    #: Sellers of owners with two or more shops, and those flagged at review or above.
    owner_sellers: int = 0
    owner_sellers_flagged: int = 0
    #: Family and office shops (several shops at one address, one owner each) flagged at
    #: review or above, or raised ``LINKED_ACCOUNTS`` at all.
    look_alike_sellers: int = 0
    look_alike_sellers_flagged: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"seller-level, any fraud code: {self.seller_fraud}"]
        out += [f"seller-level {code}: {s}" for code, s in self.seller_by_code.items()]
        out += [f"account-level {code}: {s}" for code, s in self.account_by_code.items()]
        out += [
            f"ring buyers: {self.ring_buyers}",
            f"ring sellers: {self.ring_sellers}",
            f"linked-account pairs: {self.linked_pairs}",
            f"honest look-alike shops with a fraud code: {len(self.honest_shops_flagged)}"
            + (f" {self.honest_shops_flagged[:10]}" if self.honest_shops_flagged else ""),
            f"fake GMV removed from adjusted_gmv: {self.fake_gmv_removed:.1%}",
            f"honest GMV removed from adjusted_gmv: {self.honest_gmv_removed:.2%}",
            f"sellers of multi-shop owners flagged at review or above: "
            f"{self.owner_sellers_flagged} of {self.owner_sellers}"
            + (
                f" ({self.owner_sellers_flagged / self.owner_sellers:.1%})"
                if self.owner_sellers
                else ""
            ),
            f"family and office shops flagged (review or above, or LINKED_ACCOUNTS): "
            f"{len(self.look_alike_sellers_flagged)} of {self.look_alike_sellers}"
            + (
                f" {self.look_alike_sellers_flagged[:10]}"
                if self.look_alike_sellers_flagged
                else ""
            ),
        ]
        return out + self.notes


def _read(truth: Path, name: str) -> pd.DataFrame:
    path = truth / f"{name}.csv"
    if not path.is_file():
        raise InputError(f"ground truth file missing: {path}")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _split(cell: str) -> list[str]:
    return [x for x in cell.split(";") if x]


def _pairs(groups: pd.Series) -> set[tuple[str, str]]:
    """All unordered member pairs of each group (index: account id, value: group id)."""
    out: set[tuple[str, str]] = set()
    for _, members in groups.groupby(groups):
        ids = sorted(members.index)
        out.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return out


def evaluate_snapshot(snapshot: Snapshot, data_dir: str | Path) -> Evaluation:
    """Score ``snapshot`` against ``data_dir/truth``."""
    data_dir = Path(data_dir)
    truth = data_dir / "truth"
    accounts = _read(truth, "accounts").set_index("account_id")
    sellers = _read(truth, "sellers").set_index("seller_id")
    rings = _read(truth, "rings")
    fake_orders = _read(truth, "orders")
    flags = snapshot.flags

    all_codes = (*FRAUD_CODES, "LINKED_ACCOUNTS", "HIGH_CONCENTRATION")
    expected: dict[str, set[str]] = {code: set() for code in all_codes}
    for acc, codes in accounts["expected_codes"].items():
        for code in _split(codes):
            expected.setdefault(code, set()).add(str(acc))
    flagged = {code: set(flags.loc[flags["code"] == code, "account_id"]) for code in expected}
    seller_ids = set(sellers.index)
    fraud_sellers_pred = set().union(*(flagged[c] for c in FRAUD_CODES)) & seller_ids
    fraud_sellers_true = set().union(*(expected[c] for c in FRAUD_CODES)) & seller_ids

    honest_labels = sellers[sellers["label"].isin(HONEST_SHOP_LABELS)].index
    honest_flagged = sorted(set(honest_labels) & fraud_sellers_pred)

    members = snapshot.clusters.set_index("account_id")["cluster_id"]
    owners = accounts.loc[accounts["owner_id"] != "", "owner_id"]
    households = accounts.loc[accounts["household_id"] != "", "household_id"]
    household_pairs = _pairs(households)
    pred_pairs = _pairs(members) - household_pairs
    true_pairs = _pairs(owners) - household_pairs

    # Household members may be linked or not (a shared tablet is a strong link, the home
    # router and address alone are not): as for pairs, they count neither for nor against.
    neutral = {"LINKED_ACCOUNTS": {str(a) for a in households.index} - expected["LINKED_ACCOUNTS"]}

    gmv_removed = _gmv_removed(snapshot, data_dir, fake_orders)
    owner_sellers, look_alikes = _multi_shop_sellers(accounts, sellers)
    serious = set(
        snapshot.accounts.loc[
            snapshot.accounts["risk_level"].isin(["review", "decline"]), "account_id"
        ]
    )
    look_alike_flagged = sorted(look_alikes & (serious | flagged["LINKED_ACCOUNTS"]))
    return Evaluation(
        seller_fraud=f1(fraud_sellers_pred, fraud_sellers_true),
        seller_by_code={c: f1(flagged[c] & seller_ids, expected[c] & seller_ids) for c in expected},
        account_by_code={c: f1(flagged[c] - neutral.get(c, set()), expected[c]) for c in expected},
        ring_buyers=f1(
            set(snapshot.rings.loc[snapshot.rings.role == "buyer", "account_id"]),
            set(rings.loc[rings.role == "buyer", "account_id"]),
        ),
        ring_sellers=f1(
            set(snapshot.rings.loc[snapshot.rings.role == "seller", "account_id"]),
            set(rings.loc[rings.role == "seller", "account_id"]),
        ),
        linked_pairs=f1(pred_pairs, true_pairs),
        honest_shops_flagged=honest_flagged,
        fake_gmv_removed=gmv_removed[0],
        honest_gmv_removed=gmv_removed[1],
        owner_sellers=len(owner_sellers),
        owner_sellers_flagged=len(owner_sellers & serious),
        look_alike_sellers=len(look_alikes),
        look_alike_sellers_flagged=look_alike_flagged,
    )


def _multi_shop_sellers(accounts: pd.DataFrame, sellers: pd.DataFrame) -> tuple[set[str], set[str]]:
    """Sellers of owners with 2+ shops; honest sellers sharing an address with another.

    The look-alikes are shops of one household (relatives each running a shop from home)
    and shops of one office building: several shops at one address, each its own owner.
    """
    is_seller = accounts.index.isin(sellers.index)
    shops = accounts[is_seller]
    owners = shops.loc[shops["owner_id"] != "", "owner_id"]
    multi = owners[owners.map(owners.value_counts()) >= 2]
    homes = shops.loc[(shops["household_id"] != "") & (shops["owner_id"] == ""), "household_id"]
    family = homes[homes.map(homes.value_counts()) >= 2]
    office = sellers.index[sellers["label"] == "office"]
    return {str(a) for a in multi.index}, {str(a) for a in family.index} | set(office)


def _gmv_removed(
    snapshot: Snapshot, data_dir: Path, fake_orders: pd.DataFrame
) -> tuple[float, float]:
    """Shares of fake and of honest GMV that adjusted GMV leaves out."""
    from linkguard.io import read_market

    market = read_market(data_dir)
    o = market.orders
    counted = ~o["status"].isin(["cancelled", "refunded"]).to_numpy()
    label = o["order_id"].map(fake_orders.set_index("order_id")["label"]).fillna("").to_numpy()
    amount = o["amount"].to_numpy()
    removed_ids = set(snapshot.extra["adjustments"]["order_id"])
    removed = o["order_id"].isin(removed_ids).to_numpy()
    fake = np.isin(label, FAKE_ORDER_LABELS) & counted
    honest = (label != "camouflage") & ~fake & counted
    fake_share = amount[fake & removed].sum() / max(amount[fake].sum(), 1e-9)
    honest_share = amount[honest & removed].sum() / max(amount[honest].sum(), 1e-9)
    return float(fake_share), float(honest_share)

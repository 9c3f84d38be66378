"""The synthetic marketplace: determinism, truth consistent with the tables, realism, CLI.

Most checks run on one 2,000-account market (seed 7), the arguments of the committed sample,
which is also compared byte for byte with it. The truth is checked against the written files
with independent pandas code, not with the generator's own helpers.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import linkguard.cli.synth  # noqa: F401  (registers the command)
from linkguard.cli import app
from linkguard.schema import IDENTIFIER_KIND_ALIASES, MAX_FIELD_CHARS, STRONG_IDENTIFIER_KINDS
from linkguard.synth import TRUTH_FILES, SynthConfig, generate_market, write_market
from linkguard.synth.honest import CONCENTRATION_RULE
from linkguard.synth.plan import Plan
from linkguard.synth.vocab import (
    EXPECTED_CODES,
    FRAUD_TYPES,
    HONEST_STRUCTURES,
    ID_KINDS,
    KIND_SPELLINGS,
    ORDER_LABELS,
    REALISTIC_ONLY,
    REGIONS,
    SELLER_LABELS,
)

N, SEED = 2000, 7
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "market"
TABLES = ("orders", "accounts", "identifiers", "loans")
TRUTH_COLUMNS = {
    "accounts": [
        "account_id",
        "fraud_types",
        "expected_codes",
        "honest_structures",
        "owner_id",
        "household_id",
        "ring_id",
    ],
    "orders": ["order_id", "label"],
    "rings": ["ring_id", "account_id", "role", "kind"],
    "cycles": ["cycle_id", "account_id", "position"],
    "sellers": ["seller_id", "label"],
    "dirty": ["file", "line", "reason"],
}
BAD_STATUSES = {"frozen", "defaulted", "blacklisted"}
ISO_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _canonical(kind: str) -> str:
    k = kind.lower()
    return IDENTIFIER_KIND_ALIASES.get(k, k)


def _split(cell: str) -> set[str]:
    return {x for x in cell.split(";") if x}


@dataclass
class Loaded:
    """The written market: clean tables (bad rows dropped), raw tables and truth."""

    raw: dict[str, pd.DataFrame]
    orders: pd.DataFrame
    accounts: pd.DataFrame
    identifiers: pd.DataFrame
    loans: pd.DataFrame
    truth: dict[str, pd.DataFrame]
    manifest: dict[str, object]

    def hhi(self) -> pd.DataFrame:
        """Concentration per seller over counted orders, computed here from scratch."""
        o = self.orders[~self.orders["status"].isin(["cancelled", "refunded"])]
        pair = o.groupby(["seller_id", "buyer_id"])["amount_f"].sum().reset_index()
        pair["share"] = pair["amount_f"] / pair.groupby("seller_id")["amount_f"].transform("sum")
        out = pair.groupby("seller_id").agg(
            hhi=("share", lambda s: float(((100 * s) ** 2).sum())),
            top1=("share", "max"),
            buyers=("buyer_id", "nunique"),
        )
        out["orders"] = o.groupby("seller_id").size()
        return out


@pytest.fixture(scope="module")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("market")
    write_market(generate_market(N, SEED), out)
    return out


@pytest.fixture(scope="module")
def m(market_dir: Path) -> Loaded:
    truth = {name: _read(market_dir / "truth" / f"{name}.csv") for name in TRUTH_COLUMNS}
    raw = {name: _read(market_dir / f"{name}.csv") for name in TABLES}
    clean = {}
    for name, frame in raw.items():
        bad = truth["dirty"].loc[truth["dirty"]["file"] == f"{name}.csv", "line"].astype(int) - 2
        clean[name] = frame.drop(index=bad.tolist()).reset_index(drop=True)
    orders = clean["orders"]
    orders["amount_f"] = orders["amount"].astype(float)
    orders["t"] = pd.to_datetime(orders["created_at"], utc=True)
    orders["ts"] = (orders["t"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    clean["identifiers"]["kind_c"] = clean["identifiers"]["kind"].map(_canonical)
    manifest = json.loads((market_dir / "truth" / "manifest.json").read_text())
    return Loaded(
        raw, orders, clean["accounts"], clean["identifiers"], clean["loans"], truth, manifest
    )


# --- determinism and the committed sample ---------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    write_market(generate_market(600, 3), tmp_path / "a")
    write_market(generate_market(600, 3), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(a) == 5 + len(TRUTH_FILES)
    assert a == b


def test_different_seeds_differ() -> None:
    a, b = generate_market(600, 3), generate_market(600, 4)
    assert not a.tables["orders"].equals(b.tables["orders"])
    assert not a.truth["accounts"].equals(b.truth["accounts"])


def test_committed_sample_equals_a_fresh_generation(market_dir: Path) -> None:
    """``samples/market`` is ``linkguard synth samples/market --accounts 2000 --seed 7``."""
    committed, fresh = _files(SAMPLE), _files(market_dir)
    assert sorted(committed) == sorted(fresh)
    for name, data in fresh.items():
        assert committed[name] == data, f"samples/market/{name} drifted: regenerate it"
    assert sum(len(d) for d in committed.values()) < 5_000_000


# --- the truth files -------------------------------------------------------------------------


def test_truth_has_exactly_the_promised_files_and_columns(market_dir: Path, m: Loaded) -> None:
    assert sorted(p.name for p in (market_dir / "truth").iterdir()) == sorted(TRUTH_FILES)
    for name, columns in TRUTH_COLUMNS.items():
        assert list(m.truth[name].columns) == columns, name


def test_truth_accounts_one_row_per_account(m: Loaded) -> None:
    t = m.truth["accounts"]
    assert t["account_id"].is_unique
    assert list(t["account_id"]) == list(m.accounts["account_id"])
    assert len(t) == N
    for column, words in (
        ("fraud_types", FRAUD_TYPES),
        ("expected_codes", EXPECTED_CODES),
        ("honest_structures", HONEST_STRUCTURES),
    ):
        used = set().union(*t[column].map(_split))
        assert used <= set(words), column
        assert used == set(words) - set(REALISTIC_ONLY), (
            f"every {column} word occurs at 2,000 accounts"
        )


def test_every_kind_is_planted_often_enough(m: Loaded) -> None:
    planted = m.manifest["planted"]
    assert isinstance(planted, dict)
    assert planted["device_farm_rings"] + planted["hijacked_rings"] >= 4
    assert planted["self_dealing_sellers"] >= 5
    assert planted["multi_account_groups"] >= 5
    assert planted["cycles"] >= 4
    assert planted["defaulted_groups"] >= 3
    assert planted["concentrated_sellers"] >= 4
    fraud = (m.truth["accounts"]["fraud_types"] != "").mean()
    assert 0.05 <= fraud <= 0.08
    labels = m.truth["sellers"]["label"].value_counts()
    for label, least in (
        ("flash_sale", 1),
        ("wholesale", 2),
        ("loyal_club", 2),
        ("office", 1),
        ("brushing", 8),
        ("self_dealing", 5),
        ("circular", 12),
        ("concentrated", 4),
    ):
        assert labels.get(label, 0) >= least, label
    assert set(labels.index) <= set(SELLER_LABELS)


def test_labelled_orders_are_what_their_label_says(m: Loaded) -> None:
    t = m.truth["accounts"].set_index("account_id")
    labels = m.truth["orders"]
    assert set(labels["label"]) == set(ORDER_LABELS) - {""}
    o = m.orders.merge(labels, on="order_id", how="left").fillna({"label": ""})
    assert o["label"].ne("").sum() == len(labels), "every labelled order is a clean order"
    ring = t["ring_id"]
    brushing = o[o["label"] == "brushing"]
    assert (ring[brushing["buyer_id"]].to_numpy() == ring[brushing["seller_id"]].to_numpy()).all()
    assert (ring[brushing["buyer_id"]] != "").all()
    camo = o[o["label"] == "camouflage"]
    assert t.loc[camo["buyer_id"], "fraud_types"].eq("brushing_ring").all()
    assert t.loc[camo["seller_id"], "honest_structures"].str.contains("popular_shop").all()
    selfd = o[o["label"] == "self_dealing"]
    owner = t["owner_id"]
    assert (owner[selfd["buyer_id"]].to_numpy() == owner[selfd["seller_id"]].to_numpy()).all()
    sellers = m.truth["sellers"].set_index("seller_id")["label"]
    assert sellers[selfd["seller_id"]].eq("self_dealing").all()
    assert sellers[o.loc[o["label"] == "concentrated", "seller_id"]].eq("concentrated").all()
    plain = o[o["label"] == ""]
    assert (
        not plain["buyer_id"]
        .map(ring)
        .eq(plain["seller_id"].map(ring))
        .where(plain["buyer_id"].map(ring) != "", False)
        .any()
    ), "ring-to-ring orders are all labelled"


def test_ring_sellers_receive_their_rings_bursts(m: Loaded) -> None:
    rings = m.truth["rings"]
    accounts = m.accounts.set_index("account_id")
    o = m.orders.merge(m.truth["orders"], on="order_id")
    start = m.orders["t"].min()
    assert set(rings["kind"]) == {"device_farm", "hijacked"}
    for ring_id, members in rings.groupby("ring_id"):
        buyers = set(members.loc[members["role"] == "buyer", "account_id"])
        sellers = set(members.loc[members["role"] == "seller", "account_id"])
        assert len(buyers) >= 8, ring_id
        assert 2 <= len(sellers) <= 5, ring_id
        ring_orders = o[(o["label"] == "brushing") & o["buyer_id"].isin(buyers)]
        assert set(ring_orders["seller_id"]) == sellers
        assert ring_orders.groupby("seller_id").size().min() >= 2
        # Lockstep: every buyer in three or more distinct half-hour bursts.
        bursts = ring_orders.assign(slot=ring_orders["t"].dt.floor("30min"))
        assert bursts.groupby("buyer_id")["slot"].nunique().min() >= 3
        assert set(bursts["buyer_id"]) == buyers
        assert (ring_orders["amount_f"] < 40).all(), "brushing buys the cheap item"
        created = pd.to_datetime(accounts.loc[list(buyers), "created_at"], utc=True)
        if members["kind"].iloc[0] == "device_farm":
            assert (created > start).all(), "device farms register new accounts"
        else:
            assert (created < start - pd.Timedelta(days=365)).all(), "hijacked: old accounts"
            first_ring = ring_orders["t"].min()
            history = m.orders[m.orders["buyer_id"].isin(buyers) & (m.orders["t"] < first_ring)]
            assert history["buyer_id"].nunique() == len(buyers)


def test_cycles_go_round_in_position_order(m: Loaded) -> None:
    cycles = m.truth["cycles"]
    labelled = m.orders.merge(m.truth["orders"], on="order_id")
    circular = labelled[labelled["label"] == "circular"].sort_values("t")
    for _, members in cycles.groupby("cycle_id"):
        position = members.set_index("account_id")["position"].astype(int)
        k = len(position)
        assert 3 <= k <= 6
        assert sorted(position) == list(range(k))
        mine = circular[circular["buyer_id"].isin(position.index)]
        assert len(mine) % k == 0, "whole rounds"
        assert len(mine) // k >= 2, "two rounds or more"
        for r in range(len(mine) // k):
            hop = mine.iloc[r * k : (r + 1) * k]
            assert list(position[hop["buyer_id"]]) == list(range(k))
            assert list(position[hop["seller_id"]]) == [(i + 1) % k for i in range(k)]
            amounts = hop["amount_f"]
            assert amounts.max() / amounts.min() < 1.15, "similar amounts"
            assert hop["t"].max() - hop["t"].min() < pd.Timedelta(days=7)


def _strong_holders(m: Loaded) -> pd.DataFrame:
    ids = m.identifiers[m.identifiers["kind_c"].isin(STRONG_IDENTIFIER_KINDS)]
    return ids[["account_id", "kind_c", "value"]].drop_duplicates()


def _components(nodes: set[str], groups: list[set[str]]) -> int:
    """Connected components of ``nodes`` when each group's members are joined (union-find)."""
    parent = {a: a for a in nodes}

    def find(a: str) -> str:
        while parent[a] != a:
            a = parent[a]
        return a

    for group in groups:
        first, *rest = sorted(group)
        for other in rest:
            parent[find(other)] = find(first)
    return len({find(a) for a in nodes})


def test_owner_groups_are_bound_by_strong_identifiers(m: Loaded) -> None:
    t = m.truth["accounts"]
    owners = t[t["owner_id"] != ""].groupby("owner_id")["account_id"].apply(set)
    assert len(owners) >= 15
    holders = _strong_holders(m)
    for owner_id, members in owners.items():
        assert len(members) >= 2
        mine = holders[holders["account_id"].isin(members)]
        shared = mine.groupby(["kind_c", "value"])["account_id"].apply(set)
        shared = shared[shared.map(len) >= 2]
        assert _components(members, list(shared)) == 1, owner_id


def test_strong_values_are_shared_only_by_one_owner_or_one_household(m: Loaded) -> None:
    t = m.truth["accounts"].set_index("account_id")
    holders = _strong_holders(m)
    shared = holders.groupby(["kind_c", "value"])["account_id"].apply(sorted)
    shared = shared[shared.map(len) >= 2]
    household_devices = 0
    for key, accounts in shared.items():
        kind, _ = cast(tuple[str, str], key)
        owner = set(t.loc[accounts, "owner_id"])
        household = set(t.loc[accounts, "household_id"])
        if owner != {""} and len(owner) == 1:
            continue
        assert kind == "device"
        assert len(household) == 1
        assert household != {""}
        household_devices += 1
    assert household_devices >= 1, "some households share a tablet (an honest look-alike)"


def test_households_share_address_and_home_ip(m: Loaded) -> None:
    t = m.truth["accounts"]
    households = t[t["household_id"] != ""].groupby("household_id")["account_id"].apply(set)
    assert len(households) >= 20
    ids = m.identifiers
    for members in households:
        assert 2 <= len(members) <= 5
        for kind in ("address", "ip"):
            values = ids[(ids["kind_c"] == kind) & ids["account_id"].isin(members)]
            per_value = values.groupby("value")["account_id"].nunique()
            assert per_value.max() == len(members), kind


def test_expected_codes_follow_the_plant_and_the_numbers(m: Loaded) -> None:
    t = m.truth["accounts"].set_index("account_id")
    codes = t["expected_codes"].map(_split)

    def has(code: str) -> pd.Series:
        return codes.map(lambda c: code in c)

    ring = t["ring_id"] != ""
    assert (has("BRUSHING_RING") == ring).all()
    assert (has("LOCKSTEP") == ring).all()
    assert (has("LINKED_ACCOUNTS") == (t["owner_id"] != "")).all()
    assert (has("CIRCULAR_TRADE") == t["fraud_types"].str.contains("circular")).all()
    self_dealers = set(m.truth["sellers"].query("label == 'self_dealing'")["seller_id"])
    assert set(t.index[has("SELF_DEALING")]) == self_dealers
    assert (t["fraud_types"][has("SELF_DEALING") | ring | has("CIRCULAR_TRADE")] != "").all()

    status = m.accounts.set_index("account_id")["status"]
    bad = status.isin(BAD_STATUSES)
    grouped = t[t["owner_id"] != ""]
    bad_in_group = bad[grouped.index].groupby(grouped["owner_id"]).transform("sum")
    linked_to_bad = (bad_in_group - bad[grouped.index]) > 0
    assert set(t.index[has("LINKED_TO_BAD")]) == set(linked_to_bad.index[linked_to_bad])
    assert has("LINKED_TO_BAD").sum() >= 3

    c = m.hhi()
    by_numbers = c[(c["orders"] >= 20) & ((c["hhi"] >= 2500) | (c["top1"] >= 0.5))].index
    assert set(t.index[has("HIGH_CONCENTRATION")]) == set(by_numbers)
    labels = m.truth["sellers"].set_index("seller_id")["label"]
    assert (
        labels[list(by_numbers)]
        .isin(["concentrated", "circular", "self_dealing", "brushing"])
        .all()
    ), "no honest shop is concentrated"
    assert set(labels.index[labels == "concentrated"]) <= set(by_numbers)


def test_concentration_rule_is_the_default_rulesets() -> None:
    from linkguard.rules.ruleset import ConcentrationSettings, load_ruleset

    assert ConcentrationSettings().model_dump() == CONCENTRATION_RULE
    assert load_ruleset().concentration.model_dump() == CONCENTRATION_RULE


def test_households_and_look_alikes_carry_no_expected_code(m: Loaded) -> None:
    t = m.truth["accounts"]
    honest = t[t["fraud_types"] == ""]
    # Honest accounts may only be "expected" through a planted partner: none here.
    assert (honest["expected_codes"] == "").all()
    assert (honest.loc[honest["honest_structures"] != "", "owner_id"] == "").all()


# --- dirty rows --------------------------------------------------------------------------------


def _parses(values: pd.Series, kind: str) -> pd.Series:
    if kind == "amount":
        return pd.to_numeric(values, errors="coerce").notna() & values.str.fullmatch(r"\d+\.\d\d")
    return (
        values.str.fullmatch(ISO_Z)
        & pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601").notna()
    )


def _row_defects(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per reason the loader checks, computed independently."""
    ids = {
        "orders": ["order_id", "buyer_id", "seller_id"],
        "accounts": ["account_id"],
        "identifiers": ["account_id", "kind", "value"],
        "loans": ["loan_id", "account_id"],
    }
    out = pd.DataFrame(index=df.index)
    out["field_too_long"] = df.apply(lambda col: col.str.len() > MAX_FIELD_CHARS).any(axis=1)
    out["missing_id"] = (df[ids[name]] == "").any(axis=1)
    if "amount" in df:
        number = pd.to_numeric(df["amount"], errors="coerce")
        out["bad_amount"] = number.isna()
        out["negative_amount"] = number < 0
    time_col = {
        "orders": "created_at",
        "identifiers": "seen_at",
        "loans": "applied_at",
        "accounts": "created_at",
    }[name]
    out["bad_timestamp"] = ~_parses(df[time_col], "time")
    if name == "orders":
        rated = df["rating"] != ""
        out["rating_out_of_range"] = rated & ~df["rating"].isin(["1", "2", "3", "4", "5"])
    unique = {"orders": "order_id", "accounts": "account_id", "loans": "loan_id"}.get(name)
    if unique:
        out["duplicate_id"] = df[unique].duplicated() & (df[unique] != "")
    return out


def test_dirty_lines_point_at_the_bad_rows(market_dir: Path, m: Loaded) -> None:
    dirty = m.truth["dirty"]
    assert set(dirty["reason"]) == {
        "negative_amount",
        "bad_amount",
        "bad_timestamp",
        "missing_id",
        "duplicate_id",
        "rating_out_of_range",
        "field_too_long",
    }
    fraud = set(m.truth["accounts"].query("fraud_types != ''")["account_id"])
    for name in TABLES:
        path = market_dir / f"{name}.csv"
        with path.open(newline="") as fh:
            lines = list(csv.reader(fh))
        assert len(lines) == len(m.raw[name]) + 1, "one physical line per row"
        listed = dirty[dirty["file"] == f"{name}.csv"]
        assert len(listed) >= 1, name
        defects = _row_defects(name, m.raw[name])
        rows = listed["line"].astype(int) - 2
        for row, reason in zip(rows, listed["reason"], strict=True):
            assert lines[row + 1] == list(m.raw[name].iloc[row]), "line numbers are physical"
            hit = defects.loc[row]
            assert hit[reason], (name, row, reason)
            assert hit.sum() == 1, (name, row, "exactly one defect")
            touched = {
                v
                for k, v in m.raw[name].iloc[row].items()
                if str(k).endswith("account_id") or k in ("buyer_id", "seller_id")
            }
            assert not touched & fraud, "bad rows are never part of the planted fraud"
        clean = defects.drop(index=rows.tolist())
        assert not clean.to_numpy().any(), f"{name}: only listed rows are bad"


def test_identifier_kinds_are_contract_words_or_known_spellings(m: Loaded) -> None:
    kinds = m.raw["identifiers"]["kind"]
    assert set(kinds.map(_canonical)) == set(ID_KINDS)
    respelled = kinds[~kinds.isin(ID_KINDS)]
    assert len(respelled) >= 20
    assert set(respelled) <= {s for spellings in KIND_SPELLINGS.values() for s in spellings}


def _luhn(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(
        d if i % 2 == 0 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(digits)
    )
    return total % 10 == 0


def test_identifier_values_look_like_raw_personal_data(m: Loaded) -> None:
    ids = m.identifiers
    value = {k: ids.loc[ids["kind_c"] == k, "value"] for k in ID_KINDS}
    assert value["phone"].str.fullmatch(r"\+1 \d{3}-\d{3}-\d{4}").all()
    assert value["email"].str.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+").all()
    octets = value["ip"].str.split(".", expand=True).astype(int)
    assert octets.shape[1] == 4
    assert octets.le(255).all().all()
    cards = value["card"].str.replace(" ", "")
    assert cards.str.fullmatch(r"\d{16}").all()
    assert cards.map(_luhn).all()
    assert value["id_number"].str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    assert (
        value["device"]
        .str.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}|[0-9a-f]{16}")
        .all()
    )
    assert (
        value["address"]
        .str.fullmatch(
            r"\d+ [A-Za-z ]+(, Apt \d+)?, [A-Za-z ]+, [A-Z]{2} "
            r"\d{5}"
        )
        .all()
    )
    assert value["payment_account"].str.match(r"(paypal:|venmo:@|cashapp:\$)").all()


# --- honest structures ---------------------------------------------------------------------------


def test_flash_sale_has_hundreds_of_buyers_within_half_an_hour(m: Loaded) -> None:
    flash = m.truth["sellers"].query("label == 'flash_sale'")["seller_id"]
    best = 0
    for seller in flash:
        o = m.orders[m.orders["seller_id"] == seller].sort_values("t")
        t = o["ts"].to_numpy()
        end = np.searchsorted(t, t + 30 * 60, side="right")
        best = max(best, max(o.iloc[i:j]["buyer_id"].nunique() for i, j in enumerate(end)))
    assert best >= 100


def test_wholesale_shops_stay_below_the_concentration_thresholds(m: Loaded) -> None:
    wholesale = m.truth["sellers"].query("label == 'wholesale'")["seller_id"]
    c = m.hhi().loc[wholesale]
    assert len(c) >= 2
    assert (c["buyers"] >= 8).all()
    assert (c["hhi"] < 2500).all()
    assert (c["top1"] < 0.5).all()
    big = m.orders[m.orders["seller_id"].isin(wholesale)]["amount_f"].median()
    assert big > 5 * m.orders["amount_f"].median(), "few buyers, large orders"


def test_loyal_clubs_are_regulars_spread_over_months(m: Loaded) -> None:
    clubs = m.truth["sellers"].query("label == 'loyal_club'")["seller_id"]
    assert len(clubs) >= 2
    for shop in clubs:
        o = m.orders[m.orders["seller_id"] == shop]
        per = o.groupby("buyer_id")["t"].agg(["count", "min", "max"])
        regulars = per[(per["count"] >= 3) & (per["max"] - per["min"] > pd.Timedelta(days=30))]
        assert len(regulars) >= 12


def test_hub_ips_and_office_addresses_are_shared_widely(m: Loaded) -> None:
    ids = m.identifiers
    per_ip = ids[ids["kind_c"] == "ip"].groupby("value")["account_id"].nunique()
    assert per_ip.max() >= 100, "a public Wi-Fi or carrier NAT address"
    office = set(m.truth["sellers"].query("label == 'office'")["seller_id"])
    per_address = (
        ids[(ids["kind_c"] == "address") & ids["account_id"].isin(office)]
        .groupby("value")["account_id"]
        .nunique()
    )
    assert per_address.max() >= 10


# --- realism --------------------------------------------------------------------------------------


def test_market_looks_real(m: Loaded) -> None:
    o = m.orders
    assert len(o) >= 0.95 * 5 * N
    span = o["t"].max() - o["t"].min()
    assert pd.Timedelta(days=88) < span <= pd.Timedelta(days=90)
    # Evening peak in the buyer's local time.
    offset = {r.code: r.utc_offset for r in REGIONS}
    region = o["buyer_id"].map(m.accounts.set_index("account_id")["region"]).map(offset)
    hour = (o["t"].dt.hour + region) % 24
    assert hour.between(18, 22).mean() > 3 * hour.between(2, 6).mean()
    # Ratings mostly five and four stars, some low.
    stars = o.loc[o["rating"] != "", "rating"].astype(int).value_counts(normalize=True)
    assert stars[5] > 0.5
    assert stars[5] > stars[4] > stars[3]
    assert 0.03 < stars[1] + stars[2] < 0.2
    # Popularity follows a power law; buyer activity is light tailed.
    retail = m.truth["sellers"].query("label in ('honest', 'popular_shop', 'office')")
    per_shop = o[o["seller_id"].isin(retail["seller_id"])].groupby("seller_id").size()
    top = per_shop.sort_values(ascending=False)
    assert top.iloc[: max(1, len(top) // 10)].sum() > 0.3 * top.sum()
    honest = set(m.truth["accounts"].query("fraud_types == ''")["account_id"])
    per_buyer = o[o["buyer_id"].isin(honest)].groupby("buyer_id").size()
    assert per_buyer.max() < 12 * per_buyer.mean()
    repeat = o.groupby(["buyer_id", "seller_id"]).size()
    assert (repeat >= 2).mean() > 0.1, "repeat buyers return to favourite shops"
    # Shops have their own price levels.
    level = o.groupby("seller_id")["amount_f"].median()
    assert level.quantile(0.9) > 5 * level.quantile(0.1)


def test_accounts_exist_before_they_act(m: Loaded) -> None:
    created = pd.to_datetime(m.accounts.set_index("account_id")["created_at"], utc=True)
    both = pd.concat(
        [
            m.orders[["buyer_id", "t"]].set_axis(["account_id", "t"], axis=1),
            m.orders[["seller_id", "t"]].set_axis(["account_id", "t"], axis=1),
        ]
    )
    first = both.groupby("account_id")["t"].min()
    assert (created[first.index] <= first).all()
    seen = pd.to_datetime(m.identifiers["seen_at"], utc=True)
    assert (created[m.identifiers["account_id"]].to_numpy() <= seen.to_numpy()).all()
    applied = pd.to_datetime(m.loans["applied_at"], utc=True)
    assert (created[m.loans["account_id"]].to_numpy() < applied.to_numpy()).all()


def test_orders_follow_the_contract_format(m: Loaded) -> None:
    o = m.orders
    assert o["order_id"].is_unique
    assert o["created_at"].str.fullmatch(ISO_Z).all()
    assert set(o["status"]) == {"paid", "shipped", "confirmed", "refunded", "cancelled"}
    confirmed = o["status"] == "confirmed"
    assert (o["confirmed_at"] != "").eq(confirmed).all()
    assert o.loc[confirmed, "confirmed_at"].str.fullmatch(ISO_Z).all()
    assert (o.loc[o["rating"] != "", "status"] == "confirmed").all()
    assert set(m.accounts["kind"]) == {"buyer", "seller", "both"}
    assert set(m.accounts["status"]) == {"active", "frozen", "defaulted", "blacklisted"}


def test_fraud_sellers_go_overdue_more_often(m: Loaded) -> None:
    loans = m.loans[(m.loans["decision"] == "approved") & (m.loans["first_overdue"] != "")]
    fraud = set(m.truth["accounts"].query("fraud_types != ''")["account_id"])
    is_fraud = loans["account_id"].isin(fraud)
    overdue = loans["first_overdue"].astype(int)
    honest_rate, fraud_rate = overdue[~is_fraud].mean(), overdue[is_fraud].mean()
    assert is_fraud.sum() >= 20
    assert (~is_fraud).sum() >= 20
    assert fraud_rate > 3 * honest_rate
    assert fraud_rate > 0.3
    status = m.accounts.set_index("account_id")["status"]
    with_default = set(m.loans.loc[m.loans["defaulted"] == "1", "account_id"])
    assert (status[list(with_default)] == "defaulted").all()
    planted = m.truth["accounts"].query("fraud_types == 'defaulted'")["account_id"]
    assert len(planted) >= 3
    assert set(planted) <= with_default
    assert (loans["first_overdue"].isin(["0", "1"])).all()
    assert (m.loans.loc[m.loans["defaulted"] == "1", "first_overdue"] == "1").all()


# --- scale, formats and the command line -----------------------------------------------------


def test_counts_scale_with_accounts() -> None:
    plan = Plan.draw(np.random.default_rng(0), SynthConfig(200_000, 0))
    assert plan.device_rings == 80
    assert plan.self_dealing == 500
    assert plan.cycles == 400
    assert plan.ring_buyers.max() <= 60
    assert plan.ring_buyers.max() > 40
    assert 0.05 < plan.new_fraud_accounts / 200_000 < 0.08


def test_no_dirty_rows_when_disabled() -> None:
    market = generate_market(600, 5, dirty_fraction=0)
    assert market.truth["dirty"].num_rows == 0
    assert market.tables["accounts"].num_rows == 600


def test_parquet_tables(tmp_path: Path) -> None:
    market = generate_market(600, 5)
    (tmp_path / "orders.csv").write_text("stale")
    write_market(market, tmp_path, format="parquet")
    assert not (tmp_path / "orders.csv").exists()
    orders = pd.read_parquet(tmp_path / "orders.parquet")
    assert len(orders) == market.tables["orders"].num_rows
    dirty = _read(tmp_path / "truth" / "dirty.csv")
    assert dirty["file"].str.endswith(".parquet").all()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 500"):
        generate_market(100, 1)
    with pytest.raises(ValueError, match="dirty_fraction"):
        generate_market(600, 1, dirty_fraction=0.5)
    with pytest.raises(ValueError, match="difficulty"):
        generate_market(600, 1, difficulty="impossible")


def _ring_shape(market) -> tuple[float, float, float]:
    """Mean share of a ring's buyers per (seller, hour) burst cell, mean burst spread in
    minutes, camouflage orders per device-farm buyer."""
    orders = market.tables["orders"].to_pandas()
    labels = market.truth["orders"].to_pandas()
    o = orders.merge(labels, on="order_id")
    t = pd.to_datetime(o["created_at"], utc=True)
    rings = market.truth["rings"].to_pandas()
    size = rings[rings["role"] == "buyer"].groupby("ring_id").size()
    ring_of = rings.set_index("account_id")["ring_id"]
    brushing = o[o["label"] == "brushing"].assign(t=t, ring=lambda d: d["buyer_id"].map(ring_of))
    # Bursts are told apart by gaps of more than three hours between a ring's orders.
    brushing = brushing.sort_values(["ring", "t"])
    gap = brushing.groupby("ring")["t"].diff() > pd.Timedelta(hours=3)
    brushing["burst"] = gap.groupby(brushing["ring"]).cumsum()
    per_burst = brushing.groupby(["ring", "burst"]).agg(
        buyers=("buyer_id", "nunique"), first=("t", "min"), last=("t", "max")
    )
    share = per_burst["buyers"] / size.reindex(per_burst.index.get_level_values(0)).to_numpy()
    spread = (per_burst["last"] - per_burst["first"]).dt.total_seconds() / 60
    farms = rings[(rings["kind"] == "device_farm") & (rings["role"] == "buyer")]["account_id"]
    camo = (o["label"] == "camouflage") & o["buyer_id"].isin(set(farms))
    return float(share.mean()), float(spread.mean()), camo.sum() / len(farms)


def test_hard_rings_disguise_themselves_more() -> None:
    standard = generate_market(4000, 5)
    hard = generate_market(4000, 5, difficulty="hard")
    assert standard.manifest["difficulty"] == "standard"
    assert hard.manifest["difficulty"] == "hard"
    share_s, spread_s, camo_s = _ring_shape(standard)
    share_h, spread_h, camo_h = _ring_shape(hard)
    assert share_h < share_s, "fewer of a ring's buyers join each burst"
    assert spread_h > spread_s, "bursts drag on longer"
    assert camo_h > 2 * camo_s, "more camouflage per farm account"


runner = CliRunner()


def test_cli_help_shows_an_example() -> None:
    result = runner.invoke(app, ["synth", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert "linkguard synth out/market" in result.stdout


def test_cli_writes_and_prints_a_json_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", str(tmp_path / "m"), "--accounts", "600", "--seed", "2", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["accounts"] == 600
    assert summary["seed"] == 2
    assert all(Path(f).is_file() for f in summary["files"])
    assert summary["planted"]["cycles"] >= 1


@pytest.mark.parametrize(
    "args", [["--accounts", "10"], ["--file-format", "xml"], ["--difficulty", "easy"]]
)
def test_cli_bad_usage_exits_2(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["synth", str(tmp_path / "m"), *args])
    assert result.exit_code == 2
    assert not (tmp_path / "m" / "orders.csv").exists()

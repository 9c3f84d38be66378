"""Made-up snapshots for testing and benchmarking the flag API (kept out of the wheel).

The tests import it as ``sample_snapshots`` (``tests/`` is on their path); ``bench/api.py``
puts ``tests/`` on its path to do the same.

:func:`sample_snapshot` is small and hand-written, so tests can name its accounts;
:func:`synthetic_snapshot` is as large as asked (a million flagged accounts for the memory
measurement) and vectorised so that building it takes seconds, not minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd

from linkguard.pipeline.snapshot import Snapshot, empty_table
from linkguard.schema import FLAG_CODES

__all__ = ["FLAG_CODES", "sample_snapshot", "synthetic_snapshot"]


def _summary(snapshot_id: str, created_at: str) -> dict[str, Any]:
    return {
        "snapshot_id": snapshot_id,
        "ruleset_version": "2026.1",
        "created_at": created_at,
        "rows_in": {},
        "rows_quarantined": {},
        "stage_seconds": {},
    }


def _ev(data: dict[str, Any]) -> str:
    return orjson.dumps(data).decode()


def sample_snapshot(
    snapshot_id: str = "snap-sample", created_at: str = "2026-01-01T00:00:00Z"
) -> Snapshot:
    """A hand-written snapshot: one ring, two clusters, sellers with and without findings.

    Accounts: ``S1`` (seller, decline: ring, self-dealing, concentration), ``B1`` and ``B2``
    (ring buyers, review), ``L1`` (info: linked to a defaulted account), ``M1`` (decline, five
    flag codes so its reason codes are cut to four), ``S2`` (a seller without findings),
    ``X9`` (in ``S1``'s cluster without a finding of its own); ``activity`` lists them all
    (``D1``, defaulted, without orders) with their first and last order.

    Parameters
    ----------
    snapshot_id : str
        The ``summary.json`` snapshot id.
    created_at : str
        The ``summary.json`` creation time.

    Returns
    -------
    Snapshot
    """
    flag_rows: list[tuple[str, str, str, float, str, dict[str, Any]]] = [
        (
            "S1",
            "BRUSHING_RING",
            "decline",
            0.92,
            "Seller S1 sits in a dense buyer-seller block of 3 accounts (ring R1).",
            {"ring_id": "R1", "accounts": ["B1", "B2"], "orders": 41, "amount": 1890.0},
        ),
        (
            "S1",
            "SELF_DEALING",
            "decline",
            0.88,
            "Seller S1 shares a device and a card with its buyer B1.",
            {"accounts": ["B1"], "identifier_kinds": ["card", "device"], "orders": 12},
        ),
        (
            "S1",
            "HIGH_CONCENTRATION",
            "review",
            0.61,
            "One buyer brings 64% of seller S1's revenue (HHI 4410).",
            {"hhi": 4410.0, "top1_share": 0.64, "buyer_ids": ["B1"]},
        ),
        (
            "B1",
            "BRUSHING_RING",
            "review",
            0.7,
            "Buyer B1 places most of its orders inside ring R1.",
            {"ring_id": "R1", "sellers": ["S1"], "orders": 20},
        ),
        (
            "B1",
            "LINKED_ACCOUNTS",
            "review",
            0.55,
            "B1 shares a device with 2 other accounts (cluster C1).",
            {"cluster_id": "C1", "accounts": ["S1", "X9"], "identifier_kinds": ["device"]},
        ),
        (
            "B2",
            "BRUSHING_RING",
            "review",
            0.65,
            "Buyer B2 places most of its orders inside ring R1.",
            {"ring_id": "R1", "sellers": ["S1"], "orders": 21},
        ),
        (
            "L1",
            "LINKED_TO_BAD",
            "info",
            0.3,
            "L1 shares a phone with D1, which defaulted on a loan.",
            {"cluster_id": "C2", "bad_accounts": ["D1"], "identifier_kinds": ["phone"]},
        ),
        (
            "M1",
            "SELF_DEALING",
            "decline",
            0.95,
            "Seller M1 shares an id number with 4 of its buyers.",
            {"accounts": ["Q1", "Q2", "Q3", "Q4"], "identifier_kinds": ["id_number"]},
        ),
        (
            "M1",
            "CIRCULAR_TRADE",
            "decline",
            0.9,
            "Money ran M1 -> Q1 -> Q2 -> M1 three times within 2 days.",
            {"cycle": ["M1", "Q1", "Q2"], "amounts": [500.0, 490.0, 495.0]},
        ),
        (
            "M1",
            "LOCKSTEP",
            "review",
            0.8,
            "M1 bought from the same 5 sellers as 6 other buyers within the same hours.",
            {"accounts": ["Q1", "Q2"], "windows": 4},
        ),
        (
            "M1",
            "LINKED_ACCOUNTS",
            "review",
            0.75,
            "M1 shares an id number with 4 other accounts.",
            {"identifier_kinds": ["id_number"], "accounts": ["Q1", "Q2", "Q3", "Q4"]},
        ),
        (
            "M1",
            "HIGH_CONCENTRATION",
            "info",
            0.4,
            "Two buyers bring 80% of seller M1's revenue.",
            {"top5_share": 0.8},
        ),
    ]
    flags = pd.DataFrame(
        [(a, c, s, sc, r, _ev(e)) for a, c, s, sc, r, e in flag_rows],
        columns=["account_id", "code", "severity", "score", "reason", "evidence"],
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["S1", "B1", "B2", "L1", "M1"],
            "risk_level": ["decline", "review", "review", "info", "decline"],
            "risk_score": [0.92, 0.7, 0.65, 0.3, 0.95],
            "reason_codes": [
                ["BRUSHING_RING", "SELF_DEALING", "HIGH_CONCENTRATION"],
                ["BRUSHING_RING", "LINKED_ACCOUNTS"],
                ["BRUSHING_RING"],
                ["LINKED_TO_BAD"],
                ["SELF_DEALING", "CIRCULAR_TRADE", "LOCKSTEP", "LINKED_ACCOUNTS"],
            ],
            "cluster_id": ["C1", "C1", None, "C2", None],
        }
    )
    clusters = pd.DataFrame(
        {
            "cluster_id": ["C1", "C1", "C1", "C2", "C2"],
            "account_id": ["S1", "B1", "X9", "L1", "D1"],
            "size": [3, 3, 3, 2, 2],
            "identifier_kinds": [["card", "device"], ["device"], ["device"], ["phone"], ["phone"]],
        }
    )
    rings = pd.DataFrame(
        {
            "ring_id": ["R1", "R1", "R1"],
            "account_id": ["S1", "B1", "B2"],
            "role": ["seller", "buyer", "buyer"],
            "ring_score": [0.88, 0.88, 0.88],
            "density": [0.9, 0.9, 0.9],
        }
    )
    concentration = pd.DataFrame(
        {
            "seller_id": ["S1", "S2", "M1"],
            "orders": [60, 200, 30],
            "buyers": [4, 150, 6],
            "gmv": [2600.0, 9000.0, 1500.0],
            "hhi": [4410.0, 90.0, 3300.0],
            "top1_share": [0.64, 0.03, 0.45],
            "top5_share": [1.0, 0.1, 0.8],
            "linked_buyer_share": [0.3, 0.0, 0.66],
            "ring_buyer_share": [0.55, 0.0, 0.0],
            "adjusted_gmv": [1200.5, 9000.0, 400.0],
        }
    )
    traders = ["S1", "B1", "B2", "L1", "M1", "S2", "X9"]
    activity = pd.DataFrame(
        {
            "account_id": [*traders, "D1"],
            "first_seen": pd.to_datetime(["2025-12-01T08:00:00Z"] * 7 + ["NaT"], utc=True),
            "last_seen": pd.to_datetime(["2025-12-31T18:30:00Z"] * 7 + ["NaT"], utc=True),
        }
    )
    return Snapshot(
        flags=flags,
        accounts=accounts,
        clusters=clusters,
        rings=rings,
        concentration=concentration,
        summary=_summary(snapshot_id, created_at),
        extra={"activity": activity},
    )


def synthetic_snapshot(
    n_accounts: int,
    *,
    seed: int = 0,
    snapshot_id: str = "snap-synthetic",
    created_at: str = "2026-01-01T00:00:00Z",
) -> Snapshot:
    """A large made-up snapshot with ``n_accounts`` flagged accounts.

    Each account gets 1-4 flags (2.3 on average) with a reason sentence and a JSON
    evidence object of a few ids and amounts, about the size the detectors write; 40% of
    the accounts sit in clusters of 2-6, 5% in rings of 10-30 and 20% are sellers.

    Parameters
    ----------
    n_accounts : int
        The number of flagged accounts (rows of ``accounts.parquet``).
    seed : int
        Random seed.
    snapshot_id, created_at : str
        The ``summary.json`` fields.

    Returns
    -------
    Snapshot
    """
    rng = np.random.default_rng(seed)
    ids = np.array([f"acct-{i:08d}" for i in range(n_accounts)], dtype=object)
    n_flags = rng.choice([1, 2, 3, 4], size=n_accounts, p=[0.3, 0.3, 0.2, 0.2])
    owner = np.repeat(np.arange(n_accounts), n_flags)
    total = len(owner)
    codes = np.array(FLAG_CODES, dtype=object)[rng.integers(0, len(FLAG_CODES), total)]
    sev_names = np.array(["info", "review", "decline"], dtype=object)
    severity = sev_names[rng.choice(3, size=total, p=[0.3, 0.5, 0.2])]
    score = np.round(rng.uniform(0.05, 1.0, total), 4)
    peers = rng.integers(0, n_accounts, size=(total, 3))
    amounts = np.round(rng.uniform(5, 5000, size=(total, 2)), 2)
    kinds = np.array(["device", "card", "phone", "payment_account", "id_number"], dtype=object)
    kind = kinds[rng.integers(0, len(kinds), total)]
    reason = [
        f"Account {ids[o]} shares its {k} with {ids[p[0]]} and 2 other accounts "
        f"over {int(a[0]) % 40 + 2} orders."
        for o, k, p, a in zip(owner, kind, peers, amounts, strict=True)
    ]
    evidence = [
        f'{{"accounts":["{ids[p[0]]}","{ids[p[1]]}","{ids[p[2]]}"],'
        f'"identifier_kinds":["{k}"],"amounts":[{a[0]},{a[1]}],"orders":{int(a[1]) % 90 + 3}}}'
        for k, p, a in zip(kind, peers, amounts, strict=True)
    ]
    flags = pd.DataFrame(
        {
            "account_id": ids[owner],
            "code": codes,
            "severity": severity,
            "score": score,
            "reason": reason,
            "evidence": evidence,
        }
    )
    first = np.concatenate([[0], np.cumsum(n_flags)[:-1]])
    rank = {"info": 0, "review": 1, "decline": 2}
    top = flags.assign(rank=flags["severity"].map(rank), owner=owner).sort_values(
        ["owner", "rank", "score"], ascending=[True, False, False]
    )
    lead = top.drop_duplicates("owner")
    first_codes = top.drop_duplicates(["owner", "code"]).groupby("owner", sort=True).head(4)
    reason_codes = first_codes.groupby("owner", sort=True)["code"].agg(list)
    in_cluster = rng.random(n_accounts) < 0.4
    cluster_members = np.flatnonzero(in_cluster)
    cluster_size = rng.integers(2, 7, size=len(cluster_members))
    cluster_of = np.repeat(np.arange(len(cluster_size)), cluster_size)[: len(cluster_members)]
    sizes = np.bincount(cluster_of)
    cluster_ids = np.array([f"c-{c:07d}" for c in range(len(sizes))], dtype=object)
    cluster_col = np.full(n_accounts, None, dtype=object)
    cluster_col[cluster_members] = cluster_ids[cluster_of]
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "risk_level": lead["severity"].to_numpy(),
            "risk_score": lead["score"].to_numpy(),
            "reason_codes": reason_codes.to_numpy(),
            "cluster_id": cluster_col,
        }
    )
    clusters = pd.DataFrame(
        {
            "cluster_id": cluster_ids[cluster_of],
            "account_id": ids[cluster_members],
            "size": sizes[cluster_of],
            "identifier_kinds": [[str(k)] for k in kind[first[cluster_members]]],
        }
    )
    ring_members = np.flatnonzero(rng.random(n_accounts) < 0.05)
    ring_of = np.repeat(np.arange(len(ring_members)), rng.integers(10, 31, len(ring_members)))
    ring_of = ring_of[: len(ring_members)]
    ring_score = np.round(rng.uniform(0.5, 1.0, ring_of.max() + 1 if len(ring_of) else 1), 3)
    rings = pd.DataFrame(
        {
            "ring_id": [f"r-{r:06d}" for r in ring_of],
            "account_id": ids[ring_members],
            "role": np.where(rng.random(len(ring_members)) < 0.3, "seller", "buyer"),
            "ring_score": ring_score[ring_of],
            "density": np.round(rng.uniform(0.3, 1.0, len(ring_members)), 3),
        }
    )
    sellers = np.flatnonzero(rng.random(n_accounts) < 0.2)
    gmv = np.round(rng.uniform(100, 1e6, len(sellers)), 2)
    concentration = pd.DataFrame(
        {
            "seller_id": ids[sellers],
            "orders": rng.integers(1, 5000, len(sellers)),
            "buyers": rng.integers(1, 900, len(sellers)),
            "gmv": gmv,
            "hhi": np.round(rng.uniform(0, 10000, len(sellers)), 1),
            "top1_share": np.round(rng.uniform(0, 1, len(sellers)), 3),
            "top5_share": np.round(rng.uniform(0, 1, len(sellers)), 3),
            "linked_buyer_share": np.round(rng.uniform(0, 1, len(sellers)), 3),
            "ring_buyer_share": np.round(rng.uniform(0, 1, len(sellers)), 3),
            "adjusted_gmv": np.round(gmv * rng.uniform(0.2, 1.0, len(sellers)), 2),
        }
    )
    return Snapshot(
        flags=flags,
        accounts=accounts,
        clusters=clusters if len(clusters) else empty_table("clusters"),
        rings=rings if len(rings) else empty_table("rings"),
        concentration=concentration,
        summary=_summary(snapshot_id, created_at),
    )

"""Precision on a real review graph: how many YelpChi reviewers linkguard puts in rings.

YelpChi (Rayana & Akoglu, KDD 2015: 67,395 reviews of 201 Chicago hotels and restaurants by
38,063 reviewers, each review labelled by Yelp's filter) ships offline inside the PyPI wheel
of ``UGFraud`` (``UGFraud/Yelp_Data/YelpChi/metadata.gz``; a bench-only input, never a
runtime dependency). That file keeps reviewer, product and label but neither the rating nor
the date (both ``None``), so each review becomes an order dated one day: the run is also a
test of coarse timestamps (lockstep and the burst view stand aside; the buyer x seller peel
runs). The goal: at most 2% of reviewers put in rings. The script also prints how many of
the reviewers put in rings wrote a review that the filter flagged.

Run:  pip install --no-deps ugfraud && python bench/yelpchi.py
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from linkguard.pipeline.analysis import run_analysis


def metadata_path() -> Path:
    spec = importlib.util.find_spec("UGFraud")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("UGFraud is not installed: pip install --no-deps ugfraud")
    return Path(next(iter(spec.submodule_search_locations))) / "Yelp_Data/YelpChi/metadata.gz"


def read_reviews(path: Path) -> pd.DataFrame:
    with gzip.open(path, "rt") as f:
        rows = [line.split() for line in f if line.strip()]
    reviews = pd.DataFrame(rows, columns=["user", "product", "rating", "label", "date"])
    return reviews


def main() -> None:
    reviews = read_reviews(metadata_path())
    orders = pd.DataFrame(
        {
            "order_id": [f"r{i}" for i in range(len(reviews))],
            "buyer_id": "u" + reviews["user"],
            "seller_id": "p" + reviews["product"],
            "amount": "1.00",
            "created_at": "2014-01-01",
        }
    )
    os.environ.setdefault("LINKGUARD_PEPPER", "bench-pepper")
    with tempfile.TemporaryDirectory(prefix="linkguard-yelpchi-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        orders.to_csv(data / "orders.csv", index=False)
        start = time.perf_counter()
        snap = run_analysis(data, Path(tmp) / "snapshot")
        elapsed = time.perf_counter() - start
    reviewers = set(orders["buyer_id"])
    ring_buyers = set(snap.rings.loc[snap.rings["role"] == "buyer", "account_id"])
    ring_products = set(snap.rings.loc[snap.rings["role"] == "seller", "account_id"])
    filtered = set("u" + reviews.loc[reviews["label"] == "-1", "user"])
    print(
        f"YelpChi: {len(reviews):,} reviews, {len(reviewers):,} reviewers, "
        f"{orders['seller_id'].nunique()} products; analysed in {elapsed:.1f} s"
    )
    print(
        f"reviewers put in rings: {len(ring_buyers):,} "
        f"({len(ring_buyers) / len(reviewers):.2%}; goal <= 2%), "
        f"in {snap.rings['ring_id'].nunique()} ring(s) with {len(ring_products)} product(s)"
    )
    if ring_buyers:
        print(
            f"of them with a review Yelp's filter flagged: {len(ring_buyers & filtered):,} "
            f"({len(ring_buyers & filtered) / len(ring_buyers):.1%}; "
            f"{len(filtered) / len(reviewers):.1%} of all reviewers)"
        )
    flagged = snap.flags[snap.flags["account_id"].isin(reviewers)]
    print(
        "flags on reviewers: "
        + (
            ", ".join(f"{code} {n:,}" for code, n in flagged["code"].value_counts().items())
            or "none"
        )
    )
    for note in snap.summary.get("notes", []):
        print(f"note: {note}")


if __name__ == "__main__":
    main()

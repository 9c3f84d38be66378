"""activity.parquet lists every account of the market with its first and last order."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkguard.io import read_market
from linkguard.pipeline.analysis import activity_table
from linkguard.serving.lookup import FlagIndex

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "market"


def test_activity_matches_the_orders_of_each_account() -> None:
    market = read_market(SAMPLE, pepper=b"activity-test")
    table = activity_table(market).set_index("account_id")
    assert len(table) == market.n_accounts
    o = market.orders
    ids = market.account_ids
    both = pd.concat(
        [
            pd.DataFrame({"account_id": ids[o["buyer"].to_numpy()], "t": o["created_at"]}),
            pd.DataFrame({"account_id": ids[o["seller"].to_numpy()], "t": o["created_at"]}),
        ]
    )
    expected = both.groupby("account_id")["t"].agg(["min", "max"])
    got = table.loc[expected.index]
    assert (got["first_seen"] == expected["min"]).all()
    assert (got["last_seen"] == expected["max"]).all()
    without_orders = table.index.difference(expected.index)
    assert table.loc[without_orders, "first_seen"].isna().all()


def test_openapi_documents_known_and_seen_times() -> None:
    from linkguard.api.app import create_app
    from linkguard.api.snapshots import SnapshotSource

    app = create_app(SnapshotSource(snapshot=Path("unused")), ["t"], watch=False)
    schema = app.openapi()["components"]["schemas"]["AccountFlags"]
    assert {"known", "first_seen", "last_seen"} <= set(schema["required"])
    assert schema["properties"]["known"]["type"] == "boolean"


def test_a_clean_account_of_the_analysed_sample_is_known(tmp_path: Path) -> None:
    from linkguard.pipeline.analysis import run_analysis

    snapshot = run_analysis(SAMPLE, tmp_path / "snap")
    index = FlagIndex.load(tmp_path / "snap")
    flagged = set(snapshot.accounts["account_id"])
    activity = snapshot.extra["activity"]
    market_ids = set(activity["account_id"])
    traded = set(activity.loc[activity["first_seen"].notna(), "account_id"])
    clean = sorted(traded - flagged - set(snapshot.concentration["seller_id"]))[0]
    answer = index.lookup(clean)
    assert answer["risk_level"] == "none"
    assert answer["known"] is True
    assert answer["first_seen"] is not None
    assert answer["first_seen"].endswith("Z")
    assert index.lookup("u00000000-typo")["known"] is False
    assert len(index) >= len(market_ids)

"""``analyze --engine neo4j`` on markets without optional columns gives the default engine's result.

Each case is a data directory written here: no ``accounts.created_at``, no ``confirmed_at``, no
``accounts`` table at all, and a mix of known and unknown times. Both engines run the way
``linkguard analyze`` runs them, and every snapshot table must match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from linkguard.io import read_market as ingest
from linkguard.neo4j.driver import GraphRunner
from linkguard.neo4j.engine import analyze_with_neo4j
from linkguard.pipeline.analysis import analyze_market
from linkguard.rules.ruleset import load_ruleset

pytest_plugins = ["conftest_graph"]
pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("clean_graph")]

PEPPER = b"linkguard-optional-columns"
TABLES = ("flags", "accounts", "clusters", "rings", "concentration")

ORDERS = (
    "order_id,buyer_id,seller_id,amount,created_at\n"
    "o1,b1,s1,10.50,2026-01-01T10:00:00Z\n"
    "o2,b2,s1,20,2026-01-02T10:00:00Z\n"
)
CASES: dict[str, dict[str, str]] = {
    "two orders, accounts without created_at": {
        "orders.csv": ORDERS,
        "accounts.csv": "account_id,kind\nb1,buyer\ns1,seller\n",
    },
    "no accounts table": {"orders.csv": ORDERS},
    "confirmed_at column, all empty": {
        "orders.csv": "order_id,buyer_id,seller_id,amount,created_at,confirmed_at\n"
        "o1,b1,s1,10.50,2026-01-01T10:00:00Z,\n"
        "o2,b2,s1,20,2026-01-02T10:00:00Z,\n",
        "accounts.csv": "account_id,created_at\nb1,\ns1,\n",
    },
    "some times known": {
        "orders.csv": "order_id,buyer_id,seller_id,amount,created_at,confirmed_at\n"
        "o1,b1,s1,10.50,2026-01-01T10:00:00Z,2026-01-03T10:00:00Z\n"
        "o2,b2,s1,20,2026-01-02T10:00:00Z,\n"
        "o3,s1,b1,7,2026-01-04T10:00:00Z,\n",
        "accounts.csv": "account_id,created_at,status\nb1,2025-06-01T00:00:00Z,active\ns1,,\n",
    },
}


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _cell(value: Any) -> object:
    return value if isinstance(value, str) or not hasattr(value, "__len__") else tuple(value)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_cell)
    return out.sort_values(list(out.columns), key=lambda s: s.map(repr)).reset_index(drop=True)


@pytest.mark.parametrize("case", list(CASES))
def test_neo4j_engine_matches_default_without_optional_columns(
    case: str, tmp_path: Path, graph: GraphRunner
) -> None:
    data = _write(tmp_path / "data", CASES[case])
    ruleset = load_ruleset(None)
    reference = analyze_market(ingest(data, pepper=PEPPER), ruleset)
    via_neo4j = analyze_with_neo4j(ingest(data, pepper=PEPPER), ruleset, runner=graph)
    assert len(reference.concentration) > 0  # the case exercises the seller figures
    for table in TABLES:
        pd.testing.assert_frame_equal(
            _sorted(via_neo4j.table(table)),
            _sorted(reference.table(table)),
            check_dtype=False,
            check_exact=True,
        )
    assert via_neo4j.summary["inputs"] == reference.summary["inputs"]

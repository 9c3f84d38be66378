"""The bulk importer's files and command line, without a server."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from linkguard.market import Market
from linkguard.neo4j.bulk import write_import_files


def _market(region: str) -> Market:
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2"],
            "buyer_id": ["b", "b"],
            "seller_id": ["s", "s"],
            "amount": [9.5, 1.0],
            "created_at": ["2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z"],
        }
    )
    accounts = pd.DataFrame({"account_id": ["b", "s"], "region": [region, "EU"]})
    return Market.from_frames(orders, accounts)


def test_files_without_line_breaks_are_read_as_single_line(tmp_path: Path) -> None:
    files = write_import_files(_market("NA"), tmp_path)
    assert files.multiline == ()
    args = files.admin_args()
    assert not any(a.startswith("--multiline-fields") for a in args)
    assert args[-1] == "neo4j"


def test_a_value_with_a_line_break_makes_the_import_multiline(tmp_path: Path) -> None:
    files = write_import_files(_market("north\nwest"), tmp_path)
    assert files.multiline == (tmp_path / "accounts.csv",)
    assert "--multiline-fields=true" in files.admin_args()
    assert '"north\nwest"' in (tmp_path / "accounts.csv").read_text(encoding="utf-8")


def test_times_are_iso_8601_utc_with_microseconds(tmp_path: Path) -> None:
    write_import_files(_market("NA"), tmp_path)
    with (tmp_path / "bought_from.csv").open(encoding="utf-8", newline="") as f:
        (values,) = csv.DictReader(f)
    assert values["first_at:datetime"] == "2026-01-01T10:00:00.000000Z"
    assert values["last_at:datetime"] == "2026-01-02T10:00:00.000000Z"

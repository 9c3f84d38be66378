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


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_relationships_name_their_nodes_by_integer_ids(tmp_path: Path) -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "buyer_id": ["b1", "b2", "b1"],
            "seller_id": ["s", "s", "b2"],
            "amount": [9.5, 1.0, 2.0],
            "created_at": ["2026-01-01T10:00:00Z"] * 3,
        }
    )
    identifiers = pd.DataFrame(
        {
            "account_id": ["b1", "b2", "s", "b1"],
            "kind": ["phone", "phone", "email", "email"],
            "value_hash": ["aa", "aa", "bb", "cc"],
        }
    )
    loans = pd.DataFrame(
        {
            "loan_id": ["l1"],
            "account_id": ["b2"],
            "applied_at": ["2026-01-01T00:00:00Z"],
            "amount": [100.0],
        }
    )
    files = write_import_files(Market.from_frames(orders, None, identifiers, loans), tmp_path)
    assert "--id-type=integer" in files.admin_args()
    account = {r[":ID(Account)"]: r["id"] for r in _rows(tmp_path / "accounts.csv")}
    ident = {
        r[":ID(Identifier)"]: (r["kind"], r["hash"]) for r in _rows(tmp_path / "identifiers.csv")
    }
    loan = {r[":ID(Loan)"]: r["id"] for r in _rows(tmp_path / "loans.csv")}
    assert len(ident) == 3
    trades = {
        (account[r[":START_ID(Account)"]], account[r[":END_ID(Account)"]])
        for r in _rows(tmp_path / "bought_from.csv")
    }
    assert trades == {("b1", "s"), ("b2", "s"), ("b1", "b2")}
    uses = {
        (account[r[":START_ID(Account)"]], *ident[r[":END_ID(Identifier)"]])
        for r in _rows(tmp_path / "uses.csv")
    }
    assert uses == {
        ("b1", "phone", "aa"),
        ("b2", "phone", "aa"),
        ("s", "email", "bb"),
        ("b1", "email", "cc"),
    }
    (applied,) = _rows(tmp_path / "applied_for.csv")
    assert (account[applied[":START_ID(Account)"]], loan[applied[":END_ID(Loan)"]]) == ("b2", "l1")

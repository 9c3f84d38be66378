"""The investigator's details of one account: its linked cluster, its rings, its seller figures.

Read from the snapshot's ``clusters``, ``rings`` and ``concentration`` tables (Arrow) by
:meth:`linkguard.serving.lookup.FlagIndex.view`.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from linkguard.serving.flag_json import finite_or_none

__all__ = ["cluster_view", "concentration_view", "ring_views"]


def _rows(table: pa.Table, column: str, value: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.filter(pc.equal(table[column], value)).to_pylist()
    return rows


def cluster_view(clusters: pa.Table, account_id: str) -> dict[str, Any] | None:
    own = _rows(clusters, "account_id", account_id)
    if not own or own[0]["cluster_id"] is None:
        return None
    cluster_id = own[0]["cluster_id"]
    members = sorted(_rows(clusters, "cluster_id", cluster_id), key=lambda r: r["account_id"])
    kinds = sorted({k for m in members for k in m["identifier_kinds"] or () if k})
    return {
        "cluster_id": cluster_id,
        "size": int(own[0]["size"]) if own[0]["size"] is not None else len(members),
        "identifier_kinds": kinds,
        "members": [
            {"account_id": m["account_id"], "identifier_kinds": list(m["identifier_kinds"] or [])}
            for m in members
        ],
    }


def ring_views(rings: pa.Table, account_id: str) -> list[dict[str, Any]]:
    views = []
    for own in _rows(rings, "account_id", account_id):
        members = _rows(rings, "ring_id", own["ring_id"])
        others = sorted(
            (
                {"account_id": m["account_id"], "role": m["role"]}
                for m in members
                if m["account_id"] != account_id
            ),
            key=lambda m: (str(m["role"]), str(m["account_id"])),
        )
        views.append(
            {
                "ring_id": own["ring_id"],
                "role": own["role"],
                "ring_score": finite_or_none(own["ring_score"]),
                "density": finite_or_none(own["density"]),
                "size": len(members),
                "other_members": others,
            }
        )
    views.sort(key=lambda v: -(v["ring_score"] or 0.0))
    return views


def concentration_view(concentration: pa.Table, account_id: str) -> dict[str, Any] | None:
    rows = _rows(concentration, "seller_id", account_id)
    if not rows:
        return None
    row = rows[0]
    row.pop("seller_id", None)
    return {k: finite_or_none(v) if isinstance(v, float) else v for k, v in row.items()}

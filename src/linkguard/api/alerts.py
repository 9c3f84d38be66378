"""``GET /v1/alerts?since=SNAPSHOT_ID``: post-loan alerts between an earlier snapshot and the
one served.

The earlier snapshot is looked up by its ``snapshot_id`` among the complete snapshots beside
the served one (``--snapshot-root``); the loans and repayments come from the data directory in
``LINKGUARD_DATA_DIR``. The answer is :func:`linkguard.loans.runs.run_monitor`'s: the alerts
(raised, escalated, cleared) on borrowers with an open loan and a summary by kind. Results are
kept for the last few (since, served, data) combinations, so a poller pays once per swap.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query
from starlette.exceptions import HTTPException
from starlette.responses import Response

from linkguard.api.errors import NotReady, openapi_errors
from linkguard.api.snapshots import SnapshotSource, find_snapshots
from linkguard.pipeline.snapshot import read_summary

__all__ = ["ALERTS_ROUTE", "DATA_DIR_ENV", "add_alert_routes"]

ALERTS_ROUTE = "/v1/alerts"
DATA_DIR_ENV = "LINKGUARD_DATA_DIR"
_SNAPSHOT_ID = r"^[A-Za-z0-9_.:-]{1,128}$"


def _snapshot_paths(source: SnapshotSource) -> dict[str, Path]:
    """``snapshot_id`` -> directory, for every complete snapshot the source can see."""
    dirs = (
        [c.path for c in find_snapshots(source.root)]
        if source.root is not None
        else [source.snapshot]
        if source.snapshot is not None
        else []
    )
    found: dict[str, Path] = {}
    for d in dirs:
        try:
            found.setdefault(str(read_summary(d).get("snapshot_id")), d)
        except Exception:
            continue
    return found


def _stamp(path: Path) -> float:
    files = [
        path / "loans.csv",
        path / "loans.parquet",
        path / "repayments.csv",
        path / "repayments.parquet",
        path / "loans.csv.gz",
        path / "repayments.csv.gz",
    ]
    return max((f.stat().st_mtime for f in files if f.exists()), default=0.0)


@lru_cache(maxsize=8)
def _alerts(old: Path, new: Path, data: Path, _data_stamp: float) -> bytes:
    from linkguard.loans.runs import read_loan_market, run_monitor

    return orjson.dumps(run_monitor(old, new, read_loan_market(data)))


def add_alert_routes(app: FastAPI, source: SnapshotSource) -> None:
    """Register ``GET /v1/alerts`` on ``app``."""

    @app.get(
        ALERTS_ROUTE,
        tags=["loans"],
        responses=openapi_errors(401, 404, 422, 500, 503),
        openapi_extra={"security": [{"bearerAuth": []}]},
    )
    def alerts(
        since: Annotated[
            str,
            Query(
                pattern=_SNAPSHOT_ID,
                description=("snapshot_id of the earlier snapshot, under the same snapshot root"),
            ),
        ],
    ) -> Response:
        """Flags raised, escalated or cleared on borrowers with an open loan, between snapshot
        ``since`` and the one served, with the outstanding amount at risk."""
        index = source.index
        if index is None:
            raise NotReady()
        paths = _snapshot_paths(source)
        current = index.meta.snapshot_id
        if since not in paths:
            raise HTTPException(404, f"no snapshot {since!r} beside the served one")
        data = os.environ.get(DATA_DIR_ENV)
        if not data:
            raise HTTPException(503, f"alerts need the loan data: set {DATA_DIR_ENV}")
        if current not in paths:
            raise NotReady()
        body: Any = _alerts(paths[since], paths[current], Path(data), _stamp(Path(data)))
        return Response(body, media_type="application/json")

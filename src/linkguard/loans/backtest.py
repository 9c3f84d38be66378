"""Flags against loan outcomes: bad rate, lift, drop, approval cost, KS, IV, a cut-off sweep.

Over the granted applications whose target is known and that have a point-in-time view
(:func:`linkguard.loans.views.join_views`), with ``r`` the overall bad rate:

- a segment (``flagged``: risk level review or decline; each flag ``code``; each
  ``risk_level``; each ``score_band`` of ``risk_score``) has ``applications`` n, ``share``
  n / N, ``bad_rate`` r_seg (首逾率 for the ``first_overdue`` target), ``lift`` r_seg / r
  (提升度), ``bad_rate_if_rejected`` the bad rate of the applications outside it,
  ``drop`` (r - r_rest) / r (降幅: how much the bad rate of the book falls if the segment is
  turned away) and ``approval_cost`` n / N (the share of applications turned away), plus
  ``bads`` and ``goods`` (the good applicants it would turn away) and ``bad_capture`` (its
  share of all bads);
- ``ks`` is the largest gap between the cumulative distributions of ``risk_score`` among bads
  and goods; ``iv`` is the information value of the score bands,
  sum((g_i - b_i) * ln(g_i / b_i)) over bands, with g_i, b_i the band's shares of goods and of
  bads (a band without goods or without bads counts 0.5 of one, the usual smoothing);
- ``sweep``: for each cut-off c, approving the applications with ``risk_score < c``: the
  approval rate and the bad rate of the approved.

A rate with an empty denominator is ``None``.

Examples
--------
>>> import pandas as pd
>>> apps = pd.DataFrame({"bad": [1.0, 0.0, 0.0, 1.0], "risk_score": [0.9, 0.0, 0.0, 0.0],
...                      "risk_level": ["decline", "none", "none", "none"],
...                      "codes": [("LOCKSTEP",), (), (), ()]})
>>> s = segment(apps, apps["codes"].map(lambda c: "LOCKSTEP" in c), "code", "LOCKSTEP")
>>> s["bad_rate"], s["lift"], s["bad_rate_if_rejected"], round(s["drop"], 4)
(1.0, 2.0, 0.3333333333333333, 0.3333)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from linkguard.schema import FLAG_CODES, RISK_LEVELS

__all__ = ["BANDS", "CUTOFFS", "FLAGGED_LEVELS", "backtest", "iv", "ks", "score_band", "segment"]

#: Upper edges of the score bands; band ``"0"`` holds the unflagged (score 0).
BANDS = (0.25, 0.5, 0.75, 1.0)
#: Cut-offs of the sweep: approve when ``risk_score < cutoff``.
CUTOFFS = (*tuple(round(0.05 * i, 2) for i in range(1, 21)), 1.01)
FLAGGED_LEVELS = ("review", "decline")


def _rate(bad: pd.Series) -> float | None:
    return float(bad.mean()) if len(bad) else None


def segment(apps: pd.DataFrame, mask: pd.Series, by: str, value: str) -> dict[str, Any]:
    """The figures of the applications where ``mask`` holds (see the module notes)."""
    n_all = len(apps)
    inside, outside = apps["bad"][mask.to_numpy()], apps["bad"][~mask.to_numpy()]
    overall = _rate(apps["bad"])
    rate, rest = _rate(inside), _rate(outside)
    total_bads = float(apps["bad"].sum())
    share = len(inside) / n_all if n_all else None
    return {
        "by": by,
        "value": value,
        "applications": len(inside),
        "share": share,
        "bads": int(inside.sum()),
        "goods": int(len(inside) - inside.sum()),
        "bad_rate": rate,
        "lift": rate / overall if rate is not None and overall else None,
        "bad_rate_if_rejected": rest,
        "drop": (overall - rest) / overall if rest is not None and overall else None,
        "approval_cost": share,
        "bad_capture": float(inside.sum()) / total_bads if total_bads else None,
    }


def score_band(scores: pd.Series) -> pd.Series:
    """``"0"`` for score 0, else ``"(lo, hi]"`` of :data:`BANDS` (two decimals)."""
    edges = (0.0, *BANDS)
    labels = [f"({lo:.2f}, {hi:.2f}]" for lo, hi in itertools.pairwise(edges)]
    banded = pd.cut(scores, bins=list(edges), labels=labels, include_lowest=False)
    return banded.astype(object).where(scores > 0, "0").astype(str)


def ks(bad: pd.Series, score: pd.Series) -> float | None:
    """Kolmogorov-Smirnov statistic of ``score`` between bads and goods."""
    b, g = score[bad == 1].to_numpy(), score[bad == 0].to_numpy()
    if not len(b) or not len(g):
        return None
    grid = np.unique(score.to_numpy())
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    cdf_g = np.searchsorted(np.sort(g), grid, side="right") / len(g)
    return float(np.max(np.abs(cdf_b - cdf_g)))


def iv(bad: pd.Series, bands: pd.Series) -> float | None:
    """Information value of ``bands`` for ``bad`` (0.5 smoothing of empty cells)."""
    table = pd.crosstab(bands, bad)
    if table.shape[1] < 2:
        return None
    goods, bads = table.get(0.0, table.iloc[:, 0]), table.get(1.0, table.iloc[:, -1])
    goods = goods.astype("float64").replace(0.0, 0.5)
    bads = bads.astype("float64").replace(0.0, 0.5)
    g, b = goods / goods.sum(), bads / bads.sum()
    return float(((g - b) * np.log(g / b)).sum())


def backtest(joined: pd.DataFrame, target: str) -> dict[str, Any]:
    """The backtest report of ``joined`` (applications with ``target`` and a view)."""
    has_view = joined["view_as_of"].notna()
    known = joined[target].notna()
    apps = joined[has_view & known].reset_index(drop=True)
    apps = apps.assign(bad=apps[target].astype("float64"))
    segments = [
        segment(apps, apps["risk_level"].isin(FLAGGED_LEVELS), "flagged", "true"),
        segment(apps, ~apps["risk_level"].isin(FLAGGED_LEVELS), "flagged", "false"),
    ]
    for code in FLAG_CODES:
        segments.append(segment(apps, apps["codes"].map(lambda c, k=code: k in c), "code", code))
    for level in RISK_LEVELS:
        segments.append(segment(apps, apps["risk_level"] == level, "risk_level", level))
    bands = score_band(apps["risk_score"])
    edges = (0.0, *BANDS)
    for label in ["0", *[f"({lo:.2f}, {hi:.2f}]" for lo, hi in itertools.pairwise(edges)]]:
        segments.append(segment(apps, bands == label, "score_band", label))
    sweep = []
    for cutoff in CUTOFFS:
        approved = apps["bad"][(apps["risk_score"] < cutoff).to_numpy()]
        sweep.append(
            {
                "cutoff": cutoff,
                "approved": len(approved),
                "approval_rate": len(approved) / len(apps) if len(apps) else None,
                "bad_rate": _rate(approved),
            }
        )
    return {
        "target": target,
        "applications": len(apps),
        "bads": int(apps["bad"].sum()),
        "bad_rate": _rate(apps["bad"]),
        "applications_without_view": int((known & ~has_view).sum()),
        "applications_unknown_outcome": int((~known).sum()),
        "views": sorted({t.isoformat().replace("+00:00", "Z") for t in apps["view_as_of"]}),
        "segments": segments,
        "ks": ks(apps["bad"], apps["risk_score"]),
        "iv": iv(apps["bad"], bands),
        "sweep": sweep,
    }

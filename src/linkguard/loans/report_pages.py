"""The HTML pages of the loan commands, built from their JSON results."""

from __future__ import annotations

from typing import Any

from linkguard.loans.charts import bars, curves, page, table_html

__all__ = ["backtest_page", "funnel_page", "monitor_page", "vintage_page"]

_SEGMENT_COLUMNS = (
    "by",
    "value",
    "applications",
    "share",
    "bad_rate",
    "lift",
    "bad_rate_if_rejected",
    "drop",
    "approval_cost",
    "goods",
)


def backtest_page(report: dict[str, Any]) -> str:
    """Lift and bad-rate bars per segment, the cut-off sweep, and the figures as a table."""
    segs = [s for s in report["segments"] if s["applications"]]
    sections = [
        (
            "Summary",
            table_html(
                [
                    {
                        "target": report["target"],
                        "applications": report["applications"],
                        "bad_rate": report["bad_rate"],
                        "ks": report["ks"],
                        "iv": report["iv"],
                    }
                ],
                ("target", "applications", "bad_rate", "ks", "iv"),
            ),
        )
    ]
    for by in ("flagged", "code", "risk_level", "score_band"):
        group = [s for s in segs if s["by"] == by]
        if not group:
            continue
        labels = [s["value"] for s in group]
        sections.append(
            (
                f"Lift by {by}",
                bars(
                    labels, {"lift": [s["lift"] for s in group]}, f"lift by {by}", "lift", hline=1.0
                ),
            )
        )
        sections.append(
            (
                f"Bad rate by {by}",
                bars(
                    labels,
                    {
                        "segment": [s["bad_rate"] for s in group],
                        "rest if rejected": [s["bad_rate_if_rejected"] for s in group],
                    },
                    f"{report['target']} rate by {by}",
                    "bad rate",
                    hline=report["bad_rate"],
                ),
            )
        )
    sweep = report["sweep"]
    sections.append(
        (
            "Cut-off sweep",
            curves(
                {
                    "approval rate": (
                        [s["cutoff"] for s in sweep],
                        [s["approval_rate"] for s in sweep],
                    ),
                    "bad rate of approved": (
                        [s["cutoff"] for s in sweep],
                        [s["bad_rate"] for s in sweep],
                    ),
                },
                "approve when risk_score < cut-off",
                "cut-off",
                "rate",
            ),
        )
    )
    sections.append(("Segments", table_html(report["segments"], _SEGMENT_COLUMNS)))
    return page(f"linkguard backtest: {report['target']}", sections)


def vintage_page(report: dict[str, Any]) -> str:
    """One chart per (dimension value, level): a curve per disbursal cohort."""
    sections = []
    for key, rows in _group(report["curves"], ("segment", "level")).items():
        lines: dict[str, tuple[list[float], list[float | None]]] = {}
        for r in rows:
            xs, ys = lines.setdefault(r["cohort"], ([], []))
            xs.append(r["mob"])
            ys.append(r["share_loans"])
        sections.append(
            (
                f"{key[0]}: ever {key[1]}",
                curves(
                    lines,
                    f"{key[0]}: share of loans ever {key[1]}",
                    "month on book",
                    "share of loans",
                ),
            )
        )
    sections.append(
        (
            "Curves",
            table_html(
                report["curves"],
                ("segment", "cohort", "level", "mob", "loans", "share_loans", "share_amount"),
            ),
        )
    )
    return page("linkguard vintage", sections)


def funnel_page(report: dict[str, Any]) -> str:
    """The funnel's steps as bars per period, and the re-borrow rate."""
    rows = [r for r in report["periods"] if r["borrowers"] == "all"]
    labels = [r["period"] for r in rows]
    steps = ("applied", "approved", "disbursed", "repaid_on_time")
    sections = [
        (
            "Funnel",
            bars(
                labels,
                {s: [r[s] for r in rows] for s in steps},
                "applications per step",
                "applications",
            ),
        )
    ]
    sections.append(
        (
            "By period and borrower",
            table_html(
                report["periods"],
                (
                    "period",
                    "borrowers",
                    "applied",
                    "approved",
                    "disbursed",
                    "due",
                    "repaid_on_time",
                    "approval_rate",
                    "on_time_rate",
                ),
            ),
        )
    )
    sections.append(
        (
            "Re-borrow rate",
            table_html(
                [report["reborrow"]], ("settled_borrowers", "borrowed_again", "reborrow_rate")
            ),
        )
    )
    return page("linkguard funnel", sections)


def monitor_page(report: dict[str, Any]) -> str:
    """Alerts by kind (count and outstanding amount) and the alerts as a table."""
    kinds = report["summary"]
    labels = [k["kind"] for k in kinds]
    sections = [
        (
            "Alerts",
            bars(
                labels,
                {"borrowers": [k["borrowers"] for k in kinds]},
                "alerts by kind",
                "borrowers",
            ),
        ),
        (
            "Outstanding at risk",
            bars(
                labels,
                {"outstanding": [k["outstanding"] for k in kinds]},
                "outstanding amount by kind",
                "amount",
            ),
        ),
    ]
    sections.append(
        (
            "Alert list",
            table_html(
                report["alerts"],
                (
                    "account_id",
                    "kind",
                    "old_level",
                    "new_level",
                    "added_codes",
                    "removed_codes",
                    "open_loans",
                    "outstanding",
                ),
            ),
        )
    )
    return page("linkguard monitor", sections)


def _group(
    rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out

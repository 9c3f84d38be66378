"""Findings to flags: severity, score and reason from the ruleset; per-account risk.

A :class:`Finding` is what a detector says about one account in plain facts (counts, shares,
ids, identifier kinds). The ruleset turns it into a flag: the metric named by the rule picks a
severity tier and a score, and the facts fill the reason template. An account's risk level is
its most serious flag; its risk score combines its flags' scores as independent evidence
(``1 - prod(1 - score)``); its reason codes are its flags, most important first, at most four.

Examples
--------
>>> from linkguard.rules.ruleset import load_ruleset
>>> f = Finding("s1", "HIGH_CONCENTRATION", {"hhi": 6000.0, "top1_share": 0.7,
...             "top5_share": 1.0, "orders": 40})
>>> flags, accounts = apply_rules([f], load_ruleset())
>>> flags.loc[0, "severity"], flags.loc[0, "reason"]
('info', "HHI 6,000: the top buyer made 70% and the top 5 made 100% of 40 orders' GMV")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd

from linkguard.rules.ruleset import Ruleset
from linkguard.schema import MAX_REASON_CODES, RISK_LEVELS

__all__ = ["Finding", "apply_rules"]

#: A flag's rank is its severity's place among the risk levels (``none`` is 0).
_RANK = {s: i for i, s in enumerate(RISK_LEVELS)}


@dataclass(frozen=True)
class Finding:
    """One detector's statement about one account: a flag code and the facts behind it."""

    account_id: str
    code: str
    facts: dict[str, Any]


def _json(facts: dict[str, Any]) -> str:
    return orjson.dumps(facts, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_SORT_KEYS).decode()


def apply_rules(findings: list[Finding], ruleset: Ruleset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn findings into the ``flags`` and ``accounts`` tables of a snapshot.

    Returns
    -------
    flags
        One row per flag: ``account_id, code, severity, score, reason, evidence``.
    accounts
        One row per flagged account: ``account_id, risk_level, risk_score, reason_codes``.
    """
    rows = []
    for f in findings:
        rule = ruleset.flags[f.code]
        value = float(f.facts[rule.metric])
        severity = rule.escalated(rule.severity(value), f.facts)
        if severity is None:
            continue
        rows.append(
            (
                f.account_id,
                f.code,
                severity,
                round(rule.score(value), 4),
                rule.reason.format_map(f.facts),
                _json(f.facts),
            )
        )
    flags = pd.DataFrame(
        rows, columns=["account_id", "code", "severity", "score", "reason", "evidence"]
    )
    flags["score"] = flags["score"].astype("float64")
    if flags.empty:
        accounts = pd.DataFrame(
            {
                "account_id": pd.Series(dtype=str),
                "risk_level": pd.Series(dtype=str),
                "risk_score": pd.Series(dtype="float64"),
                "reason_codes": pd.Series(dtype=object),
            }
        )
        return flags, accounts
    flags["_rank"] = flags["severity"].map(_RANK)
    flags = flags.sort_values(
        ["account_id", "_rank", "score", "code"], ascending=[True, False, False, True]
    ).reset_index(drop=True)
    # Per account, vectorised: flags are sorted by account, most important first.
    account = flags["account_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, account[1:] != account[:-1]])
    rank_max = np.maximum.reduceat(flags["_rank"].to_numpy(), starts)
    with np.errstate(divide="ignore"):
        log_keep = np.log1p(-flags["score"].to_numpy())
    risk = 1.0 - np.exp(np.add.reduceat(log_keep, starts))
    codes = flags["code"].to_numpy(dtype=object)
    ends = np.r_[starts[1:], len(flags)]
    reason_codes = [
        list(codes[a : min(b, a + MAX_REASON_CODES)])
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    accounts = pd.DataFrame(
        {
            "account_id": account[starts],
            "risk_level": np.asarray(RISK_LEVELS, dtype=object)[rank_max],
            "risk_score": np.round(risk, 4),
            "reason_codes": reason_codes,
        }
    )
    return flags.drop(columns="_rank"), accounts

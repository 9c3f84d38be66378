"""The review queue: flagged accounts ranked by risk and by the money at stake.

One row per flagged account with its verdict, its top reason and what a wrong decision would
cost: the GMV a limit is computed from, the part of it that is fake (ring, self-dealing and
circular orders, ``gmv - adjusted_gmv``) and the loans it applied for. Pure: DataFrames in, a
DataFrame out; :func:`read_queue_inputs` reads them from a snapshot.

Examples
--------
>>> import pandas as pd
>>> flags = pd.DataFrame({"account_id": ["s1", "b1"], "code": ["BRUSHING_RING"] * 2,
...     "severity": ["decline", "decline"], "score": [0.9, 0.9],
...     "reason": ["in a ring", "in a ring"]})
>>> accounts = pd.DataFrame({"account_id": ["s1", "b1"], "risk_level": ["decline"] * 2,
...     "risk_score": [0.9, 0.9], "reason_codes": [["BRUSHING_RING"]] * 2})
>>> sellers = pd.DataFrame({"seller_id": ["s1"], "gmv": [1000.0], "adjusted_gmv": [250.0]})
>>> q = review_queue(flags, accounts, sellers)
>>> q[["account_id", "fake_share", "exposure"]].values.tolist()
[['s1', 0.75, 1000.0], ['b1', nan, 0.0]]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from linkguard.errors import InputError
from linkguard.pipeline.snapshot import read_summary
from linkguard.schema import FLAG_CODES, RISK_LEVELS, SEVERITIES

__all__ = ["QUEUE_COLUMNS", "RANKINGS", "read_queue_inputs", "review_queue"]

#: The columns of a queue, in order.
QUEUE_COLUMNS = (
    "rank",
    "account_id",
    "risk_level",
    "risk_score",
    "exposure",
    "gmv",
    "adjusted_gmv",
    "fake_gmv",
    "fake_share",
    "loans",
    "loan_amount",
    "reason_codes",
    "top_code",
    "top_reason",
)
#: ``risk``: level, then exposure, then score; ``exposure``: exposure, then level and score.
RANKINGS = ("risk", "exposure")


def _level_rank(levels: pd.Series) -> pd.Series:
    order = {level: i for i, level in enumerate(RISK_LEVELS)}
    return levels.map(order).fillna(0).astype(int)


def _top_flags(flags: pd.DataFrame) -> pd.DataFrame:
    """Per account its principal flag: most severe, then highest score, then code."""
    severity = {s: i for i, s in enumerate(SEVERITIES)}
    ranked = flags.assign(_sev=flags["severity"].map(severity).fillna(-1))
    ranked = ranked.sort_values(
        ["account_id", "_sev", "score", "code"], ascending=[True, False, False, True]
    )
    columns = ["account_id", "code", "severity", "score", "reason"]
    return ranked.drop_duplicates("account_id")[columns]


def review_queue(
    flags: pd.DataFrame,
    accounts: pd.DataFrame,
    concentration: pd.DataFrame,
    loans: pd.DataFrame | None = None,
    *,
    code: str | None = None,
    level: str | None = None,
    min_exposure: float | None = None,
    top: int | None = None,
    by: str = "risk",
) -> pd.DataFrame:
    """Rank flagged accounts for review.

    Parameters
    ----------
    flags : pandas.DataFrame
        ``flags.parquet``: ``account_id, code, severity, score, reason``.
    accounts : pandas.DataFrame
        ``accounts.parquet``: ``account_id, risk_level, risk_score, reason_codes``.
    concentration : pandas.DataFrame
        ``concentration.parquet``: ``seller_id, gmv, adjusted_gmv``.
    loans : pandas.DataFrame, optional
        ``account_id, amount``, one row per loan application; None when unknown.
    code : str, optional
        Keep the accounts with a flag of this code.
    level : str, optional
        Keep the accounts at this risk level or above (``review``: review and decline).
    min_exposure : float, optional
        Keep the accounts whose exposure is at least this.
    top : int, optional
        Keep the first ``top`` rows.
    by : {"risk", "exposure"}
        ``risk`` ranks by risk level, then exposure, then risk score (within a level, the
        money at stake comes first: scores of one level differ little); ``exposure`` by
        exposure, then level and score. Ties go to the account id.

    Returns
    -------
    pandas.DataFrame
        :data:`QUEUE_COLUMNS`. ``exposure`` is the larger of the account's GMV and the
        amount of its loan applications (0 when it has neither); ``fake_gmv`` is
        ``gmv - adjusted_gmv``, ``fake_share`` that over ``gmv`` (NaN for a non-seller or a
        seller without GMV); ``loans`` and ``loan_amount`` are NaN when ``loans`` is None.

    Raises
    ------
    InputError
        When ``code``, ``level`` or ``by`` is not in the vocabulary, or ``top`` < 1.
    """
    if code is not None and code not in FLAG_CODES:
        raise InputError(f"--code must be one of {', '.join(FLAG_CODES)}, not {code!r}")
    if level is not None and level not in SEVERITIES:
        raise InputError(f"--level must be one of {', '.join(SEVERITIES)}, not {level!r}")
    if by not in RANKINGS:
        raise InputError(f"--by must be one of {', '.join(RANKINGS)}, not {by!r}")
    if top is not None and top < 1:
        raise InputError(f"--top must be at least 1, not {top}")

    flags = flags[flags["account_id"].notna()]
    tops = _top_flags(flags)
    queue = accounts.loc[
        accounts["account_id"].notna() & (accounts["risk_level"] != "none"),
        ["account_id", "risk_level", "risk_score", "reason_codes"],
    ]
    # An account with flags but no accounts row: its verdict comes from its flags (as the
    # flag API answers it).
    orphans = tops[~tops["account_id"].isin(queue["account_id"])]
    if len(orphans):
        codes = flags.groupby("account_id", sort=False)["code"].agg(
            lambda c: list(dict.fromkeys(c))
        )
        queue = pd.concat(
            [
                queue,
                pd.DataFrame(
                    {
                        "account_id": orphans["account_id"].to_numpy(),
                        "risk_level": orphans["severity"].to_numpy(),
                        "risk_score": flags.groupby("account_id")["score"]
                        .max()
                        .reindex(orphans["account_id"])
                        .to_numpy(),
                        "reason_codes": codes.reindex(orphans["account_id"]).to_numpy(),
                    }
                ),
            ],
            ignore_index=True,
        )
    queue = queue.merge(
        tops[["account_id", "code", "reason"]].rename(
            columns={"code": "top_code", "reason": "top_reason"}
        ),
        on="account_id",
        how="left",
    )
    sellers = concentration.loc[
        concentration["seller_id"].notna(), ["seller_id", "gmv", "adjusted_gmv"]
    ].rename(columns={"seller_id": "account_id"})
    queue = queue.merge(sellers, on="account_id", how="left")
    queue["fake_gmv"] = (queue["gmv"] - queue["adjusted_gmv"]).round(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = queue["fake_gmv"] / queue["gmv"]
    queue["fake_share"] = share.where(queue["gmv"] > 0)
    if loans is None:
        queue["loans"] = np.nan
        queue["loan_amount"] = np.nan
    else:
        per = loans.groupby("account_id")["amount"].agg(["size", "sum"])
        queue["loans"] = per["size"].reindex(queue["account_id"]).fillna(0).to_numpy()
        queue["loan_amount"] = per["sum"].reindex(queue["account_id"]).fillna(0.0).to_numpy()
    queue["exposure"] = np.fmax(queue["gmv"].fillna(0.0), queue["loan_amount"].fillna(0.0))

    if code is not None:
        queue = queue[queue["account_id"].isin(flags.loc[flags["code"] == code, "account_id"])]
    if level is not None:
        queue = queue[_level_rank(queue["risk_level"]) >= RISK_LEVELS.index(level)]
    if min_exposure is not None:
        queue = queue[queue["exposure"] >= min_exposure]

    queue = queue.assign(_level=_level_rank(queue["risk_level"]))
    keys = (
        ["_level", "exposure", "risk_score", "account_id"]
        if by == "risk"
        else ["exposure", "_level", "risk_score", "account_id"]
    )
    queue = queue.sort_values(keys, ascending=[False, False, False, True], kind="stable")
    if top is not None:
        queue = queue.head(top)
    queue = queue.reset_index(drop=True)
    queue["rank"] = np.arange(1, len(queue) + 1)
    queue["reason_codes"] = queue["reason_codes"].map(
        lambda c: [] if c is None or (isinstance(c, float) and np.isnan(c)) else list(c)
    )
    return queue[list(QUEUE_COLUMNS)]


def read_queue_inputs(
    snapshot: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Read what :func:`review_queue` needs from a snapshot (and loans from a data directory).

    Loans come from the snapshot's ``loans.parquet`` when it holds one, else from
    ``data_dir``'s loans table when given, else are unknown (None).

    Parameters
    ----------
    snapshot : path-like
        A complete snapshot directory.
    data_dir : path-like, optional
        The data directory the snapshot was computed from.

    Returns
    -------
    tuple
        ``flags, accounts, concentration, loans``.

    Raises
    ------
    SnapshotNotFound, SnapshotInvalid
        When the snapshot is missing or incomplete.
    """
    from linkguard.serving.answer_build import read_table

    root = Path(snapshot)
    read_summary(root)  # a missing or half-written snapshot fails here, with its own message
    flags = read_table(
        root, "flags", columns=("account_id", "code", "severity", "score", "reason")
    ).to_pandas()
    accounts = read_table(
        root, "accounts", columns=("account_id", "risk_level", "risk_score", "reason_codes")
    ).to_pandas()
    concentration = read_table(
        root, "concentration", columns=("seller_id", "gmv", "adjusted_gmv")
    ).to_pandas()
    loans: pd.DataFrame | None = None
    if (root / "loans.parquet").is_file():
        loans = pd.read_parquet(root / "loans.parquet", columns=["account_id", "amount"])
    elif data_dir is not None:
        from linkguard.io.loans import read_loans

        loans = read_loans(data_dir)
    return flags, accounts, concentration, loans

"""The loans table alone, validated as ingest validates it, for views that need no orders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from linkguard.io.discover import find_tables
from linkguard.io.sources import read_raw
from linkguard.io.validate import validate
from linkguard.schema import TABLES

__all__ = ["read_loans"]

#: The loans table holds no identifier value, so no pepper is needed to read it.
_NO_PEPPER = b"loans-hold-no-identifier"


def read_loans(data_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The loaded rows of ``data_dir``'s loans table: ``loan_id, account_id, amount``.

    Rows ingest would quarantine are left out; an absent table gives an empty frame.

    Parameters
    ----------
    data_dir : path-like
        A data directory (contract section 1).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        When ``data_dir`` is no data directory or the loans file is unreadable.
    SchemaError
        When the loans file lacks a required column.
    """
    files = find_tables(Path(data_dir))
    if "loans" not in files:
        return pd.DataFrame(
            {
                "loan_id": pd.Series(dtype=object),
                "account_id": pd.Series(dtype=object),
                "amount": pd.Series(dtype="float64"),
            }
        )
    checked = validate(read_raw(files["loans"], TABLES["loans"]), TABLES["loans"], _NO_PEPPER)
    keep = checked.loaded
    return pd.DataFrame(
        {
            "loan_id": np.asarray(checked.values["loan_id"].to_pylist(), dtype=object)[keep],
            "account_id": np.asarray(checked.values["account_id"].to_pylist(), dtype=object)[keep],
            "amount": np.asarray(checked.values["amount"], dtype="float64")[keep],
        }
    )

"""Quarantine files that are safe to open: properly quoted and free of spreadsheet formulas.

Analysts open ``quarantine/TABLE.csv`` in a spreadsheet, and the rows in it are exactly the
input nobody vouched for. So, following OWASP's CSV-injection guidance:

- a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with
  a leading ``'`` (the spreadsheet then shows it as text instead of running it); a plain
  number such as ``-5`` or ``+15551234567`` is no formula and is left as it is;
- every value holding a separator, a quote, a line feed or a carriage return is quoted (a
  bare ``\\r`` left unquoted would split a row in two for the next reader).

Examples
--------
>>> [neutralise(v) for v in ["=1+2", "@SUM(A1)", "-5", "+1 555", "\\tx", "ok", ""]]
["'=1+2", "'@SUM(A1)", '-5', "'+1 555", "'\\tx", 'ok', '']
"""

from __future__ import annotations

import csv
import os
import re

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise", "write_quarantine_csv"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: a formula prefix is escaped with ``'``."""
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_quarantine_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a quarantine frame as UTF-8 CSV, every value neutralised and quoted as needed."""
    # "\r\n" ends rows, so the writer quotes every value holding "\r" or "\n" (with "\n" alone
    # it would leave a bare "\r" unquoted).
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([neutralise(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            writer.writerow(["" if v is None else neutralise(str(v)) for v in row])

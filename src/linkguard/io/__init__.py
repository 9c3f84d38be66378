"""Validated ingest: a data directory becomes a :class:`~linkguard.market.Market`.

- :func:`read_market` reads ``orders`` (required), ``accounts``, ``identifiers`` and ``loans``
  from CSV, gzipped CSV or Parquet, normalises them, rejects bad rows into per-table quarantine
  frames with one reason each, and pseudonymises identifier values;
- :func:`pseudonymise` hashes identifier values exactly as ingest does, for modules that must
  look a value up (an investigator's phone number) without ever storing it.
"""

from __future__ import annotations

from linkguard.io.hashing import pseudonymise
from linkguard.io.read import Progress, read_market
from linkguard.io.validate import REASONS

__all__ = ["REASONS", "Progress", "pseudonymise", "read_market"]

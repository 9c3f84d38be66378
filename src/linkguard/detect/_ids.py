"""Stable ids for groups of accounts, independent of how an engine numbered the accounts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["group_id"]


def group_id(prefix: str, member_ids: Iterable[str]) -> str:
    """A short id derived from the sorted member ids, so every engine names a group alike.

    >>> group_id("C", ["b", "a"]) == group_id("C", ["a", "b"])
    True
    """
    digest = hashlib.blake2b("\x1f".join(sorted(member_ids)).encode(), digest_size=5)
    return f"{prefix}{digest.hexdigest()}"

"""The rows of ``flags.parquet`` as the JSON objects of the flag API, streamed.

:class:`FlagPieces` reads the file batch by batch and holds each flag's JSON only until the
answer of its account takes it (see :mod:`linkguard.serving.answer_build`, which builds the
answers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa

from linkguard.errors import SnapshotInvalid

__all__ = ["FlagPieces", "encode_flags", "finite_or_none", "unit_score"]


def unit_score(value: float | None) -> float:
    """A score in [0, 1]; null and NaN read as 0 and float round-off is clamped."""
    if value is None or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def finite_or_none(value: float | None) -> float | None:
    """A finite float, or None for null, NaN and infinities (JSON has no such numbers)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _evidence(text: str | None, code: str, account_id: str) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise SnapshotInvalid(
            f"flags.parquet: the evidence of flag {code} on account {account_id} "
            "is not a JSON object"
        )
    return parsed


def encode_flags(batch: pa.RecordBatch) -> list[bytes]:
    """Each flag of a batch of ``flags.parquet`` as its JSON object."""
    dumps = orjson.dumps
    ids = batch.column("account_id").to_pylist()
    codes = batch.column("code").to_pylist()
    severities = batch.column("severity").to_pylist()
    scores = batch.column("score").to_pylist()
    reasons = batch.column("reason").to_pylist()
    evidence = batch.column("evidence").to_pylist()
    # orjson hands back bytes objects that keep their whole (4 KiB) output buffer allocated;
    # copying each one to an exact-size object keeps the flags held while building small.
    return [
        bytes(
            memoryview(
                dumps(
                    {
                        "code": codes[j],
                        "severity": severities[j],
                        "score": unit_score(scores[j]),
                        "reason": reasons[j] or "",
                        "evidence": _evidence(evidence[j], codes[j], ids[j]),
                    }
                )
            )
        )
        for j in range(len(ids))
    ]


class FlagPieces:
    """The flags of ``flags.parquet`` encoded as they are streamed, each held until taken.

    ``linkguard analyze`` writes flags in account order, the order answers are built in, so
    a flag is read shortly before its answer takes it and about one batch is held at a time.
    A file in another order works as well, holding more flags meanwhile.

    Parameters
    ----------
    batches : iterator of pyarrow.RecordBatch
        ``flags.parquet`` in row order.
    n_rows : int
        Its row count (as read with the key columns).
    """

    def __init__(self, batches: Iterator[pa.RecordBatch], n_rows: int) -> None:
        self._batches = batches
        self._pieces = [b""] * n_rows
        self._read = 0

    def _changed(self) -> SnapshotInvalid:
        return SnapshotInvalid("flags.parquet changed while it was read")

    def take(self, rows: list[int]) -> list[bytes]:
        """The encoded flags of these rows, forgotten here once taken (each row is taken once)."""
        pieces = self._pieces
        needed = max(rows, default=-1) + 1
        while self._read < needed:
            batch = next(self._batches, None)
            if batch is None or self._read + batch.num_rows > len(pieces):
                raise self._changed()
            pieces[self._read : self._read + batch.num_rows] = encode_flags(batch)
            self._read += batch.num_rows
        taken = [pieces[r] for r in rows]
        for r in rows:
            pieces[r] = b""
        return taken

    def finish(self) -> None:
        """Read what is left (flags of no account) and check the file had every row."""
        for batch in self._batches:
            encode_flags(batch)  # still checked, like every other flag
            self._read += batch.num_rows
        if self._read != len(self._pieces):
            raise self._changed()

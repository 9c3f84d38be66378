"""The one rule for ids (account, order and loan ids), shared by ingest, the API and the CLI.

An id is 1 to :data:`ID_MAX_CHARS` characters of any text without a control character
(U+0000-U+001F, U+007F-U+009F: NUL, tab, line breaks, escape …), and is not ``.`` or ``..``
(HTTP clients collapse those as dot-segments of a URL path). Ingest quarantines a row whose
id breaks the rule (reason ``bad_id``); every id it accepts can be looked up by the flag API
(percent-encoded in the path; any string in a batch) and by ``linkguard account``.

Examples
--------
>>> [is_valid_id(s) for s in ("u1", "ショップ 7", "a/b+c'd", "x" * 128, "x" * 129)]
[True, True, True, True, False]
>>> [is_valid_id(s) for s in ("", "a\\nb", "nul\\x00", "..", "...")]
[False, False, False, False, True]
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ID_MAX_CHARS", "ID_PATTERN", "ID_RULE", "bad_ids", "is_valid_id"]

#: The longest id, in characters.
ID_MAX_CHARS = 128
_CONTROL = r"\x00-\x1f\x7f-\x9f"
#: A regular expression (Python and Rust syntax alike) matching exactly the valid ids.
ID_PATTERN = (
    rf"^(?:[^{_CONTROL}.][^{_CONTROL}]{{0,127}}|\.[^{_CONTROL}.][^{_CONTROL}]{{0,126}}"
    rf"|\.\.[^{_CONTROL}]{{1,126}})$"
)
#: The rule in words, for messages.
ID_RULE = f"1-{ID_MAX_CHARS} characters without control characters, not '.' or '..'"
_ID_RE = re.compile(ID_PATTERN)
_CONTROL_RE2 = r"[\x{00}-\x{1f}\x{7f}-\x{9f}]"


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is an id ingest accepts (see the module's rule)."""
    # fullmatch, not match: "$" alone would accept a trailing newline.
    return _ID_RE.fullmatch(value) is not None


def bad_ids(values: pa.ChunkedArray) -> np.ndarray:
    """Mask of the non-empty ``values`` that break the id rule (empty ones are missing ids)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    too_long = pc.greater(pc.utf8_length(values), ID_MAX_CHARS)
    control = pc.match_substring_regex(values, _CONTROL_RE2)
    dots = pc.is_in(values, value_set=pa.array([".", ".."], pa.string()))
    bad = pc.or_(pc.or_(too_long, control), dots)
    return np.asarray(pc.fill_null(bad, False).to_numpy(zero_copy_only=False), dtype=bool)

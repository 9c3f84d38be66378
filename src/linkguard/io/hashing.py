"""Pseudonymising identifier values: a keyed hash (HMAC-SHA-256) of a lightly normalised value.

Identifier values may be raw personal data (a phone number, an e-mail address). Ingest replaces
each with ``HMAC-SHA-256(pepper, normalise(value))`` in hex, cut to 32 characters (128 bits):
equal values still link, nobody without the pepper can tell what they were, and guessing a
phone number needs the pepper too. Normalisation makes the spellings of one value link:

- every kind: surrounding whitespace stripped;
- ``email``: case-folded (``Bob@Example.COM`` and ``bob@example.com`` are one address);
- ``phone`` and ``card``: only the ASCII digits kept (``+1 (555) 010-0000`` = ``15550100000``).

The kind is *not* part of the hashed message, so the same normalised text hashes alike under any
kind; consumers that must keep kinds apart key on ``(kind, value_hash)``.

Examples
--------
>>> a, b = pseudonymise(["+1 555-0100", "15550100"], "phone", b"k")
>>> a == b, len(a)
(True, 32)
>>> pseudonymise(["Bob@Example.COM"], "e-mail", b"k")[0] == pseudonymise(
...     ["bob@example.com"], "email", b"k")[0]
True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.config import pepper_bytes
from linkguard.io._kernels import KEEP, LOWER, ONLY_DIGITS, rewrite_values
from linkguard.io.arrow import (
    ArrowStrings,
    as_chunked,
    map_unique,
    numpy_of,
    string_buffers,
    strip,
    to_text,
)
from linkguard.schema import IDENTIFIER_KIND_ALIASES

__all__ = [
    "HASH_HEX_CHARS",
    "hash_bytes",
    "hash_normalised",
    "hmac_sha256_hex",
    "normalise_kind",
    "normalise_kinds",
    "normalise_values",
    "pseudonymise",
]

#: Length of a value hash in hex characters (128 bits: collisions stay out of reach).
HASH_HEX_CHARS = 32

#: SHA-256's block size in bytes (HMAC pads its key to one block).
_SHA256_BLOCK = 64

#: Most values hashed into one Arrow array (their hex digits must stay below 2 GiB).
_MAX_HASHES_PER_ARRAY = 1 << 25

#: Kinds whose values are compared on their digits only.
_DIGIT_KINDS = frozenset({"phone", "card"})
#: Kinds whose values are compared case-insensitively.
_CASEFOLD_KINDS = frozenset({"email"})


def normalise_kind(kind: str) -> str:
    """The contract word for an identifier kind: lowercased, stripped, aliases resolved.

    Inner whitespace runs become ``_`` (``"Phone Number"`` is ``phone_number``, an alias of
    ``phone``). Words that are no alias are kept as their own kind.

    >>> normalise_kind(" Device_ID "), normalise_kind("Mobile"), normalise_kind("wechat")
    ('device', 'phone', 'wechat')
    """
    word = "_".join(kind.strip().lower().split())
    return IDENTIFIER_KIND_ALIASES.get(word, word)


def normalise_kinds(kinds: ArrowStrings) -> pa.ChunkedArray:
    """:func:`normalise_kind` over an Arrow string array (one Python call per distinct kind)."""
    return map_unique(kinds, normalise_kind)


def normalise_values(values: ArrowStrings, kinds: ArrowStrings) -> pa.ChunkedArray:
    """Apply the per-kind normalisation (see the module notes) to ``values``.

    ``kinds`` must already be normalised (:func:`normalise_kinds`); nulls become empty strings.
    Digits are kept and ASCII text lowercased by one compiled pass; e-mail addresses that are
    not ASCII are case-folded by Python, so that "STRASSE" and "straße" fold alike.
    """
    vals = strip(values)
    kinds = as_chunked(kinds)
    # One lookup of each kind among the rewritten ones; -1 (not among them) keeps its value.
    rewritten = sorted(_DIGIT_KINDS | _CASEFOLD_KINDS)
    modes = np.array(
        [ONLY_DIGITS if k in _DIGIT_KINDS else LOWER for k in rewritten] + [KEEP], dtype=np.int8
    )
    where = numpy_of(pc.fill_null(pc.index_in(kinds, value_set=pa.array(rewritten)), -1))
    mode = modes[where]
    if not mode.any():
        return vals
    chunks: list[pa.Array] = []
    not_ascii: list[np.ndarray] = []
    start = 0
    for chunk in vals.chunks:
        stop = start + len(chunk)
        offsets, data, unfolded = rewrite_values(*string_buffers(chunk), mode[start:stop])
        chunks.append(
            pa.Array.from_buffers(
                pa.string(), len(chunk), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
            )
        )
        not_ascii.append(unfolded)
        start = stop
    out = pa.chunked_array(chunks, pa.string())
    unfolded = np.concatenate(not_ascii)
    if unfolded.any():
        out = _replace_where(out, unfolded, _casefold)
    return out


def _replace_where(
    values: pa.ChunkedArray, mask: np.ndarray, fn: Callable[[pa.Array], pa.Array]
) -> pa.ChunkedArray:
    """``values`` with the masked entries replaced by ``fn`` of them (the rest untouched)."""
    chosen = pa.array(mask)
    changed = fn(values.filter(chosen).combine_chunks())
    return as_chunked(pc.replace_with_mask(values.combine_chunks(), chosen, changed))


def _casefold(values: pa.Array) -> pa.Array:
    return map_unique(values, str.casefold).combine_chunks()


def hash_normalised(values: ArrowStrings, pepper: bytes) -> pa.ChunkedArray:
    """Keyed hashes of already-normalised values; the empty string maps to the empty string.

    Hashed by :func:`hmac_sha256_hex`, in slices small enough for one string array each.
    """
    values = as_chunked(values)
    whole = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    step = _MAX_HASHES_PER_ARRAY
    return pa.chunked_array(
        [_hash_array(whole.slice(start, step), pepper) for start in range(0, len(whole), step)],
        pa.string(),
    )


def hash_bytes(raw: Iterable[bytes], pepper: bytes) -> list[str]:
    """Keyed hashes of raw byte strings (for values that are not valid UTF-8 text)."""
    hashed = _hash_array(pa.array(list(raw), pa.binary()), pepper)
    return [str(h) for h in hashed.to_pylist()]


def _hash_array(values: pa.Array, pepper: bytes) -> pa.Array:
    """Hex hashes of a string or binary array without nulls, ``""`` for empty values.

    At most :data:`_MAX_HASHES_PER_ARRAY` values, so that the offsets fit in int32.
    """
    return hmac_sha256_hex(values, pepper, HASH_HEX_CHARS)


def hmac_sha256_hex(values: pa.Array, key: bytes, hex_chars: int) -> pa.Array:
    """Hex HMAC-SHA-256 of each value, cut to ``hex_chars``; empty values stay empty.

    For a key that is UTF-8 text (every ``LINKGUARD_PEPPER``) the hashing is ``polars-hash``'s
    HMAC-SHA-256 (RustCrypto, outside the interpreter lock) over every row: at about half a
    microsecond a value that is cheaper than finding the distinct values first. Other keys
    take the standard library's (:func:`_hmac_sha256_many`), one Python call per value, so
    there the distinct values are found first (Arrow's hash table), each is hashed once and
    the hashes are spread back over the rows. Either way a few values are checked against
    :func:`hmac.digest`.

    Parameters
    ----------
    values
        A string or binary array without nulls.
    key
        The HMAC key.
    hex_chars
        Even number of hex characters kept per digest (2 to 64).

    Returns
    -------
    pyarrow.Array
        A string array as long as ``values``.

    Examples
    --------
    >>> out = hmac_sha256_hex(pa.array(["abc", "", "abc"]), b"k", 8)
    >>> out.to_pylist()
    ['342e519c', '', '342e519c']
    >>> out[0].as_py() == hmac.new(b"k", b"abc", "sha256").hexdigest()[:8]
    True
    """
    if hex_chars % 2 or not 0 < hex_chars <= 64:
        raise ValueError("hex_chars must be an even number from 2 to 64")
    if values.null_count:
        raise ValueError("values must not hold nulls")
    if len(values) == 0:
        return pa.array([], pa.string())
    if len(values) * hex_chars >= 1 << 31:
        raise ValueError("too many values for one string array; hash them in slices")
    large = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    values = values.cast(pa.large_binary() if large else pa.binary())
    hashed = _hmac_hex_compiled(key, values, hex_chars)
    if hashed is None:
        encoded = pc.dictionary_encode(values)
        hashed = _hmac_hex_hashlib(key, encoded.dictionary, hex_chars).take(encoded.indices)
    _self_check(key, values, hashed, hex_chars)
    return hashed.cast(pa.string())


def _hmac_hex_compiled(key: bytes, values: pa.Array, hex_chars: int) -> pa.Array | None:
    """Hex HMAC-SHA-256 of every value by ``polars-hash`` (RustCrypto's ``hmac`` and ``sha2``,
    run outside the interpreter lock), ``""`` for an empty value; ``None`` when the key is not
    UTF-8 text, which is how that plugin takes keys."""
    try:
        text_key = key.decode("utf-8")
    except UnicodeDecodeError:
        return None
    import polars as pl
    import polars_hash as plh

    value = pl.col("value")
    digest = plh.col("value").chash.hmac_sha256(key=text_key).str.slice(0, hex_chars)
    frame = pl.DataFrame({"value": pl.from_arrow(values)})
    out = frame.select(pl.when(value.bin.size() == 0).then(pl.lit("")).otherwise(digest))
    return out.to_series().to_arrow()


def _hmac_hex_hashlib(key: bytes, values: pa.Array, hex_chars: int) -> pa.Array:
    """Hex HMAC-SHA-256 of every value by the standard library (:func:`_hmac_sha256_many`)."""
    digests = _hmac_sha256_many(key, values.to_pylist(), hex_chars // 2)
    lengths = np.fromiter(map(len, digests), dtype=np.int64, count=len(digests)) * 2
    offsets = np.zeros(len(digests) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    text = b"".join(digests).hex().encode()
    return pa.Array.from_buffers(
        pa.large_string(), len(digests), [None, pa.py_buffer(offsets), pa.py_buffer(text)]
    )


def _self_check(key: bytes, values: pa.Array, hashed: pa.Array, hex_chars: int) -> None:
    """The hashes of a few values, spread over the array, equal the standard library's."""
    n = len(values)
    for i in sorted({0, n // 3, n // 2, n - 1}) if n else ():
        message = values[i].as_py()
        expected = hmac.digest(key, message, "sha256").hex()[:hex_chars] if message else ""
        if hashed[i].as_py() != expected:
            raise RuntimeError("HMAC-SHA-256 self-check failed")  # pragma: no cover


def _hmac_sha256_many(key: bytes, messages: list[bytes], size: int) -> list[bytes]:
    """The first ``size`` bytes of HMAC-SHA-256 of each message; ``b""`` for an empty one.

    HMAC (RFC 2104) is ``H(k ^ opad || H(k ^ ipad || m))``. The two pad blocks are hashed once
    by :mod:`hashlib` (OpenSSL's SHA-256) and each message continues copies of those two
    states, as the standard library's :class:`hmac.HMAC` does, without the per-call key set-up
    of :func:`hmac.digest`: half its time per message. Short updates keep Python's interpreter
    lock (``hmac.digest`` drops and retakes it on every call, which stalls behind the other
    table being validated on the second thread).
    """
    block = hashlib.sha256(key).digest() if len(key) > _SHA256_BLOCK else key
    block = block.ljust(_SHA256_BLOCK, b"\0")
    inner_copy = hashlib.sha256(bytes(b ^ 0x36 for b in block)).copy
    outer_copy = hashlib.sha256(bytes(b ^ 0x5C for b in block)).copy
    out: list[bytes] = []
    append = out.append
    for message in messages:
        if not message:
            append(b"")
            continue
        inner = inner_copy()
        inner.update(message)
        outer = outer_copy()
        outer.update(inner.digest())
        append(outer.digest()[:size])
    return out


def pseudonymise(
    values: Iterable[str] | ArrowStrings, kind: str, pepper: bytes | None = None
) -> np.ndarray:
    """Pseudonymise identifier values of one kind, as ingest does.

    Parameters
    ----------
    values
        Raw identifier values (any iterable of ``str``, or an Arrow string array).
    kind
        Their identifier kind; aliases are accepted (``"mobile"`` is ``phone``).
    pepper
        The HMAC key; ``None`` takes :func:`linkguard.config.pepper_bytes` (which warns when
        only the development key is available).

    Returns
    -------
    numpy.ndarray
        Object array of hex hashes (32 characters), ``""`` where a value normalises to nothing.
    """
    if isinstance(values, str):
        raise TypeError("pseudonymise takes a collection of values, not one string")
    key = pepper_bytes() if pepper is None else pepper
    text = (
        values
        if isinstance(values, pa.Array | pa.ChunkedArray)
        else pa.array(list(values), pa.string())
    )
    text = to_text(text)
    kinds = pa.chunked_array([pa.nulls(len(text), pa.string()).fill_null(normalise_kind(kind))])
    hashed = hash_normalised(normalise_values(text, kinds), key)
    return np.asarray(hashed.to_pylist(), dtype=object)

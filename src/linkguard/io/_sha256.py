"""HMAC-SHA-256 over many short messages at once, compiled (numba) and run in parallel.

Python's :mod:`hmac` costs about a microsecond of interpreter overhead per value; a market with
a million identifier values would spend most of its ingest time there. This kernel hashes a
whole Arrow string array from its offsets and data buffers instead. The key's inner and outer
pad blocks are compressed once, so a message shorter than 56 bytes costs two compressions.

A compression is done by OpenSSL's ``SHA256_Transform`` (the library behind :mod:`hashlib`),
which uses the CPU's SHA instructions where there are some and is then about four times faster
than compiled Python. When that function cannot be found, or does not hash a known message
right, the compiled :func:`_compress` takes over. Both are checked against :mod:`hmac` in the
tests (messages of every length class: empty, one block, two blocks, several blocks).

Notes
-----
Words are held in uint64 and masked to 32 bits: numba widens small unsigned integers in
arithmetic, and masking keeps the wrap-around of 32-bit addition explicit.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import hmac
import threading
from typing import Any

import numba
import numpy as np
import pyarrow as pa
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["hmac_sha256_hex", "hmac_sha256_strings"]

_MASK = np.uint64(0xFFFFFFFF)

_K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
        0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
        0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
        0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
        0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
        0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
        0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
        0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
        0xC67178F2,
    ],
    dtype=np.uint64,
)
_IV = np.array(
    [
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
        0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
    ],
    dtype=np.uint64,
)
#: The two hex digits of each byte value, byte after byte.
_PARALLEL_REGION = threading.Lock()
_HEX_PAIRS = np.frombuffer("".join(f"{b:02x}" for b in range(256)).encode(), dtype=np.uint8)


@numba.njit(cache=True, nogil=True, inline="always")
def _rotr(x: np.uint64, n: int) -> np.uint64:
    return ((x >> np.uint64(n)) | (x << np.uint64(32 - n))) & _MASK


@numba.njit(cache=True, nogil=True)
def _compress(state: np.ndarray, block: np.ndarray, w: np.ndarray) -> None:
    """One SHA-256 compression of the 64-byte ``block`` into ``state[:8]`` (``w``: scratch)."""
    for t in range(16):
        w[t] = (
            (np.uint64(block[4 * t]) << np.uint64(24))
            | (np.uint64(block[4 * t + 1]) << np.uint64(16))
            | (np.uint64(block[4 * t + 2]) << np.uint64(8))
            | np.uint64(block[4 * t + 3])
        )
    for t in range(16, 64):
        x, y = w[t - 15], w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> np.uint64(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> np.uint64(10))
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) & _MASK
    a, b, c, d = np.uint64(state[0]), np.uint64(state[1]), np.uint64(state[2]), np.uint64(state[3])
    e, f, g, h = np.uint64(state[4]), np.uint64(state[5]), np.uint64(state[6]), np.uint64(state[7])
    for t in range(64):
        s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
        ch = (e & f) ^ ((~e & _MASK) & g)
        t1 = (h + s1 + ch + _K[t] + w[t]) & _MASK
        s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
        maj = (a & b) ^ (a & c) ^ (b & c)
        t2 = (s0 + maj) & _MASK
        h, g, f, e = g, f, e, (d + t1) & _MASK
        d, c, b, a = c, b, a, (t1 + t2) & _MASK
    state[0] = (np.uint64(state[0]) + a) & _MASK
    state[1] = (np.uint64(state[1]) + b) & _MASK
    state[2] = (np.uint64(state[2]) + c) & _MASK
    state[3] = (np.uint64(state[3]) + d) & _MASK
    state[4] = (np.uint64(state[4]) + e) & _MASK
    state[5] = (np.uint64(state[5]) + f) & _MASK
    state[6] = (np.uint64(state[6]) + g) & _MASK
    state[7] = (np.uint64(state[7]) + h) & _MASK


@intrinsic
def _call_transform(typingctx: Any, function: Any, ctx: Any, block: Any) -> Any:
    """Call the C function at address ``function`` as ``function(ctx, block)``.

    The address is an argument, not a constant of the compiled code, so the callers can be
    cached on disk like any other kernel.
    """
    sig = types.void(types.intp, types.intp, types.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        pointer = ir.IntType(8).as_pointer()
        fn_type = ir.FunctionType(ir.VoidType(), [pointer, pointer])
        fn = builder.inttoptr(args[0], fn_type.as_pointer())
        builder.call(fn, [builder.inttoptr(args[1], pointer), builder.inttoptr(args[2], pointer)])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, nogil=True, inline="always")
def _transform(
    function: int, ctx: np.ndarray, block: np.ndarray, w: np.ndarray
) -> None:
    """Compress ``block`` into the state ``ctx[:8]``: OpenSSL's function, or :func:`_compress`."""
    if function:
        _call_transform(function, ctx.ctypes.data, block.ctypes.data)  # type: ignore[call-arg]
    else:
        _compress(ctx, block, w)


@numba.njit(cache=True, nogil=True, inline="always")
def _put_word(block: np.ndarray, at: int, word: int) -> None:
    """Store a 32-bit word big-endian at ``block[at:at + 4]``."""
    block[at] = (word >> 24) & 0xFF
    block[at + 1] = (word >> 16) & 0xFF
    block[at + 2] = (word >> 8) & 0xFF
    block[at + 3] = word & 0xFF


@numba.njit(cache=True, nogil=True)
def _hmac_range(
    function: int, offsets: np.ndarray, data: np.ndarray, inner: np.ndarray,
    outer: np.ndarray, hex_chars: int, at: np.ndarray, lo: int, hi: int, out: np.ndarray,
) -> None:
    """Hash messages ``lo … hi-1`` into ``out[at[i]:]`` (none where ``at[i] < 0``)."""
    # An OpenSSL SHA256_CTX: h[8], Nl, Nh, data[16], num, md_len; only h is used.
    ctx = np.zeros(28, dtype=np.uint32)
    w = np.zeros(64, dtype=np.uint64)
    block = np.zeros(64, dtype=np.uint8)
    # Bytes [0, dirty) of block may hold the previous message; the rest up to 56 are zero.
    dirty = 64
    # The outer message is the pad block (already in ``outer``) and the 32-byte inner digest:
    # its padding and length never change.
    outer_block = np.zeros(64, dtype=np.uint8)
    outer_block[32] = 0x80
    _put_word(outer_block, 60, (64 + 32) * 8)
    for i in range(lo, hi):
        if at[i] < 0:
            continue
        for j in range(8):
            ctx[j] = inner[j]
        start, stop = offsets[i], offsets[i + 1]
        pos = start
        while stop - pos >= 64:
            for j in range(64):
                block[j] = data[pos + j]
            _transform(function, ctx, block, w)
            pos += 64
            dirty = 64
        rest = stop - pos
        for j in range(rest):
            block[j] = data[pos + j]
        block[rest] = 0x80
        if rest >= 56:  # no room for the length: one more block
            for j in range(rest + 1, 64):
                block[j] = 0
            _transform(function, ctx, block, w)
            dirty = 64
            rest = -1
        for j in range(rest + 1, min(dirty, 56)):
            block[j] = 0
        dirty = rest + 1
        bits = (64 + stop - start) * 8  # the inner pad block came first
        _put_word(block, 56, bits >> 32)
        _put_word(block, 60, bits & 0xFFFFFFFF)
        _transform(function, ctx, block, w)
        for j in range(8):
            _put_word(outer_block, 4 * j, ctx[j])
            ctx[j] = outer[j]
        _transform(function, ctx, outer_block, w)
        base = at[i]
        for j in range(hex_chars // 2):
            byte = (ctx[j // 4] >> np.uint32(24 - 8 * (j % 4))) & np.uint32(0xFF)
            out[base + 2 * j] = _HEX_PAIRS[2 * byte]
            out[base + 2 * j + 1] = _HEX_PAIRS[2 * byte + 1]


@numba.njit(cache=True, nogil=True, parallel=True)
def _hmac_many(
    function: int, offsets: np.ndarray, data: np.ndarray, inner: np.ndarray,
    outer: np.ndarray, hex_chars: int, at: np.ndarray, out: np.ndarray, slices: int,
) -> None:
    n = offsets.size - 1
    # Slices, not messages, are spread over the threads: scratch is allocated per slice.
    for s in numba.prange(slices):
        lo, hi = n * s // slices, n * (s + 1) // slices
        _hmac_range(function, offsets, data, inner, outer, hex_chars, at, lo, hi, out)


def _key_state(key: bytes, pad: int) -> np.ndarray:
    """SHA-256 state after the one block ``key XOR pad`` (the HMAC key schedule)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    block = np.frombuffer(bytes(b ^ pad for b in key.ljust(64, b"\0")), dtype=np.uint8).copy()
    state = _IV.astype(np.uint32)
    _compress(state, block, np.zeros(64, dtype=np.uint64))
    return state


@functools.cache
def _openssl_transform() -> int:
    """Address of OpenSSL's ``SHA256_Transform``, or 0 when it is missing or hashes wrong."""
    names: list[str | None] = []
    try:
        import _hashlib

        names.append(_hashlib.__file__)  # its OpenSSL is the one hashlib trusts
    except (ImportError, AttributeError):
        pass
    names.append(ctypes.util.find_library("crypto"))
    for name in names:
        if name is None:
            continue
        try:
            fn = ctypes.CDLL(name).SHA256_Transform
        except (OSError, AttributeError):
            continue
        address = ctypes.cast(fn, ctypes.c_void_p).value
        if address and _self_test(address):
            return int(address)
    return 0


def _self_test(function: int) -> bool:
    messages = [b"", b"abc", bytes(range(56)), bytes(range(200))]
    key = b"self-test"
    offsets = np.cumsum([0, *map(len, messages)])
    data = np.frombuffer(b"".join(messages), dtype=np.uint8)
    got = _run(function, offsets, data, key, 64, np.arange(len(messages)) * 64, 64 * 4)
    expected = b"".join(hmac.new(key, m, "sha256").hexdigest().encode() for m in messages)
    return got.tobytes() == expected


def _run(
    function: int, offsets: np.ndarray, data: np.ndarray, key: bytes, hex_chars: int,
    at: np.ndarray, size: int,
) -> np.ndarray:
    if hex_chars % 2 or not 0 < hex_chars <= 64:
        raise ValueError("hex_chars must be an even number from 2 to 64")
    # Many more slices than threads, so that a thread slowed by other work holds up little.
    slices = max(1, min(64 * numba.get_num_threads(), (len(offsets) - 1) // 1024))
    # Arrow's allocator hands out large pages: tens of MB of digests fault in a few steps.
    out = np.frombuffer(pa.allocate_buffer(size), dtype=np.uint8)
    # numba's fallback threading layer (workqueue) cannot run two parallel regions at once;
    # tables are validated on two threads, so their hashing takes turns.
    with _PARALLEL_REGION, numba.parallel_chunksize(1):
        _hmac_many(
            function,
            offsets,
            np.ascontiguousarray(data, dtype=np.uint8),
            _key_state(key, 0x36),
            _key_state(key, 0x5C),
            hex_chars,
            np.asarray(at, dtype=np.int64),
            out,
            slices,
        )
    return out


def hmac_sha256_hex(
    offsets: np.ndarray, data: np.ndarray, key: bytes, hex_chars: int = 64
) -> np.ndarray:
    """Hex HMAC-SHA-256 of each message ``data[offsets[i]:offsets[i + 1]]``, cut to ``hex_chars``.

    Parameters
    ----------
    offsets
        ``n + 1`` non-decreasing int offsets into ``data`` (Arrow's string layout).
    data
        uint8 message bytes.
    key
        The HMAC key.
    hex_chars
        Even number of hex characters kept per digest (at most 64).

    Returns
    -------
    numpy.ndarray
        uint8 array of ``n * hex_chars`` ASCII hex characters, digest after digest.

    Examples
    --------
    >>> import hmac
    >>> out = hmac_sha256_hex(np.array([0, 3]), np.frombuffer(b"abc", np.uint8), b"k")
    >>> out.tobytes().decode() == hmac.new(b"k", b"abc", "sha256").hexdigest()
    True
    """
    n = len(offsets) - 1
    at = np.arange(n, dtype=np.int64) * hex_chars
    return _run(_openssl_transform(), offsets, data, key, hex_chars, at, n * hex_chars)


def hmac_sha256_strings(
    offsets: np.ndarray, data: np.ndarray, key: bytes, hex_chars: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hmac_sha256_hex` in and out of Arrow's string layout; empty messages stay empty.

    Returns
    -------
    offsets, chars
        int64 offsets (``n + 1``) and uint8 hex characters of the digests: ``hex_chars`` of
        them for each non-empty message, none for an empty one.

    Examples
    --------
    >>> offsets, chars = hmac_sha256_strings(
    ...     np.array([0, 0, 3]), np.frombuffer(b"abc", np.uint8), b"k", 8)
    >>> offsets.tolist(), chars.tobytes()
    ([0, 0, 8], b'342e519c')
    """
    lengths = np.diff(np.asarray(offsets, dtype=np.int64))
    present = lengths > 0
    out_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.where(present, hex_chars, 0), out=out_offsets[1:])
    at = np.where(present, out_offsets[:-1], -1)
    chars = _run(_openssl_transform(), offsets, data, key, hex_chars, at, int(out_offsets[-1]))
    return out_offsets, chars

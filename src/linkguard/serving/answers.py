"""Many short byte answers, one per key, kept compressed in a few large blocks.

:class:`AnswerStore` is the storage behind :class:`linkguard.serving.lookup.FlagIndex`: a
million JSON answers of about 870 bytes each, held in about a quarter of that and found in a few
microseconds. Three choices make it small:

- Each answer is compressed on its own with zlib (raw deflate, fixed Huffman codes, so no
  per-answer code table to store or to rebuild when reading) against a preset dictionary
  (``zdict``) made of sample answers. Answers repeat each other's keys, codes and phrasing,
  so most of an answer becomes back-references into the dictionary: 4.7 times smaller on
  the synthetic snapshots of ``bench/api.py``, decompressed in about 2 microseconds.
- The compressed answers are concatenated into blocks of :data:`BLOCK_ROWS` answers, one
  ``bytes`` object per block, found through one array of offsets: no object per answer,
  and no block ever copied into a bigger one while building.
- Keys are not stored. Their 64-bit hashes (Python's ``hash``, salted per process, which is
  fine for a structure that lives and dies in one process) are kept sorted, with the row
  of each; the top bits of a hash pick a bucket of that array through a directory, so a
  lookup reads a handful of array entries instead of binary-searching a million. Every
  answer begins with a prefix made from its key (``key_prefix``), checked after
  decompressing, so an unknown key whose hash collides with a stored one is not answered
  with someone else's bytes.

The arrays are numpy for building and read through memoryviews, whose items are plain
Python ints: cheaper per lookup than numpy scalars.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["BLOCK_ROWS", "AnswerStore"]

#: Answers per block. A block of 10,000 compressed answers is 1-2 MiB.
BLOCK_ROWS: Final = 10_000
#: Raw deflate (no header or checksum) with an 8 KiB window: room for the dictionary and an
#: answer behind it, and a small compressor state to copy per answer.
_WBITS: Final = -13
_MEM_LEVEL: Final = 5
#: Level 3 compresses within 5% of level 6 in about four fifths of the time.
_LEVEL: Final = 3
#: The preset dictionary: the tail of a sample of answers, up to this many bytes.
_ZDICT_BYTES: Final = 6 * 1024
#: Answers of the first chunk sampled for the dictionary.
_ZDICT_SAMPLES: Final = 300

#: The key hash; a module attribute so that tests can force collisions.
_hash: Callable[[str], int] = hash
_UINT64: Final = (1 << 64) - 1


def _dictionary(samples: list[bytes]) -> bytes:
    """A preset dictionary from sample answers: evenly spaced ones, joined, the last bytes.

    zlib reaches the end of its dictionary most cheaply, and every answer shares the same
    field names, so a plain join of whole answers serves as well as any cleverer choice.
    """
    step = max(1, len(samples) // _ZDICT_SAMPLES)
    return b"".join(samples[::step])[-_ZDICT_BYTES:]


def _compressor(zdict: bytes) -> zlib._Compress:
    """A compressor primed with ``zdict``, to be copied for each answer."""
    return zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_FIXED, zdict)


class _Layout(NamedTuple):
    """Everything a lookup reads, replaced as one so that no lookup sees half a release."""

    #: ``hash >> shift`` is a hash's bucket.
    shift: int
    #: Bucket ``b`` is ``hashes[first[b]:first[b + 1]]`` (``uint32``).
    first: memoryview
    #: The keys' hashes, sorted (``uint64``).
    hashes: memoryview
    #: The row of the answer of each hash (``uint32``).
    rows: memoryview
    #: Answer ``r`` is bytes ``offsets[r]:offsets[r + 1]`` of all blocks end to end (``int64``).
    offsets: memoryview
    #: Where each block starts, end to end.
    bases: list[int]
    blocks: list[bytes]
    zdict: bytes


def _layout(
    blocks: list[bytes],
    offsets: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.uint64],
    rows: npt.NDArray[np.uint32],
    zdict: bytes,
) -> _Layout:
    # About one hash per bucket: bucket b holds the hashes whose top bits read b.
    bits = max(1, len(hashes).bit_length())
    starts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(64 - bits)
    first = np.append(hashes.searchsorted(starts), len(hashes)).astype(np.uint32)
    bases: list[int] = offsets[::BLOCK_ROWS][: len(blocks)].tolist()
    return _Layout(
        64 - bits, first.data, hashes.data, rows.data, offsets.data, bases, blocks, zdict
    )


def _empty_layout() -> _Layout:
    return _layout([], np.zeros(1, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint32), b"")


class AnswerStore:
    """Compressed answers found by key; immutable once packed (until :meth:`release`).

    Build it with :meth:`pack`. Reading needs no lock: every lookup decompresses with its
    own decompressor.

    Parameters
    ----------
    blocks : list of bytes
        The compressed answers, concatenated, :data:`BLOCK_ROWS` per block.
    offsets : numpy.ndarray
        ``int64``, one more than there are answers: answer ``r`` is bytes
        ``offsets[r]:offsets[r + 1]`` of the concatenation of all blocks.
    hashes : numpy.ndarray
        ``uint64``, the keys' hashes, sorted.
    rows : numpy.ndarray
        ``uint32``, the row of the answer of each hash.
    zdict : bytes
        The preset dictionary the answers were compressed with.
    key_prefix : callable
        Returns the bytes every answer of a key begins with.
    """

    __slots__ = ("_key_prefix", "_layout")

    def __init__(
        self,
        blocks: list[bytes],
        offsets: npt.NDArray[np.int64],
        hashes: npt.NDArray[np.uint64],
        rows: npt.NDArray[np.uint32],
        zdict: bytes,
        key_prefix: Callable[[str], bytes],
    ) -> None:
        self._layout = _layout(blocks, offsets, hashes, rows, zdict)
        self._key_prefix = key_prefix

    @classmethod
    def pack(
        cls, chunks: Iterable[tuple[list[str], list[bytes]]], key_prefix: Callable[[str], bytes]
    ) -> AnswerStore:
        """Compress and pack answers given a chunk at a time.

        The first chunk supplies the sample answers for the preset dictionary, so it should
        be a fair sample (a few thousand answers in any order will do).

        Parameters
        ----------
        chunks : iterable of (list of str, list of bytes)
            Keys and their answers, in the same order; each key once in all.
        key_prefix : callable
            Returns the bytes the answer of a key begins with.

        Returns
        -------
        AnswerStore

        Raises
        ------
        ValueError
            When an answer does not begin with its key's prefix.
        """
        zdict = b""
        primed: zlib._Compress | None = None
        blocks: list[bytes] = []
        block: list[bytes] = []
        lengths: list[int] = []
        hashes: list[npt.NDArray[np.int64]] = []
        for keys, answers in chunks:
            if primed is None and answers:
                zdict = _dictionary(answers)
                primed = _compressor(zdict)
            for key, answer in zip(keys, answers, strict=True):
                if not answer.startswith(key_prefix(key)):
                    raise ValueError(f"the answer of {key!r} does not begin with its key")
                assert primed is not None
                # Copying a compressor primed with the dictionary is cheaper than priming one.
                compressor = primed.copy()
                packed = compressor.compress(answer) + compressor.flush()
                block.append(packed)
                lengths.append(len(packed))
                if len(block) == BLOCK_ROWS:
                    blocks.append(b"".join(block))
                    block = []
            hashes.append(np.fromiter(map(_hash, keys), dtype=np.int64, count=len(keys)))
        if block:
            blocks.append(b"".join(block))
        if len(lengths) >= 1 << 32:
            raise ValueError("more than 2**32 answers")
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(np.array(lengths, dtype=np.int64), out=offsets[1:])
        del lengths
        key_hashes = np.concatenate([np.zeros(0, dtype=np.int64), *hashes]).view(np.uint64)
        del hashes
        rows = np.argsort(key_hashes, kind="stable").astype(np.uint32)
        return cls(blocks, offsets, key_hashes[rows], rows, zdict, key_prefix)

    def __len__(self) -> int:
        return len(self._layout.hashes)

    def get(self, key: str) -> bytes | None:
        """The answer stored for ``key``, or None.

        Parameters
        ----------
        key : str
            The key (an account id).

        Returns
        -------
        bytes or None
        """
        shift, first, hashes, rows, offsets, bases, blocks, zdict = self._layout
        wanted = _hash(key) & _UINT64
        bucket = wanted >> shift
        for at in range(first[bucket], first[bucket + 1]):
            if hashes[at] != wanted:
                continue
            row = rows[at]
            block = row // BLOCK_ROWS
            base = bases[block]
            packed = blocks[block][offsets[row] - base : offsets[row + 1] - base]
            answer = zlib.decompressobj(_WBITS, zdict).decompress(packed)
            # Two keys with one hash are rare, but each must get its own answer.
            if answer.startswith(self._key_prefix(key)):
                return answer
        return None

    @property
    def nbytes(self) -> int:
        """Bytes held: compressed answers, the arrays that find them and the dictionary."""
        layout = self._layout
        arrays = (layout.first, layout.hashes, layout.rows, layout.offsets)
        return sum(map(len, layout.blocks)) + sum(a.nbytes for a in arrays) + len(layout.zdict)

    def release(self, batch: int = 8) -> None:
        """Forget every answer, freeing the blocks a few at a time.

        Lookups answer None from the first moment. Each block is one allocation, so freeing
        is quick either way; handing the GIL over between batches keeps even that out of
        the way of a server's requests. A lookup that was under way meanwhile finds an
        emptied block and answers None too.

        Parameters
        ----------
        batch : int
            Blocks freed between two chances for other threads to run.
        """
        layout, self._layout = self._layout, _empty_layout()
        blocks, batch = layout.blocks, max(1, batch)
        for i in range(len(blocks)):
            blocks[i] = b""
            if i % batch == batch - 1:
                time.sleep(0)  # let the event loop thread take the GIL

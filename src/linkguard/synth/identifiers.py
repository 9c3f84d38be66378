"""Identifier values that look like raw personal data, and the book of who holds which.

Values are unique by construction, never by luck: each kind numbers its values 0, 1, 2, ...
and a secret affine bijection of a large space (``scatter``) turns the number into digits,
names or octets. Two accounts therefore share a value only when the generator meant them to
(a household, a device farm, a multi-account owner), which is what the ground truth promises.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> f = ValueFactory(rng)
>>> phones = f.make("phone", np.arange(3)).to_pylist()
>>> len(set(phones)), phones[0].startswith("+1 ")
(3, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.synth import text
from linkguard.synth.vocab import (
    AREA_CODES,
    CARD_BINS,
    DISPOSABLE_DOMAINS,
    EMAIL_DOMAIN_WEIGHTS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    ID_KINDS,
    IP_FIRST_OCTETS,
    LAST_NAMES,
    REGIONS,
    STREET_SUFFIXES,
    STREETS,
)

__all__ = ["IdentifierBook", "ValueFactory", "scatter"]

IntArray = npt.NDArray[np.int64]
_PRIMES = (2654435761, 2246822519, 3266489917, 668265263, 374761393)
_NAMES = len(FIRST_NAMES) * len(LAST_NAMES)


def scatter(seq: IntArray, space: int, key: tuple[int, int]) -> IntArray:
    """Map distinct ``seq`` (each below ``space``) to distinct, well spread numbers below it.

    ``key = (a, b)`` with ``a`` coprime to ``space`` makes ``x -> (a x + b) mod space`` a
    bijection, so distinct inputs stay distinct.

    Examples
    --------
    >>> import numpy as np
    >>> scatter(np.arange(5), 10, (3, 1)).tolist()
    [1, 4, 7, 0, 3]
    """
    seq = np.asarray(seq, dtype=np.int64)
    if len(seq) and (seq.max() >= space or seq.min() < 0):
        raise ValueError(f"value numbers must lie in [0, {space})")
    a, b = key
    # seq < a few million and a < space keep the product far inside int64.
    return (seq * (a % space) + b) % space


def _key(rng: np.random.Generator, space: int) -> tuple[int, int]:
    primes = [p for p in _PRIMES if space % p]
    return int(primes[int(rng.integers(len(primes)))]), int(rng.integers(space))


@dataclass
class ValueFactory:
    """Makes identifier values of every kind from per-kind value numbers."""

    rng: np.random.Generator
    _keys: dict[str, tuple[int, int]] = field(default_factory=dict)

    def _scatter(self, kind: str, seq: IntArray, space: int) -> IntArray:
        if kind not in self._keys:
            self._keys[kind] = _key(self.rng, space)
        return scatter(seq, space, self._keys[kind])

    def make(
        self, kind: str, seq: IntArray, region: npt.NDArray[np.int8] | None = None
    ) -> pa.Array:
        """Values of ``kind`` for value numbers ``seq`` (addresses use the holders' region)."""
        seq = np.asarray(seq, dtype=np.int64)
        if kind == "address":
            reg = np.zeros(len(seq), dtype=np.int8) if region is None else region
            return self.addresses(seq, reg)
        maker = {
            "device": self.devices,
            "ip": self.ips,
            "phone": self.phones,
            "card": self.cards,
            "email": self.emails,
            "payment_account": self.payment_accounts,
            "id_number": self.id_numbers,
            "disposable_email": self.disposable_emails,
        }[kind]
        return maker(seq)

    def phones(self, seq: IntArray) -> pa.Array:
        """``+1 415-555-0134``."""
        u = self._scatter("phone", seq, len(AREA_CODES) * 800 * 10_000)
        return text.join(
            "+1 ",
            text.pick(AREA_CODES, u // 8_000_000),
            "-",
            text.num(200 + (u // 10_000) % 800),
            "-",
            text.num(u % 10_000, 4),
        )

    def _person(self, kind: str, seq: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        u = self._scatter(kind, seq, _NAMES * 1000)
        return u % len(FIRST_NAMES), (u // len(FIRST_NAMES)) % len(LAST_NAMES), 1 + u // _NAMES

    def emails(self, seq: IntArray) -> pa.Array:
        """``mary.lopez482@gmail.com`` in three injective local-part styles."""
        first, last, number = self._person("email", seq)
        f, la, n = text.pick(FIRST_NAMES, first), text.pick(LAST_NAMES, last), text.num(number)
        style = self.rng.integers(0, 3, len(seq))
        local = pc.case_when(
            pc.make_struct(pa.array(style == 0), pa.array(style == 1)),
            text.join(f, ".", la, n),
            text.join(f, "_", la, n),
            text.join(la, ".", f, n),
        )
        domain = self.rng.choice(len(EMAIL_DOMAINS), len(seq), p=EMAIL_DOMAIN_WEIGHTS)
        return text.join(local, "@", text.pick(EMAIL_DOMAINS, domain))

    def disposable_emails(self, seq: IntArray) -> pa.Array:
        """Throwaway mailboxes (``k3f9x0q2@yopmail.com``) as device farms register them."""
        u = self._scatter("disposable_email", seq, 36**7)
        n = len(seq)
        lead = text.pick(tuple("abcdefghijklmnopqrstuvwxyz"), self.rng.integers(0, 26, n))
        domain = text.pick(DISPOSABLE_DOMAINS, self.rng.integers(0, len(DISPOSABLE_DOMAINS), n))
        return text.join(lead, text.base36(u, 7), "@", domain)

    def devices(self, seq: IntArray) -> pa.Array:
        """iOS vendor ids (upper-case UUID) or Android ids (16 hex digits)."""
        n = len(seq)
        raw = self.rng.integers(0, 256, (n, 16), dtype=np.uint8)
        # The last four bytes carry the scattered value number: distinct by construction.
        tag = self._scatter("device", seq, 1 << 32)
        raw[:, 12:16] = tag.astype(">u4").view(np.uint8).reshape(n, 4)
        hex32 = text.hex_digits(raw, upper=True)
        cut = [
            pc.utf8_slice_codeunits(hex32, s, e)
            for s, e in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))
        ]
        uuid = text.join(cut[0], "-", cut[1], "-", cut[2], "-", cut[3], "-", cut[4])
        android = pc.utf8_lower(pc.utf8_slice_codeunits(hex32, 16, 32))
        return pc.if_else(pa.array(self.rng.random(n) < 0.55), uuid, android)

    def ips(self, seq: IntArray) -> pa.Array:
        """Public IPv4 addresses (``73.162.4.201``)."""
        block = 256 * 256 * 254
        u = self._scatter("ip", seq, len(IP_FIRST_OCTETS) * block)
        r = u % block
        return text.join(
            text.num(np.asarray(IP_FIRST_OCTETS)[u // block]),
            ".",
            text.num(r // (256 * 254)),
            ".",
            text.num((r // 254) % 256),
            ".",
            text.num(1 + r % 254),
        )

    def addresses(self, seq: IntArray, region: npt.NDArray[np.int8]) -> pa.Array:
        """``1289 Oak Ridge Ave, Apt 4, Austin, TX 78704`` in the holder's region."""
        ns, nx = len(STREETS), len(STREET_SUFFIXES)
        houses = 19_999 * ns * nx
        # Numbers below ``houses`` are houses; the rest are flats in 999-numbered blocks.
        u = self._scatter("address", seq, houses + 999 * ns * nx * 12)
        flat = u >= houses
        v = np.where(flat, u - houses, u)
        width = np.where(flat, 999, 19_999)
        number, r = 1 + v % width, v // width
        street, suffix, apt = r % ns, (r // ns) % nx, np.where(flat, 1 + r // (ns * nx), 0)
        cities = [c for reg in REGIONS for c in reg.cities]
        offset = np.cumsum([0] + [len(reg.cities) for reg in REGIONS])
        count = np.diff(offset)
        reg = np.asarray(region, dtype=np.int64)
        city = offset[reg] + self.rng.integers(0, 1 << 30, len(seq)) % count[reg]
        apt_text = pc.if_else(pa.array(apt > 0), text.join(", Apt ", text.num(apt)), "")
        return text.join(
            text.num(number),
            " ",
            text.pick(STREETS, street),
            " ",
            text.pick(STREET_SUFFIXES, suffix),
            apt_text,
            ", ",
            text.pick([c[0] for c in cities], city),
            ", ",
            text.pick([c[1] for c in cities], city),
            " ",
            text.pick([c[2] for c in cities], city),
            text.num(self.rng.integers(0, 100, len(seq)), 2),
        )

    def cards(self, seq: IntArray) -> pa.Array:
        """16-digit card numbers with a valid Luhn check digit, mostly in groups of four."""
        u = self._scatter("card", seq, 10**9)
        bins = np.asarray([int(b) for b in CARD_BINS], dtype=np.int64)
        body = bins[self.rng.integers(0, len(bins), len(seq))] * 10**9 + u
        digits = text.digit_matrix(body, 15)
        # Luhn: double every second digit counting leftwards from the check digit.
        doubled = digits[:, 14::-2] * 2
        total = (doubled - 9 * (doubled > 9)).sum(axis=1) + digits[:, 13::-2].sum(axis=1)
        full = body * 10 + (10 - total % 10) % 10
        plain = text.num(full, 16)
        grouped = text.join(
            *[
                part
                for s in range(0, 16, 4)
                for part in (
                    (pc.utf8_slice_codeunits(plain, s, s + 4),) + ((" ",) if s < 12 else ())
                )
            ]
        )
        return pc.if_else(pa.array(self.rng.random(len(seq)) < 0.7), grouped, plain)

    def payment_accounts(self, seq: IntArray) -> pa.Array:
        """Payout handles: ``paypal:…@…``, ``venmo:@First-Last-12``, ``cashapp:$FirstLast12``."""
        first, last, number = self._person("payment_account", seq)
        f, la, n = text.pick(FIRST_NAMES, first), text.pick(LAST_NAMES, last), text.num(number)
        fc, lc = pc.utf8_capitalize(f), pc.utf8_capitalize(la)
        style = self.rng.integers(0, 3, len(seq))
        domain = text.pick(EMAIL_DOMAINS, self.rng.integers(0, 3, len(seq)))
        return pc.case_when(
            pc.make_struct(pa.array(style == 0), pa.array(style == 1)),
            text.join("paypal:", f, ".", la, n, "@", domain),
            text.join("venmo:@", fc, "-", lc, "-", n),
            text.join("cashapp:$", fc, lc, n),
        )

    def id_numbers(self, seq: IntArray) -> pa.Array:
        """Social-security-style numbers ``123-45-6789``."""
        u = self._scatter("id_number", seq, 899 * 99 * 9999)
        return text.join(
            text.num(1 + u // (99 * 9999), 3),
            "-",
            text.num(1 + (u // 9999) % 99, 2),
            "-",
            text.num(1 + u % 9999, 4),
        )


class IdentifierBook:
    """Who holds which identifier value, resolved to rows only at the end.

    Every account ``i`` owns value number ``i`` of every kind (its *primary* value; written as
    a row when ``has[kind][i]``). A reference below ``n`` names an account ("the same value as
    account j"), a reference of ``n`` or more names an extra value made by :meth:`new_values`.
    Sharing is recorded as references and resolved by pointer jumping in :meth:`rows`, so the
    order in which households, farms and owners are planted does not matter.
    """

    def __init__(self, n: int, factory: ValueFactory) -> None:
        self.n = n
        self.factory = factory
        self.has = {k: np.zeros(n, dtype=np.bool_) for k in ID_KINDS}
        self.ref = {k: np.arange(n, dtype=np.int64) for k in ID_KINDS}
        self._extra: dict[str, list[pa.Array]] = {k: [] for k in ID_KINDS}
        self._n_extra = dict.fromkeys(ID_KINDS, 0)
        self._rows: list[tuple[str, IntArray, IntArray, IntArray]] = []

    def new_values(
        self,
        kind: str,
        count: int,
        region: npt.NDArray[np.int8] | None = None,
        style: str | None = None,
    ) -> IntArray:
        """Make ``count`` new values of ``kind``; returns their references."""
        start = self.n + self._n_extra[kind]
        seq = np.arange(start, start + count, dtype=np.int64)
        self._extra[kind].append(self.factory.make(style or kind, seq, region))
        self._n_extra[kind] += count
        return seq

    def point(self, kind: str, accounts: npt.ArrayLike, target: npt.ArrayLike) -> None:
        """Make the primary value of ``accounts`` the value ``target`` refers to."""
        self.ref[kind][np.asarray(accounts, dtype=np.int64)] = target

    def add_rows(
        self,
        kind: str,
        accounts: npt.ArrayLike,
        refs: npt.ArrayLike,
        seen_from: npt.ArrayLike | None = None,
    ) -> None:
        """Extra rows: ``accounts[i]`` also uses the value ``refs[i]`` refers to."""
        acc = np.asarray(accounts, dtype=np.int64)
        ref = np.broadcast_to(np.asarray(refs, dtype=np.int64), acc.shape).copy()
        lo = (
            np.full(len(acc), np.iinfo(np.int64).min)
            if seen_from is None
            else np.broadcast_to(np.asarray(seen_from, dtype=np.int64), acc.shape).copy()
        )
        self._rows.append((kind, acc, ref, lo))

    def resolve(self, kind: str, refs: IntArray) -> IntArray:
        """Follow account references until each lands on its own value or an extra value."""
        table = self.ref[kind]
        cur = np.asarray(refs, dtype=np.int64).copy()
        for _ in range(64):
            inside = cur < self.n
            nxt = cur.copy()
            nxt[inside] = table[cur[inside]]
            if np.array_equal(nxt, cur):
                return cur
            cur = nxt
        raise RuntimeError(f"{kind}: identifier references form a loop")

    def rows(self, region: npt.NDArray[np.int8]) -> list[tuple[str, IntArray, pa.Array, IntArray]]:
        """Per kind: holder accounts, their values and the earliest time each row is seen."""
        out = []
        for kind in ID_KINDS:
            primary = np.flatnonzero(self.has[kind]).astype(np.int64)
            parts = [(primary, primary, np.full(len(primary), np.iinfo(np.int64).min))]
            parts += [(a, r, lo) for k, a, r, lo in self._rows if k == kind]
            acc = np.concatenate([p[0] for p in parts])
            ref = self.resolve(kind, np.concatenate([p[1] for p in parts]))
            seen_from = np.concatenate([p[2] for p in parts])
            # Only primary values somebody ends up using are made; extras already exist.
            own = np.unique(ref[ref < self.n])
            made = self.factory.make(kind, own, region[own])
            pool = pa.concat_arrays([made, *self._extra[kind]]) if self._extra[kind] else made
            index = np.where(ref < self.n, np.searchsorted(own, ref), len(own) + ref - self.n)
            out.append((kind, acc, pool.take(pa.array(index)), seen_from))
        return out

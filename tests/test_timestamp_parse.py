"""Timestamps: Arrow's cast for the usual style, slice by slice around broken values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from linkguard.io.parse import _CAST_SLICE, parse_timestamps


def _stamps(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 10**8, n).astype("m8[s]")
    return [f"{t}Z" for t in (np.datetime64("2024-01-01T00:00:00") + seconds).astype(str)]


def test_broken_values_spoil_only_themselves():
    clean = _stamps(5 * _CAST_SLICE + 17, seed=3)
    expected, bad = parse_timestamps(pa.array(clean))
    assert not bad.any()
    assert not np.isnat(expected).any()

    broken = list(clean)
    spoilt = {3: "garbage", 700: "2026-02-30T10:00:00Z", 701: "", 1290: "2026-13-01T10:00:00Z"}
    other_style = {40: "2024-03-01 12:00:00", 900: "2024-03-01T14:00:00+02:00"}
    for i, value in {**spoilt, **other_style}.items():
        broken[i] = value
    got, bad = parse_timestamps(pa.array(broken))

    assert sorted(np.flatnonzero(bad)) == [3, 700, 1290]  # the empty value is not bad
    assert np.isnat(got[[3, 700, 701, 1290]]).all()
    assert got[40] == np.datetime64("2024-03-01T12:00:00", "us")
    assert got[900] == np.datetime64("2024-03-01T12:00:00", "us")
    keep = np.setdiff1d(np.arange(len(clean)), [*spoilt, *other_style])
    assert np.array_equal(got[keep], expected[keep])


def test_empty_values_alone_do_not_stop_the_whole_column_cast():
    values = _stamps(1000, seed=5)
    values[::7] = [""] * len(values[::7])
    got, bad = parse_timestamps(pa.array(values))
    assert not bad.any()
    assert np.isnat(got[::7]).all()
    assert not np.isnat(np.delete(got, np.arange(0, 1000, 7))).any()

"""ISO-8601 UTC timestamps: linkguard's compiled fast path against pyarrow.compute.

``linkguard.io._kernels.iso_utc_micros`` parses values written exactly as
``YYYY-MM-DDTHH:MM:SSZ`` from an Arrow string array's buffers. Its peers, on the same array:
``pyarrow.compute.cast`` to ``timestamp("us", "UTC")`` (strict: one bad value fails the whole
array) and ``pyarrow.compute.strptime`` (``error_is_null``). Each is checked to give the same
microseconds; the best of ``--repeat`` rounds is compared.

Usage::

    .venv/bin/python bench/timestamps.py              # 5M values
    .venv/bin/python bench/timestamps.py --values 1000000 --repeat 7
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkguard.io._kernels import iso_utc_micros
from linkguard.io.arrow import string_buffers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--values", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    seconds = rng.integers(0, 10**8, args.values).astype("m8[s]")
    text = (np.datetime64("2024-01-01T00:00:00") + seconds).astype(str)
    made = pa.array(np.char.add(text, "Z"), pa.string())
    # Large inputs come back chunked; the kernel reads one contiguous array.
    values = made.combine_chunks() if isinstance(made, pa.ChunkedArray) else made
    expected = iso_utc_micros(*string_buffers(values))[0]

    def kernel() -> np.ndarray:
        return iso_utc_micros(*string_buffers(values))[0]

    def cast() -> np.ndarray:
        out = pc.cast(values, pa.timestamp("us", tz="UTC"))
        return np.asarray(out.cast(pa.int64()).to_numpy())

    def strptime() -> np.ndarray:
        out = pc.strptime(values, format="%Y-%m-%dT%H:%M:%SZ", unit="us", error_is_null=True)
        return np.asarray(out.cast(pa.int64()).to_numpy())

    peers: dict[str, Callable[[], np.ndarray]] = {
        "linkguard iso_utc_micros": kernel,
        "pyarrow.compute.cast": cast,
        "pyarrow.compute.strptime": strptime,
    }
    best: dict[str, float] = {}
    for name, fn in peers.items():
        assert np.array_equal(fn(), expected), name
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        best[name] = min(times)
    print(f"{args.values:,} values, best of {args.repeat}; load average {os.getloadavg()}")
    base = best["linkguard iso_utc_micros"]
    for name, seconds_best in best.items():
        print(f"  {name:28s} {seconds_best:.3f} s  ({seconds_best / base:.2f}x the kernel)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

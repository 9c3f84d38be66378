"""Lookup cost: :meth:`FlagIndex.payload` and :meth:`FlagIndex.batch_payload` per call, in process.

Builds the API's index (``details=False``) from the synthetic snapshot that ``bench/api.py``
caches under ``bench/data/api`` (written on first use), then times:

- ``payload`` of a flagged account, and of an account the snapshot does not hold;
- ``payload`` over a mix of 90% flagged and 10% unknown ids (the mix ``bench/api.py`` sends);
- ``batch_payload`` of 1,000 ids of that mix (the API's largest batch).

Each figure is the best of ``--rounds`` rounds (the least disturbed by other work on the
machine), as nanoseconds per call. No HTTP, no server: this is the index alone, the part of a
request the index's storage decides.

Usage::

    .venv/bin/python bench/lookup.py                     # 1M accounts
    .venv/bin/python bench/lookup.py --accounts 100000 --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import account_ids, ensure_snapshot
from linkguard.serving.lookup import FlagIndex


def best_ns(call: Callable[[], object], repeat: int, rounds: int) -> float:
    """Nanoseconds per call of ``call``: the best of ``rounds`` rounds of ``repeat`` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter_ns()
        for _ in range(repeat):
            call()
        best = min(best, (time.perf_counter_ns() - started) / repeat)
    return best


def best_per_id_ns(index: FlagIndex, ids: list[str], rounds: int) -> float:
    """Nanoseconds per ``payload`` over ``ids``, one call each: the best of ``rounds``."""
    payload = index.payload
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter_ns()
        for account_id in ids:
            payload(account_id)
        best = min(best, (time.perf_counter_ns() - started) / len(ids))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best counts")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    opts = parser.parse_args()

    snapshot = ensure_snapshot(opts.accounts)
    started = time.perf_counter()
    index = FlagIndex.load(snapshot, details=False)
    built = time.perf_counter() - started
    mix = account_ids(opts.accounts, 100_000, seed=3)
    batch = mix[:1000]
    flagged = f"acct-{random.Random(5).randrange(opts.accounts):08d}"
    assert flagged in index

    results: dict[str, Any] = {
        "accounts": len(index),
        "build_s": round(built, 1),
        "load_average": round(os.getloadavg()[0], 2),
        "payload_flagged_ns": best_ns(lambda: index.payload(flagged), 100_000, opts.rounds),
        "payload_unknown_ns": best_ns(lambda: index.payload("new-1"), 100_000, opts.rounds),
        "payload_mix_ns": best_per_id_ns(index, mix, opts.rounds),
        "batch_payload_1000_us": best_ns(lambda: index.batch_payload(batch), 200, opts.rounds)
        / 1000,
        "answer_bytes": round(sum(len(index.payload(a)) for a in batch) / len(batch)),
    }
    results["batch_payload_per_id_ns"] = results["batch_payload_1000_us"]
    print(
        f"{results['accounts']:,} accounts indexed in {built:.1f} s "
        f"(load average {results['load_average']}); best of {opts.rounds} rounds:"
    )
    print(f"  payload, flagged account      {results['payload_flagged_ns']:8.0f} ns")
    print(f"  payload, unknown account      {results['payload_unknown_ns']:8.0f} ns")
    print(f"  payload, 90/10 mix            {results['payload_mix_ns']:8.0f} ns")
    print(
        f"  batch_payload, 1,000 ids      {results['batch_payload_1000_us']:8.0f} us "
        f"({results['batch_payload_per_id_ns']:.0f} ns per id)"
    )
    print(f"  answer size (mean of the batch) {results['answer_bytes']} bytes")
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Ingest speed of two (or more) checkouts side by side: ``read_market`` on the same data.

A change to ingest is judged against the code it replaces. Each checkout's ``src/`` runs in a
fresh subprocess, in turns, round after round: one warm-up read (page cache, compiled-kernel
caches), then two timed reads, of which the faster counts. The script prints, per checkout, the
best and median wall seconds over the rounds, the best CPU seconds, the orders loaded and the
first value hashes (which must agree), with the machine's load average before and after.

Usage::

    git worktree add /tmp/before 835b9f9
    .venv/bin/python bench/ingest.py --repeat 1          # makes bench/data/synth-1000000-7
    .venv/bin/python bench/ingest_versions.py bench/data/synth-1000000-7 /tmp/before . --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys, time
from linkguard.io import read_market
read_market(sys.argv[1], pepper=b"bench-pepper")
wall, cpu = [], []
for _ in range(2):
    t0, c0 = time.perf_counter(), time.process_time()
    market = read_market(sys.argv[1], pepper=b"bench-pepper")
    wall.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
hashes = market.identifiers["value_hash"].iloc[:3].tolist()
out = {"wall": min(wall), "cpu": min(cpu), "orders": len(market.orders), "hashes": hashes}
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("data", type=Path, help="a market's data directory")
    parser.add_argument("checkouts", type=Path, nargs="+", help="folders holding src/linkguard")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[Path, list[dict[str, object]]] = {c: [] for c in args.checkouts}
    print("load average before", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            env = dict(os.environ, PYTHONPATH=str(checkout.resolve() / "src"))
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(args.data)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                sys.stderr.write(done.stderr)
                return 1
            results[checkout].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("load average after ", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for checkout, runs in results.items():
        wall = [float(str(r["wall"])) for r in runs]
        cpu = [float(str(r["cpu"])) for r in runs]
        print(
            f"{checkout!s:32s} wall best {min(wall):.3f} s, "
            f"median {statistics.median(wall):.3f} s; CPU best {min(cpu):.3f} s; "
            f"orders {runs[0]['orders']}; hashes {runs[0]['hashes']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

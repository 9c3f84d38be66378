"""The Spark engine (``local[2]``) beside the in-memory engine: wall time, peak memory, growth.

Both run ``linkguard analyze DATA --out OUT`` as a child process on the same synthetic market
(``linkguard.synth``, cached under ``bench/data/``), one after the other; the resident memory of
each child's process tree (for Spark: the Python driver, the JVM and the Python workers) is
sampled every 0.2 s. The script prints, per size, wall time and peak memory of both engines
and their ratios, and, for every two sizes that ran, how each engine's time and memory grew
between them against the growth of orders (linear growth: a ratio near 1). Each size's
figures are saved beside its outputs (``result.json``); ``--compare ACCOUNTS…`` adds sizes
measured by an earlier run to the growth lines.

The goal is not to beat the in-memory engine on one machine: it is to show that the Spark
engine's cost grows in proportion to the orders.

Run::

    .venv/bin/python bench/spark.py --accounts 200000           # ~1M orders
    .venv/bin/python bench/spark.py --accounts 200000 600000    # ~1M and ~3M orders
    .venv/bin/python bench/spark.py --accounts 2000000 --compare 200000 600000  # ~10M, growth
    .venv/bin/python bench/spark.py --accounts 200000 --spark-only \
        --spark-conf spark.sql.shuffle.partitions=16            # Spark alone, per stage

The load average is printed at the start and end of each run: on a shared machine the
figures mean little without it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

from pipeline import DATA_ROOT, describe, ensure_market, tree_rss


def _watch(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``cmd``; wall seconds, peak RSS of its process tree, and its stderr tail."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    ps = psutil.Process(proc.pid)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True)
    reader.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        time.sleep(0.2)
    reader.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        log = DATA_ROOT / "spark-out" / "failed.stderr"
        log.write_text("".join(err))
        first = next((line for line in err if "Error" in line or "Exception" in line), "")
        raise SystemExit(
            f"{' '.join(cmd)} failed (whole stderr in {log}):\n{first}{''.join(err[-30:])}"
        )
    return wall, peak, "".join(err[-5:])


def run(
    data: Path, engine: str, out_root: Path, master: str, conf: list[str] | None = None
) -> dict[str, Any]:
    out = out_root / engine
    cmd = [
        sys.executable,
        "-m",
        "linkguard",
        "analyze",
        str(data),
        "--out",
        str(out),
        "--engine",
        engine,
        "--format",
        "json",
    ]
    if engine == "spark":
        cmd += ["--master", master, "--spark-conf", "spark.driver.memory=3g"]
        for item in conf or []:
            cmd += ["--spark-conf", item]
    env = {**os.environ, "LINKGUARD_PEPPER": os.environ.get("LINKGUARD_PEPPER", "bench")}
    load = os.getloadavg()[0]
    wall, peak, _ = _watch(cmd, env)
    summary = json.loads((out / "summary.json").read_text())
    return {
        "wall": wall,
        "peak": peak,
        "flags": summary["flags"],
        "stages": summary["stage_seconds"],
        "load": (load, os.getloadavg()[0]),
    }


def _stages(stages: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in stages.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, nargs="+", default=[200_000])
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting for the Spark run (repeatable)",
    )
    ap.add_argument(
        "--spark-only",
        action="store_true",
        help="run the Spark engine only (no in-memory run, no ratios)",
    )
    ap.add_argument(
        "--compare",
        type=int,
        nargs="*",
        default=[],
        metavar="ACCOUNTS",
        help="also print growth against these sizes' saved results (result.json of a run)",
    )
    args = ap.parse_args(argv)
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    rows = []
    for accounts in args.accounts:
        data = ensure_market(accounts, args.seed)
        n_orders = describe(data)
        out_root = DATA_ROOT / "spark-out" / f"{accounts}-{args.seed}"
        out_root.mkdir(parents=True, exist_ok=True)
        spk = run(data, "spark", out_root, args.master, args.spark_conf)
        print(f"\n{n_orders:,} orders")
        print(
            f"  spark:     {spk['wall']:8.1f} s  peak {spk['peak'] / 2**30:6.2f} GiB  "
            f"({args.master}; load average {spk['load'][0]:.1f} at start, "
            f"{spk['load'][1]:.1f} at end)"
        )
        print(f"  spark stages (s): {_stages(spk['stages'])}")
        if args.spark_only:
            print(f"  flags: {spk['flags']}", flush=True)
            continue
        mem = run(data, "igraph", out_root, args.master)
        same = {c: (mem["flags"][c], spk["flags"][c]) for c in mem["flags"]}
        print(
            f"  in-memory: {mem['wall']:8.1f} s  peak {mem['peak'] / 2**30:6.2f} GiB  "
            f"(load average {mem['load'][0]:.1f} at start, {mem['load'][1]:.1f} at end)"
        )
        print(
            f"  spark / in-memory: time {spk['wall'] / mem['wall']:.1f}x, "
            f"memory {spk['peak'] / mem['peak']:.2f}x"
        )
        print(f"  in-memory stages (s): {_stages(mem['stages'])}")
        print(f"  flags (in-memory, spark): {same}", flush=True)
        result = {"accounts": accounts, "orders": n_orders, "in_memory": mem, "spark": spk}
        (out_root / "result.json").write_text(json.dumps(result, indent=1))
        rows.append((n_orders, mem, spk))
    for accounts in args.compare:
        saved = DATA_ROOT / "spark-out" / f"{accounts}-{args.seed}" / "result.json"
        r = json.loads(saved.read_text())
        rows.append((r["orders"], r["in_memory"], r["spark"]))
    rows.sort(key=lambda row: row[0])
    for (n0, m0, s0), (n1, m1, s1) in itertools.combinations(rows, 2):
        g = n1 / n0
        print(f"\ngrowth {n0:,} -> {n1:,} orders ({g:.1f}x):")
        for name, a, b in (("in-memory", m0, m1), ("spark", s0, s1)):
            print(
                f"  {name}: time {b['wall'] / a['wall']:.1f}x "
                f"({b['wall'] / a['wall'] / g:.2f} of linear), "
                f"memory {b['peak'] / a['peak']:.1f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

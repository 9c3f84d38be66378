"""End-to-end speed: ``linkguard analyze`` against the same steps written plainly.

Side by side on one synthetic market (``linkguard.synth``, cached under ``bench/data/``):

(a) linkguard's ``run_analysis(data_dir, out_dir)``: ingest, graph, detectors, flags, snapshot;
(b) the same steps written plainly with pandas + networkx + the standard library
    (``bench/_plain.py``: ``read_csv``, pandas row checks, ``hmac`` per value, networkx
    components, a heapq FRAUDAR peel, Counter of buyer pairs, ``networkx.simple_cycles``,
    pandas groupby, parquet).

Both run in this process, linkguard first, after a warm-up on a tiny market (numba caches,
imports) and with the input files already in the page cache. The script prints each stage's
seconds for both, the totals and the speed ratio (goal: linkguard >= 10x faster). A plain
stage whose main loop would run past ``--plain-budget`` seconds is stopped: its total is then
extrapolated from the share of the loop done (marked ``~``), or, where the share cannot be
known (the cycle search) or is under 1%, given as a lower bound (marked ``>``). Either way
the script says so and how; such figures are never passed off as measured.

``--big`` runs linkguard alone on a 10M-order market (2,000,000 accounts) as a subprocess,
``linkguard analyze DATA --out OUT``, sampling the resident memory of its process tree every
0.2 s (and ``/usr/bin/time -v`` when present), and prints wall time and peak RSS against the
goals (under 2 minutes, under 8 GiB on 2 cores), per-stage seconds from the snapshot's
``summary.json`` and, per stage (told by the child's progress lines on stderr), the wall time,
CPU time and peak memory seen while it ran.

Machine load (load average, CPU used by other processes during each run) is printed with
every figure: on a shared machine the figures are only as good as the quiet they ran in.

Run::

    .venv/bin/python bench/pipeline.py --accounts 20000        # quick check
    .venv/bin/python bench/pipeline.py                          # 200k accounts, ~1M orders
    .venv/bin/python bench/pipeline.py --big                    # 10M orders, linkguard only
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _plain import PlainResult, run_plain
from linkguard.detect.rings import RingParams
from linkguard.pipeline.analysis import run_analysis
from linkguard.pipeline.timing import StageTimer

DATA_ROOT = Path(__file__).resolve().parent / "data"
PEPPER = "bench-pipeline-pepper"
GiB = 2**30
TIME_GOAL_S = 120.0
MEMORY_GOAL_GIB = 8.0
SPEED_GOAL = 10.0

#: linkguard stage -> the plain stages doing the same work (linkguard's ``linked`` stage also
#: finds self-dealing; plain builds each detector's graph inside the detector's stage).
STAGE_MAP: list[tuple[str, tuple[str, ...]]] = [
    ("ingest", ("ingest",)),
    ("graph", ()),
    ("linked", ("linked", "self_dealing")),
    ("rings", ("rings",)),
    ("lockstep", ("lockstep",)),
    ("cycles", ("cycles",)),
    ("concentration", ("concentration",)),
    ("flags", ("flags",)),
    ("write", ("write",)),
]


# ----------------------------------------------------------------------------- data

#: Child-process generator. ``pyarrow.array`` turns a numpy fixed-width bytes array of about a
#: million values or more into a ChunkedArray, which ``linkguard.synth`` then fails to concatenate
#: with plain arrays (``TypeError: Iterable should contain Array objects`` in
#: ``IdentifierBook.rows`` at 2,000,000 accounts). The generator's byte-to-text helper is wrapped
#: here to return one contiguous array; the values are unchanged.
_GENERATE = """
import sys
import pyarrow as pa
from linkguard.synth import generate_market, text, write_market

_from_bytes = text._from_bytes

def _contiguous(fixed):
    out = _from_bytes(fixed)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out

text._from_bytes = _contiguous
market = generate_market(accounts=int(sys.argv[1]), seed=int(sys.argv[2]))
write_market(market, sys.argv[3])
"""


def ensure_market(accounts: int, seed: int) -> Path:
    """The cached market of ``accounts`` and ``seed``, generated (in a child process) if absent.

    Written beside its final place and renamed, so an interrupted run leaves no half market.
    """
    target = DATA_ROOT / f"pipeline-{accounts}-{seed}"
    if (target / "orders.csv").exists():
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"generating {target} (accounts={accounts:,}, seed={seed}) ...", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _GENERATE, str(accounts), str(seed), str(partial)], check=True
    )
    partial.rename(target)
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return target


def describe(data_dir: Path) -> int:
    """Print the tables' sizes; returns the number of order rows."""
    n_orders = 0
    for name in ("orders", "accounts", "identifiers", "loans"):
        path = data_dir / f"{name}.csv"
        if not path.exists():
            continue
        with path.open("rb") as fh:
            lines = sum(1 for _ in fh) - 1
        if name == "orders":
            n_orders = lines
        print(f"  {name:12s} {lines:>11,d} rows {path.stat().st_size / 2**20:8.1f} MiB")
    return n_orders


# ----------------------------------------------------------------------------- load


class LoadMeter:
    """Load average, and CPU seconds other processes used while a measurement ran."""

    def __init__(self, own: psutil.Process | None = None) -> None:
        self.own = own or psutil.Process()
        self.load_before = os.getloadavg()
        self.wall = time.perf_counter()
        self.busy = self._busy()
        self.own_cpu = self._own_cpu()

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)

    def _own_cpu(self) -> float:
        try:
            t = self.own.cpu_times()
            return t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            return 0.0

    def report(self, own_cpu: float | None = None) -> str:
        """One line: load before/after and how busy other processes kept the cores."""
        wall = time.perf_counter() - self.wall
        used = (own_cpu if own_cpu is not None else self._own_cpu()) - self.own_cpu
        others = max(self._busy() - self.busy - used, 0.0)
        after = os.getloadavg()
        return (
            f"load avg {self.load_before[0]:.2f} -> {after[0]:.2f} "
            f"(1-min; {os.cpu_count()} cores); this run used {used:.0f} CPU-s in "
            f"{wall:.0f} s wall, other processes {others:.0f} CPU-s "
            f"(~{others / max(wall, 1e-9):.2f} cores busy on average)"
        )


# ----------------------------------------------------------------------------- runs


def warm_up() -> None:
    """Load numba's cached kernels and both implementations' imports on a tiny market."""
    tiny = ensure_market(600, 1)
    out = DATA_ROOT / "pipeline-out" / "warm-up"
    run_analysis(tiny, out / "linkguard")
    run_plain(tiny, out / "plain", PEPPER.encode())


def read_files(data_dir: Path) -> None:
    """Read every table once so both implementations find it in the page cache."""
    for path in sorted(data_dir.glob("*.csv")):
        with path.open("rb") as fh:
            while fh.read(1 << 24):
                pass


def run_linkguard(
    data_dir: Path, out_dir: Path
) -> tuple[dict[str, float], dict[str, float], float, float, dict]:
    """Wall seconds per stage, CPU seconds per stage, total wall, total CPU, summary."""
    marks: list[tuple[str, float]] = []
    timer = StageTimer(progress=lambda name: marks.append((name, time.process_time())))
    start, cpu_start = time.perf_counter(), time.process_time()
    snapshot = run_analysis(data_dir, out_dir, timer=timer)
    total, cpu_end = time.perf_counter() - start, time.process_time()
    # A stage's CPU runs from its start to the next stage's start (or the end of the run).
    cpu: dict[str, float] = {}
    for (name, at), (_, nxt) in zip(marks, [*marks[1:], ("end", cpu_end)], strict=True):
        cpu[name] = cpu.get(name, 0.0) + nxt - at
    return dict(timer.seconds), cpu, total, cpu_end - cpu_start, snapshot.summary


def compare(args: argparse.Namespace) -> None:
    data_dir = ensure_market(args.accounts, args.seed)
    print(f"market: {data_dir}")
    n_orders = describe(data_dir)
    out_root = DATA_ROOT / "pipeline-out" / f"{args.accounts}-{args.seed}"
    print("warming up (tiny market: numba caches, imports) ...", flush=True)
    warm_up()
    read_files(data_dir)
    gc.collect()

    meter = LoadMeter()
    lg_stages, lg_cpu, lg_total, lg_cpu_total, summary = run_linkguard(
        data_dir, out_root / "linkguard"
    )
    lg_load = meter.report()
    print(f"\nlinkguard run_analysis: {lg_total:.2f} s  [{lg_load}]", flush=True)
    gc.collect()

    plain: PlainResult | None = None
    if not args.skip_plain:
        print(f"plain pandas + networkx (stage budget {args.plain_budget:.0f} s) ...", flush=True)
        meter = LoadMeter()
        start = time.perf_counter()
        plain = run_plain(data_dir, out_root / "plain", PEPPER.encode(), args.plain_budget)
        plain_wall = time.perf_counter() - start
        plain_load = meter.report()
        print(f"plain finished in {plain_wall:.1f} s wall  [{plain_load}]", flush=True)

    print(f"\n=== {n_orders:,} orders, {args.accounts:,} accounts, seed {args.seed} ===")
    print(
        "wall seconds (CPU seconds of this process in brackets; ~ extrapolated, > lower bound: "
        "not finished)"
    )
    print(
        f"{'stage':<14} {'linkguard':>16} {'plain':>18} {'wall ratio':>10} {'CPU ratio':>9}"
        f"  plain stages"
    )
    lg_sum = lg_cpu_sum = plain_sum = plain_cpu = 0.0
    for lg_name, plain_names in STAGE_MAP:
        lg_s, lg_c = lg_stages.get(lg_name, 0.0), lg_cpu.get(lg_name, 0.0)
        lg_sum += lg_s
        lg_cpu_sum += lg_c
        lg_txt = f"{lg_s:.2f} ({lg_c:.1f})"
        if plain is None:
            print(f"{lg_name:<14} {lg_txt:>16}")
            continue
        recs = [plain.stages[p] for p in plain_names if p in plain.stages]
        p_s, p_c = sum(r.seconds for r in recs), sum(r.cpu_seconds for r in recs)
        plain_sum += p_s
        plain_cpu += p_c
        mark = "".join(sorted({r.mark for r in recs}))
        p_txt = f"{mark}{p_s:.2f} ({mark}{p_c:.1f})" if recs else "-"
        ratio = f"{p_s / lg_s:.1f}x" if recs and lg_s > 0 else "-"
        cratio = f"{p_c / lg_c:.1f}x" if recs and lg_c > 0 else "-"
        print(
            f"{lg_name:<14} {lg_txt:>16} {p_txt:>18} {ratio:>10} {cratio:>9}  "
            f"{' + '.join(plain_names) or '(inside each plain stage)'}"
        )
    print(f"{'(between)':<14} {lg_total - lg_sum:>16.2f}")
    print(
        "  (linkguard's rings run on a second thread beside linked, lockstep and cycles: their "
        "seconds\n   overlap, so '(between)' can be negative, and the CPU of that thread counts "
        "under the stage\n   the main thread was in)"
    )
    lg_txt = f"{lg_total:.2f} ({lg_cpu_total:.1f})"
    if plain is None:
        print(f"{'total':<14} {lg_txt:>16}")
        return
    unmeasured = {k: v for k, v in plain.stages.items() if v.mark}
    mark = "".join(sorted({v.mark for v in unmeasured.values()}))
    ratio, cratio = plain_sum / lg_total, plain_cpu / max(lg_cpu_total, 1e-9)
    p_txt = f"{mark}{plain_sum:.2f} ({mark}{plain_cpu:.1f})"
    print(f"{'total':<14} {lg_txt:>16} {p_txt:>18} {ratio:>9.1f}x {cratio:>8.1f}x")
    measured = sum(v.seconds for v in plain.stages.values() if not v.mark)
    if ratio >= SPEED_GOAL:
        verdict = "met" + (" (on an estimate)" if "~" in mark else "")
    else:
        verdict = (
            "undecided: a lower bound"
            if ">" in mark
            else "NOT met" + (" (on an estimate)" if "~" in mark else "")
        )
    print(
        f"\nspeed ratio (plain total / linkguard total, wall): {mark}{ratio:.1f}x  "
        f"(goal: >= {SPEED_GOAL:g}x -> {verdict}); in CPU seconds: {mark}{cratio:.1f}x"
    )
    if unmeasured:
        print("not measured in full (~ extrapolated, > lower bound):")
        for name, rec in unmeasured.items():
            print(f"  {name}: {rec.mark}{rec.seconds:.1f} s; {rec.how}")
        measured_ratio = (
            measured + sum(v.measured_seconds or 0.0 for v in unmeasured.values())
        ) / lg_total
        print(
            f"  measured part only (plain stopped at the budget): plain >= "
            f"{measured_ratio * lg_total:.1f} s, ratio >= {measured_ratio:.1f}x"
        )
    print(
        "\nwhat each side found (a sanity check that both did the work; the plain rules are "
        "simpler, so counts differ):"
    )
    print(
        f"  linkguard: clusters {summary['clusters']:,}, rings {summary['rings']}, lockstep "
        f"groups {summary['lockstep_groups']}, cycles {summary['cycles']}, flags "
        f"{sum(summary['flags'].values()):,}, flagged accounts {summary['flagged_accounts']:,}, "
        f"quarantined {_quarantined(summary)}"
    )
    c = plain.counts
    print(
        f"  plain:     clusters {c.get('clusters', 0):,}, ring members "
        f"{c.get('ring_members', 0)} (one peel), lockstep groups {c.get('lockstep_groups', 0)}, "
        f"cycles {c.get('cycles', 0)}, flags {c.get('flags', 0):,}, flagged accounts "
        f"{c.get('flagged_accounts', 0):,}, quarantined {c['quarantined']}"
    )
    print(f"  plain cycle search: {c['cycles_progress']}")
    check_hashes(plain)
    print(
        "\nnotes: plain lockstep uses one hour grid (linkguard two, half an hour apart); plain "
        f"rings run one peel on buyer x seller (linkguard up to {RingParams().max_peels} peels "
        "per view with pruning and "
        "background tests, plus the buyer x (seller, hour) view); plain linking uses strong "
        "values shared by <= 30 accounts only (linkguard weighs every kind by sharers); plain "
        "flags carry codes only (no scores, reasons or evidence)."
    )


def _quarantined(summary: dict[str, Any]) -> dict[str, int]:
    return {k: v["rows_quarantined"] for k, v in summary["inputs"].items()}


def check_hashes(plain: PlainResult) -> None:
    """The plain HMAC of sampled identifier values equals linkguard's pseudonymisation."""
    from linkguard.io.hashing import pseudonymise

    sample = plain.hash_sample
    if sample is None or not len(sample):
        return
    same = 0
    for kind, part in sample.groupby("kind"):
        ours = pseudonymise(part["value"].tolist(), str(kind), PEPPER.encode())
        same += int((ours == part["value_hash"].to_numpy()).sum())
    print(f"  identifier hashes: plain == linkguard on {same:,} of {len(sample):,} sampled values")


# ----------------------------------------------------------------------------- big


class _StageWatch(threading.Thread):
    """Reads the child's stderr: its progress lines tell the current stage and when it began."""

    def __init__(self, stream: Any, start: float) -> None:
        super().__init__(daemon=True)
        from linkguard.cli.analyze import STAGE_TEXT

        self.by_text = {f"{text}...": name for name, text in STAGE_TEXT.items()}
        self.stream = stream
        self.stage = "startup"
        #: (stage, seconds since the child started) at each stage start.
        self.starts: list[tuple[str, float]] = [("startup", 0.0)]
        self.t0 = start
        self.lines: list[str] = []

    def run(self) -> None:
        for raw in self.stream:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            name = self.by_text.get(line.strip())
            if name is not None:
                self.stage = name
                self.starts.append((name, time.perf_counter() - self.t0))

    def stage_walls(self, end: float) -> dict[str, float]:
        """Seconds from each stage's progress line to the next (the last one to ``end``)."""
        out: dict[str, float] = {}
        for (name, at), (_, nxt) in zip(self.starts, [*self.starts[1:], ("", end)], strict=True):
            out[name] = out.get(name, 0.0) + nxt - at
        return out


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in _tree(proc):
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def tree_cpu(proc: psutil.Process) -> float | None:
    total = 0.0
    for p in _tree(proc):
        try:
            t = p.cpu_times()
        except psutil.Error:
            return None
        total += t.user + t.system
    return total


def big(args: argparse.Namespace) -> None:
    data_dir = ensure_market(args.big_accounts, args.seed)
    print(f"market: {data_dir}")
    n_orders = describe(data_dir)
    read_files(data_dir)
    out_dir = DATA_ROOT / "pipeline-out" / f"big-{args.big_accounts}-{args.seed}"
    exe = Path(sys.executable).with_name("linkguard")
    cmd = [str(exe), "analyze", str(data_dir), "--out", str(out_dir), "--format", "json"]
    gnu_time = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
    if gnu_time:
        cmd = [gnu_time, "-v", *cmd]
    env = {**os.environ, "LINKGUARD_PEPPER": PEPPER}
    print(f"running: {' '.join(cmd)}", flush=True)
    stdout_path = out_dir.with_name(out_dir.name + ".stdout.json")
    stderr_path = out_dir.with_name(out_dir.name + ".stderr.txt")
    gc.collect()
    meter = LoadMeter()
    start = time.perf_counter()
    peak, peak_stage = 0, ""
    stage_peak: dict[str, int] = {}
    stage_cpu: dict[str, float] = {}
    cpu_total = 0.0
    with stdout_path.open("wb") as stdout:
        child = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
        proc = psutil.Process(child.pid)
        watch = _StageWatch(child.stderr, start)
        watch.start()
        while child.poll() is None:
            stage = watch.stage
            rss = tree_rss(proc)
            cpu = tree_cpu(proc)
            if cpu is not None and cpu >= cpu_total:
                stage_cpu[stage] = stage_cpu.get(stage, 0.0) + cpu - cpu_total
                cpu_total = cpu
            stage_peak[stage] = max(stage_peak.get(stage, 0), rss)
            if rss > peak:
                peak, peak_stage = rss, stage
            time.sleep(0.2)
        wall = time.perf_counter() - start
        watch.join(timeout=5)
    stderr_path.write_text("\n".join(watch.lines) + "\n")
    load = meter.report(own_cpu=meter.own_cpu + cpu_total)
    maxrss_kib = None
    for line in watch.lines:
        if "Maximum resident set size" in line:
            maxrss_kib = int(line.rsplit(":", 1)[1])
    print(f"\n=== linkguard analyze, {n_orders:,} orders, {args.big_accounts:,} accounts ===")
    print(f"exit code {child.returncode}; {load}")
    print(f"child stderr: {stderr_path}")
    if child.returncode != 0:
        print("FAILED; the end of the child's stderr:")
        print("\n".join(watch.lines[-60:]))
    goal_t = "met" if wall < TIME_GOAL_S else "NOT met"
    goal_m = "met" if peak / GiB < MEMORY_GOAL_GIB else "NOT met"
    print(
        f"wall time      {wall:8.1f} s   (goal < {TIME_GOAL_S:.0f} s: {goal_t}; from launch to "
        f"exit, interpreter start and imports included); CPU {cpu_total:.0f} s"
    )
    print(
        f"peak RSS       {peak / GiB:8.2f} GiB (goal < {MEMORY_GOAL_GIB:g} GiB: {goal_m}; "
        f"process tree sampled every 0.2 s, peak during '{peak_stage}')"
    )
    if maxrss_kib is not None:
        print(
            f"max RSS        {maxrss_kib / 2**20:8.2f} GiB (/usr/bin/time -v: largest single "
            f"process, kernel accounting)"
        )
    summary_path = out_dir / "summary.json"
    summary: dict[str, Any] = {}
    if child.returncode == 0 and summary_path.exists():
        summary = json.loads(summary_path.read_text())
    stages = summary.get("stage_seconds", {})
    walls = watch.stage_walls(wall)
    print(
        "\nper stage: seconds from summary.json (the snapshot's own timer); wall from the "
        "child's progress lines,\nCPU and peak RSS of the process tree sampled while the stage "
        "ran ('write' is not in summary.json:\nthe file is written during that stage):"
    )
    print(
        f"  {'stage':<15} {'summary s':>9} {'wall s':>7} {'share':>6} {'CPU s':>7} "
        f"{'peak RSS GiB':>13}"
    )
    order = sorted(walls, key=lambda k: -walls[k])
    for name in order:
        sec = stages.get(name)
        sec_txt = f"{sec:.2f}" if sec is not None else "-"
        rss = stage_peak.get(name)
        rss_txt = f"{rss / GiB:.2f}" if rss else "-"
        print(
            f"  {name:<15} {sec_txt:>9} {walls[name]:>7.1f} {walls[name] / wall:>6.0%} "
            f"{stage_cpu.get(name, 0.0):>7.1f} {rss_txt:>13}"
        )
    print(
        "  (rings run on a second thread beside linked, lockstep and cycles: its summary "
        "seconds are its\n   own, its wall is the wait after them, and its CPU falls under "
        "theirs)"
    )
    if summary:
        inputs = summary.get("inputs", {})
        print(
            "inputs: "
            + ", ".join(
                f"{k} {v['rows_in']:,} in / {v['rows_quarantined']:,} quarantined"
                for k, v in inputs.items()
            )
        )
        print(
            f"found: clusters {summary.get('clusters')}, rings {summary.get('rings')}, "
            f"lockstep groups {summary.get('lockstep_groups')}, cycles {summary.get('cycles')}, "
            f"flagged accounts {summary.get('flagged_accounts')}"
        )


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("Run::", 1)[0].rstrip(),
        epilog=(
            "examples:\n"
            "  .venv/bin/python bench/pipeline.py --accounts 20000\n"
            "  .venv/bin/python bench/pipeline.py                 # ~1M orders, both sides\n"
            "  .venv/bin/python bench/pipeline.py --skip-plain\n"
            "  .venv/bin/python bench/pipeline.py --big           # 10M orders, linkguard"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=200_000,
        help="accounts in the compared market (default 200000: ~1M orders, five per account)",
    )
    parser.add_argument("--seed", type=int, default=5, help="synthetic market seed (default 5)")
    parser.add_argument(
        "--skip-plain",
        action="store_true",
        help="time linkguard only (no plain pandas + networkx run)",
    )
    parser.add_argument(
        "--plain-budget",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time budget of the main loop of each long plain stage (rings, "
        "lockstep, cycles); past it the stage stops and its total is "
        "extrapolated from the share of the loop done, or reported as a "
        "lower bound (default 600)",
    )
    parser.add_argument(
        "--big",
        action="store_true",
        help="instead: linkguard alone on a 10M-order market in a subprocess, "
        "with wall time, peak RSS and per-stage seconds",
    )
    parser.add_argument(
        "--big-accounts",
        type=int,
        default=2_000_000,
        help="accounts of the --big market (default 2000000: ~10M orders)",
    )
    args = parser.parse_args(argv)
    os.environ["LINKGUARD_PEPPER"] = PEPPER
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    (DATA_ROOT / "pipeline-out").mkdir(exist_ok=True)
    if args.big:
        big(args)
    else:
        compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

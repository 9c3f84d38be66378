"""Ingest speed: ``linkguard.io.read_market`` against ``pandas.read_csv`` on the same files.

``read_market`` reads every column as raw bytes, validates every row, normalises ids, amounts
and timestamps, pseudonymises identifier values and builds the market; ``pandas.read_csv``
(default settings) only parses the files. Both run in the same process, alternately, on the
same data directory; the best of ``--repeat`` rounds is compared. A second peer reads every
column as text (``dtype=str, keep_default_na=False``), which is what validation needs and so
the like-for-like read. The machine's load average is printed with the results, and CPU
seconds next to wall seconds: on a shared machine the wall times of the readers move with
whatever else runs.

The data directory is a synthetic market of ``--orders`` orders (about one account per five
orders, three identifier rows per account, one loan per four accounts), made by
``linkguard.synth`` when it is importable and by a plain numpy generator otherwise, and cached
under ``bench/data/``.

Usage::

    .venv/bin/python bench/ingest.py                  # 1M orders
    .venv/bin/python bench/ingest.py --orders 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from linkguard.io import read_market

DATA_ROOT = Path(__file__).resolve().parent / "data"
TABLE_NAMES = ("orders", "accounts", "identifiers", "loans")
PEPPER = b"bench-pepper"
#: Share of rows the numpy generator spoils, so the quarantine path is exercised too.
DIRTY_SHARE = 0.0005


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in the market")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per reader")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--source",
        choices=("auto", "synth", "numpy"),
        default="auto",
        help="generator: linkguard.synth when importable (auto), or the numpy one",
    )
    args = parser.parse_args(argv)

    data_dir = ensure_data(args.orders, args.seed, args.source)
    files = [p for name in TABLE_NAMES for p in sorted(data_dir.glob(f"{name}.csv"))]
    print(f"data: {data_dir}")
    for p in files:
        print(f"  {p.name:16s} {count_lines(p):>10,d} lines {p.stat().st_size / 2**20:8.1f} MiB")

    warm_up(files)
    load_before = os.getloadavg()
    ours: list[float] = []
    peer: list[float] = []
    peer_text: list[float] = []
    cpu: dict[str, list[float]] = {"ours": [], "peer": [], "peer_text": []}
    stages: dict[str, float] = {}
    for _ in range(args.repeat):
        peer.append(timed(lambda: [pd.read_csv(p) for p in files], cpu["peer"]))
        start = time.process_time()
        round_stages, seconds = time_read_market(data_dir)
        cpu["ours"].append(time.process_time() - start)
        ours.append(seconds)
        for step, took in round_stages.items():
            stages[step] = min(stages.get(step, took), took)
        peer_text.append(
            timed(
                lambda: [pd.read_csv(p, dtype=str, keep_default_na=False) for p in files],
                cpu["peer_text"],
            )
        )

    market = read_market(data_dir, pepper=PEPPER)
    print("read_market result:")
    for name, report in market.reports.items():
        print(
            f"  {name:12s} in {report.rows_in:>10,d} loaded {report.rows_loaded:>10,d} "
            f"quarantined {report.rows_quarantined:>6,d} {report.by_reason}"
        )
    print(
        "read_market stages (best of the rounds): "
        + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items())
    )
    print(
        f"rounds (s): read_market {fmt(ours)} | pandas.read_csv {fmt(peer)} | "
        f"pandas.read_csv(dtype=str) {fmt(peer_text)}"
    )
    print(
        f"load average (1, 5, 15 min) on {os.cpu_count()} CPUs: before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    best, best_peer, best_text = min(ours), min(peer), min(peer_text)
    print(f"pandas.read_csv (default)        {best_peer:7.3f} s  (CPU {min(cpu['peer']):.3f} s)")
    print(
        f"pandas.read_csv (dtype=str)      {best_text:7.3f} s  (CPU {min(cpu['peer_text']):.3f} s)"
    )
    print(
        f"linkguard read_market            {best:7.3f} s  (median {statistics.median(ours):.3f}, "
        f"CPU {min(cpu['ours']):.3f} s)"
    )
    print(f"speed-up vs pandas default:   {best_peer / best:5.2f}x  (goal: >= 2x)")
    print(f"speed-up vs pandas dtype=str: {best_text / best:5.2f}x")
    return 0


def timed(fn: Callable[[], object], cpu: list[float] | None = None) -> float:
    """Wall seconds of ``fn()``; its CPU seconds (all threads) are appended to ``cpu``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start


def time_read_market(data_dir: Path) -> tuple[dict[str, float], float]:
    stages: dict[str, float] = {}
    start = last = time.perf_counter()

    def progress(step: str, _done: int, _total: int) -> None:
        nonlocal last
        now = time.perf_counter()
        stages[step] = now - last
        last = now

    read_market(data_dir, pepper=PEPPER, progress=progress)
    return stages, time.perf_counter() - start


def warm_up(files: list[Path]) -> None:
    """Load compiled kernels and let both readers touch the files once (page cache)."""
    tiny = DATA_ROOT / "warm-up"
    tiny.mkdir(parents=True, exist_ok=True)
    (tiny / "orders.csv").write_text(
        "order_id,buyer_id,seller_id,amount,created_at\n"
        'o1,b,s,1,2026-01-01T00:00:00Z\n"o2",b,s,1,2026-01-01\n'
    )
    (tiny / "identifiers.csv").write_text("account_id,kind,value\nb,phone,1\n")
    read_market(tiny, pepper=PEPPER)
    for p in files:
        p.read_bytes()


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))


# --- the data directory --------------------------------------------------------------------------


def ensure_data(n_orders: int, seed: int, source: str) -> Path:
    """A cached data directory of ``n_orders`` orders; generated when missing."""
    if source in ("auto", "synth"):
        try:
            from linkguard.synth import generate_market, write_market
        except ImportError:
            if source == "synth":
                raise
        else:
            out = DATA_ROOT / f"synth-{n_orders}-{seed}"
            if not (out / ".complete").exists():
                print(f"generating {out} with linkguard.synth ...", file=sys.stderr)
                market = generate_market(
                    accounts=max(n_orders // 5, 500), seed=seed, orders=n_orders
                )
                write_market(market, out)
                (out / ".complete").write_text("ok\n")
            return out
    out = DATA_ROOT / f"numpy-{n_orders}-{seed}"
    if not (out / ".complete").exists():
        print(f"generating {out} with numpy ...", file=sys.stderr)
        generate_numpy(out, n_orders, seed)
        (out / ".complete").write_text("ok\n")
    return out


def generate_numpy(out: Path, n_orders: int, seed: int) -> None:
    """A plain synthetic market: power-law shops, ISO timestamps, a few spoilt rows."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_accounts = max(n_orders // 5, 10)
    start = int(np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64))
    span = 365 * 86_400
    account_ids = "acc" + pl.Series(np.arange(n_accounts)).cast(pl.String).str.zfill(7)

    pl.DataFrame(
        {
            "account_id": account_ids,
            "created_at": iso(start - rng.integers(0, 3 * span, n_accounts)),
            "kind": rng.choice(["buyer", "seller", "both"], n_accounts, p=[0.8, 0.1, 0.1]),
            "region": rng.choice(["north", "south", "east", "west", "central"], n_accounts),
            "status": rng.choice(
                ["active", "frozen", "defaulted", "blacklisted"],
                n_accounts,
                p=[0.96, 0.02, 0.015, 0.005],
            ),
        }
    ).write_csv(out / "accounts.csv")

    n_shops = max(n_accounts // 10, 1)
    created = start + rng.integers(0, span, n_orders)
    status = rng.choice(
        ["paid", "shipped", "confirmed", "refunded", "cancelled"],
        n_orders,
        p=[0.1, 0.1, 0.7, 0.05, 0.05],
    )
    confirmed = status == "confirmed"
    orders = pl.DataFrame(
        {
            "order_id": "ord" + pl.Series(np.arange(n_orders)).cast(pl.String).str.zfill(9),
            "buyer_id": account_ids.gather(rng.integers(n_shops, n_accounts, n_orders)),
            "seller_id": account_ids.gather((rng.zipf(1.5, n_orders) - 1) % n_shops),
            "amount": pl.Series(np.round(rng.lognormal(3.5, 1.0, n_orders), 2)).cast(pl.String),
            "created_at": iso(created),
            "status": status,
            # Unconfirmed orders have no rating and no confirmation time: empty fields.
            "rating": only_where(
                confirmed, pl.Series(rng.integers(1, 6, n_orders)).cast(pl.String)
            ),
            "confirmed_at": only_where(
                confirmed, iso(created + rng.integers(3_600, 14 * 86_400, n_orders))
            ),
        }
    )
    orders = spoil(orders, rng, {"amount": "12,50", "created_at": "yesterday", "rating": "6"})
    orders.write_csv(out / "orders.csv")

    n_ids = 3 * n_accounts
    owner = rng.integers(0, n_accounts, n_ids)
    kind = rng.choice(
        ["phone", "email", "device", "ip", "mobile", "Device_ID"],
        n_ids,
        p=[0.25, 0.2, 0.25, 0.2, 0.05, 0.05],
    )
    # A share of values repeats across accounts (shared devices, hub IPs, reused phones).
    shared = rng.random(n_ids) < 0.15
    key = np.where(shared, rng.integers(0, n_accounts // 20 + 1, n_ids), owner) * 3 + (
        rng.integers(0, 3, n_ids)
    )
    k = pl.Series(kind)
    text = pl.Series(key).cast(pl.String)
    phone = (
        "+1 (555) "
        + pl.Series(key % 1000).cast(pl.String).str.zfill(3)
        + "-"
        + pl.Series(key // 1000).cast(pl.String).str.zfill(5)
    )
    email = "User" + text + "@Example.com"
    device = "dev-" + pl.Series(key * 2_654_435_761 % (1 << 40)).cast(pl.String)
    octets = [pl.Series(key // 256**i % 256).cast(pl.String) for i in range(3)]
    ip = "10." + octets[0] + "." + octets[1] + "." + octets[2]
    value = pl.select(
        pl.when(k.is_in(["phone", "mobile"]))
        .then(phone)
        .when(k == "email")
        .then(email)
        .when(k.is_in(["device", "Device_ID"]))
        .then(device)
        .otherwise(ip)
    ).to_series()
    pl.DataFrame(
        {
            "account_id": account_ids.gather(owner),
            "kind": kind,
            "value": value,
            "seen_at": iso(start + rng.integers(0, span, n_ids)),
        }
    ).write_csv(out / "identifiers.csv")

    n_loans = max(n_accounts // 4, 1)
    overdue = rng.choice(["0", "1", ""], n_loans, p=[0.8, 0.1, 0.1])
    pl.DataFrame(
        {
            "loan_id": "loan" + pl.Series(np.arange(n_loans)).cast(pl.String).str.zfill(8),
            "account_id": account_ids.gather(rng.integers(0, n_accounts, n_loans)),
            "applied_at": iso(start + rng.integers(0, span, n_loans)),
            "amount": pl.Series(np.round(rng.lognormal(7, 1, n_loans), 2)).cast(pl.String),
            "product": rng.choice(["order", "credit"], n_loans),
            "decision": rng.choice(["approved", "declined"], n_loans),
            "first_overdue": overdue,
            "defaulted": np.where(overdue == "1", rng.choice(["0", "1"], n_loans), overdue),
        }
    ).write_csv(out / "loans.csv")


def iso(seconds: np.ndarray) -> pl.Series:
    """Epoch seconds as ISO-8601 UTC strings (``2025-03-04T12:34:56Z``)."""
    stamps = pl.Series((np.asarray(seconds) * 1000).astype("datetime64[ms]"))
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def only_where(mask: np.ndarray, values: pl.Series) -> pl.Series:
    """``values`` where ``mask`` holds, null elsewhere."""
    return values.zip_with(pl.Series(mask), pl.Series([None] * len(values), dtype=pl.String))


def spoil(frame: pl.DataFrame, rng: np.random.Generator, bad: dict[str, str]) -> pl.DataFrame:
    """``frame`` with a few random cells of each column in ``bad`` overwritten."""
    for column, value in bad.items():
        hit = np.zeros(frame.height, dtype=bool)
        hit[rng.choice(frame.height, max(int(frame.height * DIRTY_SHARE), 1), replace=False)] = True
        frame = frame.with_columns(
            pl.when(pl.Series(hit)).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        )
    return frame


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        sys.exit(main())

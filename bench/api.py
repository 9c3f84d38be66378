"""Flag API speed and memory: ``linkguard serve`` against a bare Starlette app.

``http`` (the default) starts ``linkguard serve`` on a synthetic snapshot in a subprocess and
a bare Starlette app in another (same uvicorn, same precomputed bytes for the same path from
the same :class:`~linkguard.serving.lookup.FlagIndex`; no auth, validation, request id or
access log), then drives both over loopback. ``--with-route`` adds a third subprocess:
linkguard's app with its fast path off, so lookups go through FastAPI's routing - what the fast
path saves.

Two loads, both bounded in count and time and aimed at 127.0.0.1 only:

- throughput: ``--concurrency`` keep-alive connections, each sending its next request as
  soon as the last answer arrived (closed loop), ``--requests`` in all. With 64 requests
  always in flight, latency here is mostly queueing (Little's law: 64 / RPS).
- latency: requests scheduled at a fixed rate (``--rate``, default 25% of the bare app's
  throughput) over the same connections; latency counts from the scheduled time, so a
  stalled server cannot hide its queue (no coordinated omission).

Each load runs ``--rounds`` times per server, alternating which server goes first, and each
server's median round is reported, so that other work on the machine weighs on all alike.
The load generator is ``bench/loadgen`` (Go, standard library only, built into bench/data on
first use) when ``go`` is on PATH, else plain asyncio on raw sockets in this process
(``--loadgen`` chooses). Either way it runs on the same 2 cores as the servers and competes
with them for CPU, so absolute figures are lower than on separate hosts; the compiled one
takes less of it. The ratio is the fair part. uvicorn uses
httptools and uvloop when they are importable (``uvicorn[standard]``), h11 and asyncio
otherwise; the output says which.

``rss`` starts ``linkguard serve --snapshot-root`` on a synthetic snapshot of ``--accounts``
flagged accounts (1M by default), reads the server's resident memory once it is ready (VmRSS,
and VmHWM: the peak while loading), then drops a second snapshot into the root and, while the
server builds and swaps to it, sends paced lookups (200/s) and reports their errors and
latency. The peak of the swap is the server's VmHWM, reset just before the second snapshot
appears (``/proc/PID/clear_refs``), so it is the highest resident memory of the swap alone,
from the build of the new index to the release of the old one; VmRSS is also sampled every
20 ms meanwhile as a cross-check. Then the memory after the swap.

Usage::

    .venv/bin/python bench/api.py                      # 100k accounts, 20k requests
    .venv/bin/python bench/api.py --requests 50000 --rounds 5 --with-route
    .venv/bin/python bench/api.py rss --accounts 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_ROOT = Path(__file__).resolve().parent / "data" / "api"
# The made-up snapshots the API tests use (tests/sample_snapshots.py, not part of the wheel).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
TOKEN = "bench-token-0123456789abcdef"
ROUTE = "/v1/accounts/{}/flags"


# -- snapshots ------------------------------------------------------------------------------------


def ensure_snapshot(n_accounts: int, name: str | None = None) -> Path:
    """A synthetic snapshot of ``n_accounts`` flagged accounts, cached under bench/data/api."""
    from linkguard.pipeline.snapshot import write_snapshot
    from sample_snapshots import synthetic_snapshot

    path = DATA_ROOT / (name or f"snap-{n_accounts}")
    if (path / "summary.json").is_file():
        return path
    started = time.perf_counter()
    print(f"writing a synthetic snapshot of {n_accounts:,} accounts to {path} ...", flush=True)
    snap = synthetic_snapshot(n_accounts, snapshot_id=f"bench-{n_accounts}")
    write_snapshot(snap, path)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def account_ids(n_accounts: int, count: int, seed: int = 7) -> list[str]:
    """Ids to ask for: 90% flagged accounts of the synthetic snapshot, 10% unknown ones."""
    rng = random.Random(seed)
    return [
        f"acct-{rng.randrange(n_accounts):08d}" if rng.random() < 0.9 else f"new-{i}"
        for i in range(count)
    ]


# -- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_ready(server: Server, timeout: float) -> float:
    """Poll /readyz (or / for the bare app) until 200; return the seconds it took."""
    import httpx

    path = "/ready" if server.name == "bare" else "/readyz"
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited: see {server.log}")
        try:
            if httpx.get(f"http://127.0.0.1:{server.port}{path}", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not ready after {timeout} s: see {server.log}")


def _spawn(name: str, args: Sequence[str], log: Path, env: dict[str, str] | None = None) -> Server:
    """Start ``python ARGS --port PORT`` on a free port, its stderr to ``log``."""
    port = free_port()
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, *args, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )
    return Server(name, proc, port, log)


def start_linkguard(args: Sequence[str], log: Path) -> Server:
    env = {**os.environ, "LINKGUARD_API_TOKENS": TOKEN}
    return _spawn("linkguard", ["-m", "linkguard", "serve", *args], log, env)


def start_bare(snapshot: Path, log: Path) -> Server:
    return _spawn("bare", [__file__, "bare", "--snapshot", str(snapshot)], log)


def start_route(snapshot: Path, log: Path) -> Server:
    return _spawn("fastapi-route", [__file__, "route", "--snapshot", str(snapshot)], log)


def run_route(snapshot: Path, port: int) -> None:
    """linkguard's app with the fast path off: lookups go through FastAPI's route."""
    import uvicorn

    from linkguard.api import SnapshotSource, create_app
    from linkguard.api.logs import lighten_log_records, log_config

    lighten_log_records()
    app = create_app(SnapshotSource(snapshot=snapshot), [TOKEN], fast_path=False)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=log_config("info"),
        access_log=False,
        server_header=False,
    )


def run_bare(snapshot: Path, port: int) -> None:
    """The peer: Starlette + uvicorn, the same bytes for the same path, nothing else."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from linkguard.serving.lookup import FlagIndex

    index = FlagIndex.load(snapshot, details=False)

    async def flags(request: Request) -> Response:
        payload = index.payload(request.path_params["account_id"])
        return Response(payload, media_type="application/json")

    async def ready(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    app = Starlette(
        routes=[Route("/v1/accounts/{account_id}/flags", flags), Route("/ready", ready)]
    )
    uvicorn.run(
        app, host="127.0.0.1", port=port, access_log=False, log_level="warning", server_header=False
    )


# -- load -----------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    #: Server CPU time (user + system) per answered request, in microseconds.
    cpu_us: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps),
            "p50_ms": round(self.pct(0.50), 3),
            "p99_ms": round(self.pct(0.99), 3),
            "p999_ms": round(self.pct(0.999), 3),
            "max_ms": round(max(self.latencies_ms), 3),
            "server_cpu_us_per_request": None if self.cpu_us is None else round(self.cpu_us, 1),
        }


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def drive(
    port: int,
    ids: Sequence[str],
    concurrency: int,
    rate: float | None = None,
    auth: bool = True,
    timeout: float = 120.0,
) -> Result:
    """Send one GET per id over ``concurrency`` keep-alive connections.

    ``rate`` None: closed loop, as fast as answers come. Otherwise requests are scheduled at
    ``rate`` per second and latency is measured from each request's scheduled time.
    """
    header = f"Authorization: Bearer {TOKEN}\r\n" if auth else ""
    requests = [
        (f"GET {ROUTE.format(a)} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n").encode() for a in ids
    ]
    latencies: list[float] = []
    errors = 0
    next_i = 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout

    async def worker() -> None:
        nonlocal next_i, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_i < len(requests) and loop.time() < deadline:
                i = next_i
                next_i += 1
                if rate is not None:
                    due = started + i / rate
                    delay = due - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    t0 = due
                else:
                    t0 = loop.time()
                writer.write(requests[i])
                status = await _read_response(reader)
                latencies.append((loop.time() - t0) * 1000)
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(len(latencies), errors, loop.time() - started, latencies)


LOADGEN_SOURCE = Path(__file__).resolve().parent / "loadgen"


def build_go_loadgen() -> Path | None:
    """Build ``bench/loadgen`` (Go, standard library only) into bench/data; None without Go."""
    go = shutil.which("go")
    if go is None:
        return None
    binary = DATA_ROOT / "loadgen"
    sources = [*LOADGEN_SOURCE.glob("*.go"), LOADGEN_SOURCE / "go.mod"]
    newest = max(f.stat().st_mtime for f in sources)
    if not binary.is_file() or binary.stat().st_mtime < newest:
        subprocess.run([go, "build", "-o", str(binary), "."], cwd=LOADGEN_SOURCE, check=True)
    return binary


def drive_go(
    binary: Path,
    port: int,
    ids: Sequence[str],
    concurrency: int,
    rate: float | None = None,
    auth: bool = True,
    timeout: float = 120.0,
) -> Result:
    """:func:`drive`, by the compiled generator: same requests, same scheduling rules."""
    paths = DATA_ROOT / "loadgen-paths.txt"
    paths.write_text("\n".join(ROUTE.format(a) for a in ids))
    lat_file = DATA_ROOT / "loadgen-latencies.txt"
    cmd = [
        str(binary),
        "-addr",
        f"127.0.0.1:{port}",
        "-paths",
        str(paths),
        "-conns",
        str(concurrency),
        "-rate",
        str(rate or 0),
        "-timeout",
        f"{timeout}s",
        "-latencies",
        str(lat_file),
    ]
    if auth:
        cmd += ["-token", TOKEN]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout)
    latencies = [float(x) for x in lat_file.read_text().split()]
    return Result(out["requests"], out["errors"], out["seconds"], latencies)


def _median(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def alternate(
    servers: Sequence[Server], rounds: int, load: Callable[[Server], Result]
) -> dict[str, Result]:
    """Run ``load`` on each server ``rounds`` times, alternating who goes first, and keep
    each server's median round: other work on the machine then weighs on both alike."""
    runs: dict[str, list[Result]] = {s.name: [] for s in servers}
    for r in range(rounds):
        for server in servers if r % 2 == 0 else list(reversed(servers)):
            before = _cpu_seconds(server.proc.pid)
            result = load(server)
            result.cpu_us = (_cpu_seconds(server.proc.pid) - before) / result.requests * 1e6
            runs[server.name].append(result)
    return {name: _median(results) for name, results in runs.items()}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc: Linux only).

    CPU time per request is the steadier measure on a shared machine: other processes
    delay a server (fewer requests per second of wall time) but do not make it spend
    more of its own CPU per request.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- commands -------------------------------------------------------------------------------------


def cmd_http(opts: argparse.Namespace) -> dict[str, Any]:
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    snapshot = ensure_snapshot(opts.accounts)
    ids = account_ids(opts.accounts, opts.requests)
    results: dict[str, Any] = {
        "accounts": opts.accounts,
        "requests": opts.requests,
        "concurrency": opts.concurrency,
        "rounds": opts.rounds,
        "uvicorn_http": _http_impl(),
        "event_loop": _loop_impl(),
        "load_average_before": round(os.getloadavg()[0], 2),
    }
    print(
        f"uvicorn http: {results['uvicorn_http']}; event loop: {results['event_loop']}; "
        f"load average {results['load_average_before']}"
    )
    binary = build_go_loadgen() if opts.loadgen in ("auto", "go") else None
    if opts.loadgen == "go" and binary is None:
        raise SystemExit("--loadgen go: the go command was not found")
    results["load_generator"] = "go (bench/loadgen)" if binary else "python asyncio"
    print(f"load generator: {results['load_generator']}")

    def load(
        port: int, ids: Sequence[str], conns: int, rate: float | None = None, auth: bool = True
    ) -> Result:
        if binary is not None:
            return drive_go(binary, port, ids, conns, rate, auth)
        return asyncio.run(drive(port, ids, conns, rate, auth))

    serve = start_linkguard(
        ["--snapshot", str(snapshot), "--log-level", "info"], DATA_ROOT / "serve.log"
    )
    bare = start_bare(snapshot, DATA_ROOT / "bare.log")
    servers = [serve, bare]
    if opts.with_route:
        servers.append(start_route(snapshot, DATA_ROOT / "route.log"))
    try:
        for server in servers:
            wait_ready(server, 300)
            load(server.port, ids[:2000], opts.concurrency)  # warm up
        closed = alternate(servers, opts.rounds, lambda s: load(s.port, ids, opts.concurrency))
        rate = opts.rate or round(closed["bare"].rps * 0.25)
        paced_ids = ids[: max(2000, int(rate * 8))]
        paced = alternate(
            servers, opts.rounds, lambda s: load(s.port, paced_ids, opts.concurrency, rate=rate)
        )
        rejected = load(serve.port, ids[:200], 4, auth=False)
    finally:
        for server in servers:
            server.stop()
    results["throughput"] = {name: r.row() for name, r in closed.items()}
    results["paced"] = {"rate": rate, **{name: r.row() for name, r in paced.items()}}
    results["ratio"] = round(closed["linkguard"].rps / closed["bare"].rps, 3)
    lg_cpu, bare_cpu = closed["linkguard"].cpu_us, closed["bare"].cpu_us
    if lg_cpu and bare_cpu:
        results["cpu_ratio"] = round(bare_cpu / lg_cpu, 3)
    if "fastapi-route" in closed:
        results["ratio_fastapi_route"] = round(closed["fastapi-route"].rps / closed["bare"].rps, 3)
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    results["unauthenticated_rejected"] = rejected.errors == rejected.requests
    _print_http(results)
    return results


def _print_http(r: dict[str, Any]) -> None:
    print(
        f"\n{r['accounts']:,} accounts, {r['requests']:,} requests, "
        f"{r['concurrency']} connections, loopback"
    )
    header = (
        f"{'load':<26}{'server':<15}{'RPS':>8}{'p50 ms':>9}{'p99 ms':>9}{'p99.9':>9}"
        f"{'errors':>8}{'CPU us/req':>12}"
    )
    print(header)
    for load, key in (
        ("closed loop (throughput)", "throughput"),
        (f"paced {r['paced']['rate']}/s (latency)", "paced"),
    ):
        for server in [k for k in r[key] if k != "rate"]:
            row = r[key][server]
            print(
                f"{load:<26}{server:<15}{row['rps']:>8}{row['p50_ms']:>9.2f}"
                f"{row['p99_ms']:>9.2f}{row['p999_ms']:>9.2f}{row['errors']:>8}"
                f"{row['server_cpu_us_per_request'] or 0:>12.1f}"
            )
    print(
        f"throughput ratio linkguard / bare: {r['ratio']:.2f} (median of {r['rounds']} "
        f"alternating rounds each; load average after: {r['load_average_after']})"
    )
    if "cpu_ratio" in r:
        print(
            f"server CPU per request, bare / linkguard: {r['cpu_ratio']:.2f} (the throughput "
            "ratio a saturated server on its own core would show)"
        )
    if "ratio_fastapi_route" in r:
        print(f"with the fast path off (FastAPI route): {r['ratio_fastapi_route']:.2f}")
    print(f"requests without a token rejected: {r['unauthenticated_rejected']}")


def _http_impl() -> str:
    try:
        import httptools  # noqa: F401

        return "httptools"
    except ImportError:
        return "h11"


def _loop_impl() -> str:
    try:
        import uvloop  # noqa: F401

        return "uvloop"
    except ImportError:
        return "asyncio"


def _status(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (the peak of VmRSS) of a process, in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            out[key] = int(value.split()[0]) / 1024
    return out


def _reset_peak(pid: int) -> bool:
    """Reset a process's VmHWM to its current VmRSS (Linux 4.0+); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class _RssSampler:
    """The highest VmRSS of a process seen while the sampler runs, read every ``every`` s."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status(self.pid)["VmRSS"])
            self._stop.wait(self.every)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cmd_rss(opts: argparse.Namespace) -> dict[str, Any]:
    snapshot = ensure_snapshot(opts.accounts)
    root = DATA_ROOT / f"root-{opts.accounts}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _link_copy(snapshot, root / "a", "bench-a", "2026-01-01T00:00:00Z")
    serve = start_linkguard(
        ["--snapshot-root", str(root), "--poll-seconds", "1", "--log-level", "info"],
        DATA_ROOT / "rss.log",
    )
    try:
        took = wait_ready(serve, 600)
        time.sleep(1)
        loaded = _status(serve.proc.pid)
        print(
            f"{opts.accounts:,} accounts: ready in {took:.1f} s, "
            f"RSS {loaded['VmRSS']:.0f} MiB, peak while loading {loaded['VmHWM']:.0f} MiB"
        )
        reset = _reset_peak(serve.proc.pid)
        with _RssSampler(serve.proc.pid) as sampler:
            _link_copy(snapshot, root / "b", "bench-b", "2026-01-02T00:00:00Z")
            started = time.perf_counter()
            during, seen = asyncio.run(_load_until_swapped(serve.port, opts.accounts, opts.rate))
            swap = time.perf_counter() - started
            time.sleep(2)  # the old index is released a second after the swap
        swapped = _status(serve.proc.pid)
        peak_label = "peak during the swap" if reset else "peak since start (VmHWM not reset)"
        print(
            f"swap to a second snapshot in {swap:.1f} s: {peak_label} {swapped['VmHWM']:.0f} "
            f"MiB (highest VmRSS sampled {sampler.peak:.0f} MiB), RSS after "
            f"{swapped['VmRSS']:.0f} MiB"
        )
        print(
            f"meanwhile {during.requests:,} lookups at {opts.rate or 200:.0f}/s: "
            f"{during.errors} errors, p50 {during.pct(0.5):.2f} ms, p99 {during.pct(0.99):.2f} "
            f"ms, max {max(during.latencies_ms):.1f} ms; snapshot ids seen: {sorted(seen)}"
        )
    finally:
        serve.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "accounts": opts.accounts,
        "ready_s": round(took, 1),
        "rss_mib": round(loaded["VmRSS"]),
        "load_peak_mib": round(loaded["VmHWM"]),
        "swap_s": round(swap, 1),
        "rss_after_swap_mib": round(swapped["VmRSS"]),
        "swap_peak_mib": round(swapped["VmHWM"]),
        "swap_peak_is_swap_only": reset,
        "swap_rss_sampled_max_mib": round(sampler.peak),
        "during_swap": during.row(),
    }


async def _load_until_swapped(
    port: int, n_accounts: int, rate: float | None
) -> tuple[Result, set[str]]:
    """Paced lookups while the server builds the second index, until it serves it."""
    import httpx

    ids = account_ids(n_accounts, 200_000, seed=11)
    pace = rate or 200.0
    seen: set[str] = set()
    results: list[Result] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for start in range(0, len(ids), int(pace)):
            # One second of paced load at a time, then look at what the server answers from.
            results.append(await drive(port, ids[start : start + int(pace)], 8, rate=pace))
            ready = (await client.get("/readyz", timeout=30)).json()
            seen.add(ready.get("snapshot_id", ""))
            if ready.get("snapshot_id") == "bench-b":
                break
    merged = Result(
        sum(r.requests for r in results),
        sum(r.errors for r in results),
        sum(r.seconds for r in results),
        [x for r in results for x in r.latencies_ms],
    )
    return merged, seen


def _link_copy(src: Path, dst: Path, snapshot_id: str, created_at: str) -> None:
    """A second snapshot from the same parquet files (hard links) with its own summary,
    put in place by one rename like the real writer."""
    tmp = dst.parent / f".{dst.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for f in src.glob("*.parquet"):
        os.link(f, tmp / f.name)
    summary = json.loads((src / "summary.json").read_text())
    summary.update(snapshot_id=snapshot_id, created_at=created_at)
    (tmp / "summary.json").write_text(json.dumps(summary))
    tmp.rename(dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", nargs="?", default="http", choices=["http", "rss", "bare", "route"]
    )
    parser.add_argument(
        "--with-route",
        action="store_true",
        help="also measure linkguard's app with the fast path off (lookups through FastAPI)",
    )
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per load")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="paced load in requests/s (default: 25%% of the bare app's RPS)",
    )
    parser.add_argument(
        "--loadgen",
        choices=["auto", "go", "python"],
        default="auto",
        help="the load generator: bench/loadgen built with Go (auto: when go is on PATH), "
        "or asyncio in this process",
    )
    parser.add_argument("--snapshot", type=Path)
    parser.add_argument("--port", type=int)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    opts = parser.parse_args()
    if opts.command in ("bare", "route"):
        (run_bare if opts.command == "bare" else run_route)(opts.snapshot, opts.port)
        return
    if opts.accounts is None:
        opts.accounts = 1_000_000 if opts.command == "rss" else 100_000
    results = cmd_rss(opts) if opts.command == "rss" else cmd_http(opts)
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

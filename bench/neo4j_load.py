"""Neo4j load speed: linkguard's batched load against per-row MERGE and LOAD CSV, same data.

Three ways to put the same synthetic market into the same server, one after the other in one
run, each into an emptied database with linkguard's constraints in place:

- **batched** -- ``linkguard.neo4j.loader.load_market``: ``UNWIND $rows AS row MERGE ...`` in
  batches of ``--batch-size`` rows, one managed transaction per batch, from Python;
- **per-row MERGE** -- the same statements with one row per transaction, the way a loader
  written row by row works; run on a sample of ``--row-sample`` relationship rows (accounts
  loaded first) and extrapolated, since the whole market would take long;
- **LOAD CSV** -- the server reads CSV files of the same rows from its import directory,
  ``LOAD CSV ... CALL (row) { MERGE ... } IN TRANSACTIONS OF --batch-size ROWS``, with the same
  MERGE and SET (``cypher/bench_csv_*.cypher``).

The three methods take turns for ``--rounds`` rounds and each keeps its best round. Rates
are relationships (``USES`` + ``BOUGHT_FROM`` + ``APPLIED_FOR``) per second. "end to end"
divides by the whole load (schema and account nodes too); "relationship stages" by the stages
that write relationships, which is what the per-row sample measures. Ratios compare the
relationship-stage rates.

The market is ``linkguard.synth.generate_market(--accounts, --seed)``, cached under
``bench/data/``. The server is NEO4J_URI (default: the dev server). LOAD CSV needs the server's
import directory (``server.directories.import``) on this machine and
``dbms.security.allow_csv_import_from_file_urls=true`` (both so on the dev server).

Usage::

    .venv/bin/linkguard neo4j dev-server start
    .venv/bin/python bench/neo4j_load.py                    # 50,000 accounts
    .venv/bin/python bench/neo4j_load.py --accounts 20000 --row-sample 1000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from linkguard.io import read_market
from linkguard.market import Market
from linkguard.neo4j.driver import GraphRunner, Neo4jQueryError, connect
from linkguard.neo4j.loader import (
    clear_market,
    create_schema,
    load_market,
    market_batches,
)
from linkguard.neo4j.queries import load_query

DATA_ROOT = Path(__file__).resolve().parent / "data"
PEPPER = b"bench-pepper"
RELATIONSHIP_STAGES = ("identifiers", "trades", "loans")
CSV_DIR = "linkguard-bench"


def ensure_market(accounts: int, seed: int) -> Path:
    """A synthetic data directory, generated once and cached."""
    from linkguard.synth import generate_market, write_market

    out = DATA_ROOT / f"neo4j-{accounts}-{seed}"
    if not (out / ".complete").is_file():
        write_market(generate_market(accounts=accounts, seed=seed), out)
        (out / ".complete").write_text("")
    return out


def stage_rows(market: Market) -> dict[str, list[dict[str, Any]]]:
    """Every load row of ``market`` per stage (the rows the loader sends)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for stage, _, rows in market_batches(market, batch_size=1_000_000):
        out.setdefault(stage, []).extend(rows)
    return out


def graph_counts(graph: GraphRunner) -> dict[str, int]:
    counts = {}
    for label in ("Account", "Identifier", "Loan"):
        counts[label] = int(graph.read(f"MATCH (n:{label}) RETURN count(n)", name="count").scalar())
    for rel in ("USES", "BOUGHT_FROM", "APPLIED_FOR"):
        counts[rel] = int(
            graph.read(f"MATCH ()-[r:{rel}]->() RETURN count(r)", name="count").scalar()
        )
    return counts


def reset(graph: GraphRunner) -> None:
    clear_market(graph)
    create_schema(graph)


def run_batched(graph: GraphRunner, market: Market, batch_size: int) -> dict[str, Any]:
    reset(graph)
    report = load_market(market, runner=graph, batch_size=batch_size)
    rel_seconds = report.relationship_seconds
    return {
        "method": f"batched UNWIND ({batch_size:,} rows/tx)",
        "relationships": report.relationships,
        "seconds": report.seconds,
        "relationship_seconds": rel_seconds,
        "rate": report.relationships / report.seconds,
        "relationship_rate": report.relationships / rel_seconds,
        "stage_seconds": report.stage_seconds,
        "counts": graph_counts(graph),
    }


def run_per_row(
    graph: GraphRunner, market: Market, rows: dict[str, list[dict[str, Any]]], sample: int
) -> dict[str, Any]:
    reset(graph)
    # Endpoints first, batched and untimed: the sample measures relationship rows only.
    accounts = load_query("load_accounts")
    for start in range(0, len(rows["accounts"]), 20_000):
        graph.write(accounts, {"rows": rows["accounts"][start : start + 20_000]})
    total = sum(len(rows[s]) for s in RELATIONSHIP_STAGES)
    picked: list[tuple[str, dict[str, Any]]] = []
    for stage in RELATIONSHIP_STAGES:
        share = round(sample * len(rows[stage]) / total)
        if share:
            step = max(len(rows[stage]) // share, 1)
            picked += [(stage, r) for r in rows[stage][::step][:share]]
    statements = {
        "identifiers": load_query("load_identifiers"),
        "trades": load_query("load_trades"),
        "loans": load_query("load_loans"),
    }
    started = time.perf_counter()
    for stage, row in picked:
        graph.write(statements[stage], {"rows": [row]}, name=stage)
    seconds = time.perf_counter() - started
    rate = len(picked) / seconds
    return {
        "method": f"per-row MERGE (1 row/tx, {len(picked):,}-row sample)",
        "relationships": len(picked),
        "seconds": seconds,
        "relationship_seconds": seconds,
        "rate": rate,
        "relationship_rate": rate,
        "extrapolated_seconds": total / rate,
    }


def import_dir(graph: GraphRunner) -> tuple[Path | None, str]:
    """Where to write the CSV files and the ``file://`` URL prefix that reaches them there.

    Returns ``(None, why)`` when the server cannot read files this machine writes. A server
    with ``server.directories.import`` set resolves ``file:///x.csv`` inside that directory;
    one without it (an embedded server started without neo4j.conf, like the dev server)
    reports a default but resolves file URLs from the filesystem root, so both are probed.
    """
    records = graph.read(
        "CALL dbms.listConfig() YIELD name, value "
        "WHERE name IN ['server.directories.import', "
        "'dbms.security.allow_csv_import_from_file_urls'] RETURN name, value",
        name="listConfig",
    ).records
    config = {r["name"]: r["value"] for r in records}
    if str(config.get("dbms.security.allow_csv_import_from_file_urls", "true")).lower() != "true":
        return None, "set dbms.security.allow_csv_import_from_file_urls=true"
    folder = config.get("server.directories.import")
    if not folder:
        return None, "set server.directories.import to a directory this machine can write"
    path = Path(folder)
    if not path.is_dir():
        return None, f"the server's import directory {path} is not on this machine"
    probe_dir = path / CSV_DIR
    probe_dir.mkdir(parents=True, exist_ok=True)
    (probe_dir / "probe.csv").write_text("ok\n1\n")
    query = load_query("bench_csv_probe")
    for prefix in (f"file:///{CSV_DIR}", f"file://{probe_dir.resolve()}"):
        try:
            graph.read(query, {"url": f"{prefix}/probe.csv"}, name="bench_csv_probe")
        except Neo4jQueryError:
            continue
        return probe_dir, prefix
    return None, (
        f"the server cannot read {probe_dir}: set server.directories.import (and "
        "dbms.security.allow_csv_import_from_file_urls=true) so that it can"
    )


def _float_text(value: float) -> str:
    # Cypher's toFloat reads "NaN" (not Python's "nan"); repr round-trips every other float.
    return "NaN" if value != value else repr(value)


def _joined(values: list[list[Any]], convert: Any = str) -> list[str]:
    return ["|".join(convert(v) for v in items) for items in values]


def write_csvs(folder: Path, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Path]:
    """The load rows as CSV files; list columns joined with '|'."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for stage, stage_rows_ in rows.items():
        frame = pd.DataFrame(stage_rows_)
        for col in frame.columns:
            if len(frame) and isinstance(frame[col].iloc[0], list):
                convert = _float_text if col in ("amounts", "ratings") else str
                frame[col] = _joined(frame[col].tolist(), convert)
        for col in frame.columns:
            # pandas turns integer columns with None into floats; the CSV must hold integers.
            integral = col.endswith(("_s", "_ns")) or col in ("first_overdue", "defaulted")
            if integral and frame[col].dtype.kind == "f":
                frame[col] = frame[col].astype("Int64")
        files[stage] = folder / f"{stage}.csv"
        frame.to_csv(files[stage], index=False)
    return files


def run_load_csv(
    graph: GraphRunner, rows: dict[str, list[dict[str, Any]]], batch_size: int
) -> dict[str, Any] | str:
    target, prefix = import_dir(graph)
    if target is None:
        return prefix
    t0 = time.perf_counter()
    files = write_csvs(target, rows)
    csv_seconds = time.perf_counter() - t0
    reset(graph)
    stage_seconds = {}
    driver: Any = graph.driver
    try:
        for stage in ("accounts", "identifiers", "trades", "loans"):
            query = load_query(f"bench_csv_{stage}")
            url = f"{prefix}/{files[stage].name}"
            started = time.perf_counter()
            # CALL ... IN TRANSACTIONS commits by itself: it needs an auto-commit transaction.
            with driver.session(database=graph.database) as session:
                session.run(query, {"url": url, "batch": batch_size}).consume()
            stage_seconds[stage] = time.perf_counter() - started
    finally:
        shutil.rmtree(target, ignore_errors=True)
    relationships = sum(len(rows[s]) for s in RELATIONSHIP_STAGES)
    seconds = sum(stage_seconds.values())
    rel_seconds = sum(stage_seconds[s] for s in RELATIONSHIP_STAGES)
    return {
        "method": f"LOAD CSV ... IN TRANSACTIONS OF {batch_size:,} ROWS",
        "relationships": relationships,
        "seconds": seconds,
        "relationship_seconds": rel_seconds,
        "rate": relationships / seconds,
        "relationship_rate": relationships / rel_seconds,
        "stage_seconds": stage_seconds,
        "csv_write_seconds": csv_seconds,
        "url_prefix": prefix,
        "counts": graph_counts(graph),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument(
        "--row-sample", type=int, default=2_000, help="relationship rows loaded one per transaction"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of the three methods; each method's best round counts",
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="skip the untimed load that warms the server's JIT and caches",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    data_dir = ensure_market(args.accounts, args.seed)
    market = read_market(data_dir, pepper=PEPPER)
    rows = stage_rows(market)
    n_rel = sum(len(rows[s]) for s in RELATIONSHIP_STAGES)
    print(
        f"market: {data_dir.name}: {market.n_accounts:,} accounts, {len(market.orders):,} "
        f"orders, {len(market.identifiers):,} identifier rows, {len(market.loans):,} loans"
    )
    print(
        f"graph:  {n_rel:,} relationships (USES {len(rows['identifiers']):,}, BOUGHT_FROM "
        f"{len(rows['trades']):,}, APPLIED_FOR {len(rows['loans']):,})"
    )

    with connect() as graph:
        print(f"server: {graph.driver.get_server_info().agent} at {graph.uri}")  # type: ignore[union-attr]
        if not args.no_warm_up:
            started = time.perf_counter()
            reset(graph)
            load_market(market, runner=graph, batch_size=args.batch_size)
            print(f"warm-up load: {time.perf_counter() - started:.1f} s (untimed)")
        # The methods take turns, round after round, and each keeps its best round: a load
        # that varies over time (a shared machine) then favours none of them.
        rounds: dict[str, list[dict[str, Any]]] = {"batched": [], "per_row": [], "csv": []}
        csv_skipped = ""
        for i in range(1, args.rounds + 1):
            rounds["batched"].append(run_batched(graph, market, args.batch_size))
            rounds["per_row"].append(run_per_row(graph, market, rows, args.row_sample))
            csv_round = run_load_csv(graph, rows, args.batch_size)
            if isinstance(csv_round, str):
                csv_skipped = csv_round
            else:
                rounds["csv"].append(csv_round)
            print(
                f"round {i}: "
                + ", ".join(
                    f"{name} {r[-1]['relationship_rate']:,.0f}/s" for name, r in rounds.items() if r
                ),
                flush=True,
            )
        clear_market(graph)

    def best(name: str) -> dict[str, Any]:
        return max(rounds[name], key=lambda r: float(r["relationship_rate"]))

    batched, per_row = best("batched"), best("per_row")
    results = [batched, per_row]
    csv: dict[str, Any] | str = csv_skipped
    if rounds["csv"]:
        csv = best("csv")
        results.append(csv)
        if csv["counts"] != batched["counts"]:
            print(f"warning: LOAD CSV graph differs: {csv['counts']} != {batched['counts']}")
    else:
        print(f"LOAD CSV skipped: {csv_skipped}")

    print(f"\nbest of {args.rounds} rounds")
    header = f"{'method':<46} {'rels':>9} {'seconds':>8} {'end-to-end/s':>13} {'rel stages/s':>13}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['method']:<46} {r['relationships']:>9,} {r['seconds']:>8.1f} "
            f"{r['rate']:>13,.0f} {r['relationship_rate']:>13,.0f}"
        )
    print()
    print(
        f"batched vs per-row MERGE: {batched['relationship_rate'] / per_row['rate']:,.1f}x "
        f"(per-row would take {per_row['extrapolated_seconds']:,.0f} s for the whole market)"
    )
    if not isinstance(csv, str):
        print(
            f"batched vs LOAD CSV:      "
            f"{batched['relationship_rate'] / csv['relationship_rate']:.2f}x "
            f"(end to end {batched['rate'] / csv['rate']:.2f}x)"
        )
    print(f"batched stage seconds: {batched['stage_seconds']}")
    if args.json:
        args.json.write_text(
            json.dumps({"results": results, "rounds": rounds}, indent=2, default=str)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

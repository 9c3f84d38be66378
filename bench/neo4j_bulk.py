"""Neo4j initial load: the bulk importer path against the batched MERGE load, same server.

Both load the same synthetic market into the dev server, one after the other in one run:

- **batched** -- ``linkguard.neo4j.loader.load_market``: ``UNWIND $rows AS row MERGE ...`` in
  batches, from an emptied database with linkguard's constraints in place;
- **bulk** -- ``linkguard.neo4j.bulk_load.bulk_load_dev_server``: the importer's CSV files
  written, the ``neo4j`` database stopped (the DBMS, Bolt and the system database stay up),
  ``neo4j-admin database import full`` run in the server's JVM, the database started again and
  the constraints and indexes created, all timed end to end (the database is online and
  answering when the clock stops). The per-step seconds are printed: ``files``, ``import``
  (``server_stop``, ``server_import``, ``server_start`` inside it) and ``schema``.

Rates are relationships (``USES`` + ``BOUGHT_FROM`` + ``APPLIED_FOR``) per second over the
whole load; the graphs are checked to hold the same counts. Needs the dev server
(``linkguard neo4j dev-server start``; ``--data-dir`` names its folder) and NEO4J_URI pointing
at it.

Usage::

    .venv/bin/python bench/neo4j_bulk.py                      # 50,000 accounts
    .venv/bin/python bench/neo4j_bulk.py --accounts 200000    # about 1M orders
    .venv/bin/python bench/neo4j_bulk.py --bulk-rounds 2      # the first and a warm import
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from linkguard.io import read_market
from linkguard.neo4j.bulk_load import bulk_load_dev_server
from linkguard.neo4j.driver import connect
from linkguard.neo4j.loader import load_market
from neo4j_load import PEPPER, ensure_market, graph_counts, reset


def run_batched(market: Any, batch_size: int) -> dict[str, Any]:
    with connect() as graph:
        reset(graph)
        started = time.perf_counter()
        report = load_market(market, runner=graph, batch_size=batch_size)
        seconds = time.perf_counter() - started
        return {
            "method": f"batched UNWIND MERGE ({batch_size:,} rows/tx)",
            "relationships": report.relationships,
            "seconds": round(seconds, 2),
            "rate": report.relationships / seconds,
            "counts": graph_counts(graph),
        }


def run_bulk(market: Any, data_dir: Path) -> dict[str, Any]:
    report = bulk_load_dev_server(market, data_dir)
    with connect() as graph:
        counts = graph_counts(graph)
    return {
        "method": "bulk import (files, database stopped, import in the server's JVM, "
        "database started, schema)",
        "relationships": report.relationships,
        "seconds": report.seconds,
        "rate": report.relationships_per_second,
        "steps": report.step_seconds,
        "counts": counts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("LINKGUARD_NEO4J_DATA_DIR", ".neo4j")),
        help="the dev server's data directory",
    )
    parser.add_argument(
        "--bulk-rounds",
        type=int,
        default=1,
        help="bulk loads in a row; the first in a fresh server JVM also pays the importer's "
        "warm-up (its code is compiled as it runs), later ones show the warm rate",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    data = ensure_market(args.accounts, args.seed)
    market = read_market(data, pepper=PEPPER)
    print(
        f"market: {args.accounts:,} accounts, {len(market.orders):,} orders (seed {args.seed})",
        flush=True,
    )
    batched = run_batched(market, args.batch_size)
    print(
        f"batched: {batched['relationships']:,} relationships in {batched['seconds']:.1f} s "
        f"= {batched['rate']:,.0f}/s",
        flush=True,
    )
    rounds = []
    for i in range(max(1, args.bulk_rounds)):
        bulk = run_bulk(market, args.data_dir)
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in bulk["steps"].items())
        print(
            f"bulk {i + 1}:  {bulk['relationships']:,} relationships in {bulk['seconds']:.1f} s "
            f"= {bulk['rate']:,.0f}/s, {bulk['rate'] / batched['rate']:.1f}x batched  ({steps})",
            flush=True,
        )
        rounds.append(bulk)
    same = all(batched["counts"] == bulk["counts"] for bulk in rounds)
    ratio = rounds[0]["rate"] / batched["rate"]
    print(
        f"same graph counts: {same}; first bulk / batched: {ratio:.1f}x "
        f"(goals: >= 100,000 relationships/s and >= 10x)"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"batched": batched, "bulk": rounds, "ratio": ratio}, indent=2)
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

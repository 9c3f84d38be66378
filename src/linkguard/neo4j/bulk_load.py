"""An initial load through Neo4j's bulk importer, on the local dev server.

The importer writes a database's store files directly, so the database must be offline while
it runs, and in Community Edition the only user database is ``neo4j``: the dev server is
stopped, ``neo4j-admin database import full`` (the importer classes shipped with the server,
run in their own JVM) replaces the ``neo4j`` database with the files of
:func:`~linkguard.neo4j.bulk.write_import_files`, and the server is started again on the same
address. Constraints and indexes are created after the import (building them over a full store
is faster than checking them on every row), then a snapshot's findings are written back over
Bolt exactly as after a batched load.

For a server the tool does not run (a user's Neo4j), :func:`bulk_plan` writes the files and
returns the ``neo4j-admin`` command to run where the store is.

Examples
--------
>>> from linkguard.neo4j.bulk_load import bulk_load_dev_server     # doctest: +SKIP
>>> report = bulk_load_dev_server(market, ".neo4j")                # doctest: +SKIP
>>> report.relationships_per_second                                # doctest: +SKIP
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from linkguard.config import Neo4jSettings
from linkguard.market import Market
from linkguard.neo4j import devserver
from linkguard.neo4j.bulk import ImportFiles, write_import_files
from linkguard.neo4j.driver import connect
from linkguard.neo4j.loader import create_schema
from linkguard.snapshot import Snapshot

__all__ = ["BulkLoadReport", "bulk_load_dev_server", "import_files_dir", "run_import"]

#: ``progress(step)`` at the start of each step: files, stop, import, start, schema, findings.
BulkProgress = Callable[[str], None]

_ADMIN_MAIN = "org.neo4j.cli.AdminTool"
_IMPORT_LOG = "logs/import.log"
#: The importer's own heap; it keeps most of its data off-heap.
_IMPORT_HEAP = "1g"


@dataclass(frozen=True)
class BulkLoadReport:
    """What a bulk load wrote and where its time went (seconds per step, end to end)."""

    nodes: int
    relationships: int
    counts: dict[str, int]
    files_dir: str
    files_bytes: int
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
    findings: dict[str, Any] | None = None

    @property
    def relationships_per_second(self) -> float:
        return self.relationships / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["relationships_per_second"] = round(self.relationships_per_second, 1)
        return out


def import_files_dir(data_dir: str | os.PathLike[str]) -> Path:
    """Where the dev server of ``data_dir`` keeps bulk-import files (its import folder)."""
    return Path(data_dir).resolve() / "import" / "linkguard-bulk"


def run_import(
    files: ImportFiles, data_dir: str | os.PathLike[str], database: str = "neo4j"
) -> float:
    """Run the importer into the (stopped) dev server store of ``data_dir``; the seconds taken.

    The importer's output goes to ``logs/import.log`` under ``data_dir``.

    Raises
    ------
    DevServerError
        When the importer fails (with the end of its log).
    """
    home = Path(data_dir).resolve()
    server_dir = devserver.find_server_dir()
    lib = server_dir / "target" / "lib"
    if not lib.is_dir():
        devserver.build(server_dir=server_dir)
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    java = devserver.find_java()
    command = [
        java,
        f"-Xmx{_IMPORT_HEAP}",
        "-cp",
        f"{lib}/*",
        _ADMIN_MAIN,
        *files.admin_args(database),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGUARD_NEO4J_")}
    env.update({"NEO4J_HOME": str(home), "NEO4J_CONF": str(conf_dir)})
    log = home / _IMPORT_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            command, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, check=False,
        )
    os.chmod(log, 0o600)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        raise devserver.DevServerError(
            f"the bulk import failed (exit code {done.returncode}); see {log}:\n{tail}"
        )
    return time.perf_counter() - started


def bulk_load_dev_server(
    market: Market,
    data_dir: str | os.PathLike[str] = devserver.DEFAULT_DATA_DIR,
    *,
    snapshot: Snapshot | None = None,
    settings: Neo4jSettings | None = None,
    progress: BulkProgress | None = None,
) -> BulkLoadReport:
    """Replace the dev server's ``neo4j`` database with ``market`` through the bulk importer.

    The server of ``data_dir`` must be running; it is stopped for the import and started
    again on the same host and ports (with the password of ``LINKGUARD_NEO4J_PASSWORD`` when
    it ran with authentication). ``settings`` say how to reach it afterwards (default: the
    ``NEO4J_*`` environment). Everything in the database before is replaced.
    """
    home = Path(data_dir).resolve()
    before = devserver.status(home)
    if not before.running or before.bolt_port is None or before.http_port is None:
        raise devserver.DevServerError(
            f"no dev server is running for {home}; start it with `linkguard neo4j dev-server "
            "start`, or load a server you run yourself with the command `--bulk` prints"
        )
    step_seconds: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> float:
        if progress is not None:
            progress(name)
        return time.perf_counter()

    t0 = step("files")
    files = write_import_files(market, import_files_dir(home))
    step_seconds["files"] = round(time.perf_counter() - t0, 3)

    t0 = step("stop")
    devserver.stop(home)
    step_seconds["stop"] = round(time.perf_counter() - t0, 3)

    t0 = step("import")
    try:
        run_import(files, home)
    finally:
        step_seconds["import"] = round(time.perf_counter() - t0, 3)
        t0 = step("start")
        devserver.start(
            home,
            bolt_port=before.bolt_port,
            http_port=before.http_port,
            host=before.host,
            password=os.environ.get("LINKGUARD_NEO4J_PASSWORD") if before.auth_enabled else None,
        )
        step_seconds["start"] = round(time.perf_counter() - t0, 3)

    findings: dict[str, Any] | None = None
    with connect(settings) as graph:
        t0 = step("schema")
        create_schema(graph)
        step_seconds["schema"] = round(time.perf_counter() - t0, 3)
        if snapshot is not None:
            from linkguard.neo4j.writeback import write_findings

            t0 = step("findings")
            findings = write_findings(snapshot, runner=graph).as_dict()
            step_seconds["findings"] = round(time.perf_counter() - t0, 3)
    nodes = sum(files.counts[label] for label in files.nodes)
    return BulkLoadReport(
        nodes=nodes,
        relationships=files.relationship_count,
        counts=dict(files.counts),
        files_dir=str(files.directory),
        files_bytes=files.bytes_written,
        seconds=round(time.perf_counter() - started, 3),
        step_seconds=step_seconds,
        findings=findings,
    )

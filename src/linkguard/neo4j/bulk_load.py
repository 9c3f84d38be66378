"""An initial load through Neo4j's bulk importer, on the local dev server.

The importer writes a database's store files directly, so the database must be offline while
it runs, and in Community Edition the only user database is ``neo4j``, which ``STOP DATABASE``
refuses to stop. The dev server therefore stops that database through its database manager
(Bolt, HTTP, the system database and the plugins stay up), runs ``neo4j-admin database import
full`` (the importer classes shipped with the server) in its own, already warm JVM on the files
of :func:`~linkguard.neo4j.bulk.write_import_files`, and starts the database again
(``run/import-request.txt`` asks for it, ``run/import-result.json`` answers and says whether
the database or, when it could not be reached, the whole DBMS was restarted). A server built
before that existed is stopped, imported into by a JVM of its own and started again.
Constraints and indexes are created after the import (building them over a full store is
faster than checking them on every row), then a snapshot's findings are written back over
Bolt exactly as after a batched load.

For a server the tool does not run (a user's Neo4j), ``linkguard neo4j load --bulk
--files-dir DIR`` writes the files and prints the ``neo4j-admin`` command to run where the
store is (:meth:`~linkguard.neo4j.bulk.ImportFiles.command`).

Examples
--------
>>> from linkguard.neo4j.bulk_load import bulk_load_dev_server     # doctest: +SKIP
>>> report = bulk_load_dev_server(market, ".neo4j")                # doctest: +SKIP
>>> report.relationships_per_second                                # doctest: +SKIP
"""

from __future__ import annotations

import json
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
from linkguard.pipeline.snapshot import Snapshot

__all__ = [
    "BulkLoadReport",
    "bulk_load_dev_server",
    "import_files_dir",
    "import_in_server",
    "run_import",
]

#: ``progress(step)`` at the start of each step: files, import (stop, import, start when the
#: server cannot import in its own JVM), schema, findings.
BulkProgress = Callable[[str], None]

_ADMIN_MAIN = "org.neo4j.cli.AdminTool"
_IMPORT_LOG = "logs/import.log"
_REQUEST = "run/import-request.txt"  # BulkImports.REQUEST in the Java launcher
_RESULT = "run/import-result.json"  # BulkImports.RESULT
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


def _import_command(files: ImportFiles, database: str) -> list[str]:
    lib = devserver.find_server_dir() / "target" / "lib"
    return [
        devserver.find_java(),
        f"-Xmx{_IMPORT_HEAP}",
        "-cp",
        f"{lib}/*",
        _ADMIN_MAIN,
        *files.admin_args(database),
    ]


def _import_failed(home: Path, code: object) -> devserver.DevServerError:
    log = home / _IMPORT_LOG
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    tail = "\n".join(text.splitlines()[-15:])
    return devserver.DevServerError(
        f"the bulk import failed (exit code {code}); see {log}:\n{tail}"
    )


def run_import(
    files: ImportFiles, data_dir: str | os.PathLike[str], database: str = "neo4j"
) -> float:
    """Run the importer in a JVM of its own into the stopped dev server store of ``data_dir``.

    Returns the seconds taken; the importer's output goes to ``logs/import.log``.

    Raises
    ------
    DevServerError
        When the importer fails (with the end of its log).
    """
    home = Path(data_dir).resolve()
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKGUARD_NEO4J_")}
    env.update({"NEO4J_HOME": str(home), "NEO4J_CONF": str(conf_dir)})
    log = home / _IMPORT_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            _import_command(files, database),
            env=env,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    os.chmod(log, 0o600)
    if done.returncode != 0:
        raise _import_failed(home, done.returncode)
    return time.perf_counter() - started


def import_in_server(
    files: ImportFiles,
    data_dir: str | os.PathLike[str],
    database: str = "neo4j",
    timeout: float = 3600.0,
) -> dict[str, Any]:
    """Ask the running dev server of ``data_dir`` to import ``files`` in its own JVM.

    Returns the server's answer (``stop_ms``, ``import_ms``, ``start_ms``, ``restart``:
    ``database`` or ``dbms``) once the database is ready again.

    Raises
    ------
    DevServerError
        When the import fails, the server dies or does not answer within ``timeout``.
    """
    home = Path(data_dir).resolve()
    request = home / _REQUEST
    result = home / _RESULT
    result.unlink(missing_ok=True)
    (home / "conf").mkdir(parents=True, exist_ok=True)
    tmp = request.with_name(request.name + ".tmp")
    tmp.write_text("\n".join(files.admin_args(database)) + "\n", encoding="utf-8")
    tmp.replace(request)
    deadline = time.monotonic() + timeout
    while not result.is_file():
        if time.monotonic() > deadline or not devserver.status(home).running:
            raise devserver.DevServerError(
                f"the dev server of {home} did not finish the import; see {home / _IMPORT_LOG}"
            )
        time.sleep(0.05)
    answer: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    result.unlink(missing_ok=True)
    if (home / _IMPORT_LOG).is_file():
        os.chmod(home / _IMPORT_LOG, 0o600)
    if answer.get("exit_code") != 0:
        raise _import_failed(home, answer.get("exit_code"))
    if answer.get("start_code") != 0:
        raise devserver.DevServerError(
            f"the dev server did not start again after the import; see {home / 'logs/neo4j.log'}"
        )
    while not devserver.status(home).ready:
        if time.monotonic() > deadline:
            raise devserver.DevServerError(f"the dev server of {home} is not ready again")
        time.sleep(0.05)
    return answer


def _offers_import(home: Path) -> bool:
    """True when the running dev server imports in its own JVM (its ready file says so)."""
    try:
        ready = json.loads((home / "run" / "devserver.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(ready.get("bulk_import"))


def _import_restarting(
    files: ImportFiles,
    home: Path,
    before: devserver.ServerStatus,
    step: Callable[[str], float],
    step_seconds: dict[str, float],
) -> None:
    """Stop the server, import with a JVM of its own, start it again on the same address."""
    assert before.bolt_port is not None
    assert before.http_port is not None
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


def bulk_load_dev_server(
    market: Market,
    data_dir: str | os.PathLike[str] = devserver.DEFAULT_DATA_DIR,
    *,
    snapshot: Snapshot | None = None,
    settings: Neo4jSettings | None = None,
    progress: BulkProgress | None = None,
) -> BulkLoadReport:
    """Replace the dev server's ``neo4j`` database with ``market`` through the bulk importer.

    The server of ``data_dir`` must be running; its ``neo4j`` database is stopped for the
    import and started again (a server without the in-JVM import is stopped and started again
    on the same host and ports, with the password of ``LINKGUARD_NEO4J_PASSWORD`` when it ran
    with authentication). ``settings`` say how to reach it afterwards (default: the
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

    if _offers_import(home):
        t0 = step("import")
        answer = import_in_server(files, home)
        step_seconds["import"] = round(time.perf_counter() - t0, 3)
        for key in ("stop", "import", "start"):
            step_seconds[f"server_{key}"] = round(float(answer.get(f"{key}_ms", 0)) / 1000, 3)
    else:
        _import_restarting(files, home, before, step, step_seconds)

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

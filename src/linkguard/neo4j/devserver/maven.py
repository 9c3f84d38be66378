"""Building the dev server: the ``neo4j-server/`` Maven project, and the Java it runs on."""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from linkguard.neo4j.devserver.config import BUILD_LOG, JAR_NAME, MIN_JAVA_VERSION, SERVER_DIR_ENV
from linkguard.neo4j.devserver.files import locked, tail
from linkguard.neo4j.devserver.model import (
    BuildError,
    BuildResult,
    DevServerError,
    JavaNotFoundError,
)

__all__ = ["build", "find_java", "find_server_dir", "is_up_to_date", "jar_path"]

_log = logging.getLogger(__name__)


def find_server_dir() -> Path:
    """Locate the ``neo4j-server`` Maven project.

    ``$LINKGUARD_NEO4J_SERVER_DIR`` wins; otherwise the folder is searched next to the checkout
    this module belongs to (``src/linkguard/neo4j/devserver/`` → repository root), then in the
    current directory (for a non-editable install run from the repository).
    """
    env = os.environ.get(SERVER_DIR_ENV)
    if env:
        path = Path(env).expanduser().resolve()
        if not (path / "pom.xml").is_file():
            raise DevServerError(f"{SERVER_DIR_ENV}={env} has no pom.xml")
        return path
    candidates = [p / "neo4j-server" for p in Path(__file__).resolve().parents]
    candidates.append(Path.cwd() / "neo4j-server")
    for candidate in candidates:
        if (candidate / "pom.xml").is_file():
            return candidate
    raise DevServerError(
        "cannot find the neo4j-server Maven project; run from the linkguard repository "
        f"or set {SERVER_DIR_ENV} to its neo4j-server folder"
    )


def jar_path(server_dir: Path) -> Path:
    """Where Maven puts the launcher jar."""
    return server_dir / "target" / JAR_NAME


def is_up_to_date(server_dir: Path) -> bool:
    """True when the jar, its libraries and plugins exist and are newer than every input."""
    jar = jar_path(server_dir)
    lib = server_dir / "target" / "lib"
    plugins = server_dir / "target" / "plugins"
    if not (jar.is_file() and lib.is_dir() and plugins.is_dir() and any(lib.glob("neo4j-*.jar"))):
        return False
    inputs = [server_dir / "pom.xml", *(p for p in (server_dir / "src").rglob("*") if p.is_file())]
    newest_input = max(p.stat().st_mtime for p in inputs)
    return jar.stat().st_mtime >= newest_input


def build(
    force: bool = False, server_dir: Path | None = None, verbose: bool = False
) -> BuildResult:
    """Build the server jar with Maven unless it is up to date.

    The first build downloads Neo4j and its libraries (~170 MB) from Maven Central into
    ``~/.m2``. Maven's output goes to ``neo4j-server/target/maven-build.log`` (also logged
    line by line when ``verbose``); a failure raises :class:`BuildError` quoting its last lines.
    """
    server_dir = server_dir or find_server_dir()
    jar = jar_path(server_dir)
    (server_dir / "target").mkdir(exist_ok=True)
    # Two concurrent starts (e.g. parallel test sessions) must not run two Maven builds at once.
    with locked(server_dir / "target" / ".build.lock"):
        if not force and is_up_to_date(server_dir):
            return BuildResult(jar=jar, built=False, seconds=0.0, log_path=None)
        mvn = shutil.which("mvn")
        if mvn is None:
            raise JavaNotFoundError(
                "Maven (mvn) is needed to build the Neo4j dev server but is not on PATH; "
                "install it (e.g. apt-get install maven)"
            )
        find_java()  # fail early with a clear message rather than a Maven compiler error
        log_path = server_dir / BUILD_LOG
        _log.info(
            "building the Neo4j dev server with Maven (the first build downloads from Maven "
            "Central); output in %s",
            log_path,
        )
        # -B: no prompts; -ntp: no download progress lines; no ANSI colour codes in the log.
        command = [mvn, "-B", "-ntp", "-Dstyle.color=never", "package"]
        started = time.monotonic()
        with log_path.open("w", encoding="utf-8") as log:
            log.write(f"$ {shlex.join(command)}   (in {server_dir})\n")
            log.flush()
            proc = subprocess.Popen(
                command,
                cwd=server_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                if verbose:
                    _log.info("%s", line.rstrip("\n"))
            code = proc.wait()
        seconds = time.monotonic() - started
        if code != 0 or not jar.is_file():
            raise BuildError(
                f"Maven build of the Neo4j dev server failed (exit code {code}); "
                f"full log: {log_path}\n{tail(log_path, 15)}",
                log_path,
            )
        # Maven keeps the jar's mtime when nothing changed; touch it so the freshness check holds.
        jar.touch()
        return BuildResult(jar=jar, built=True, seconds=seconds, log_path=log_path)


def find_java() -> str:
    """``$JAVA_HOME/bin/java`` or ``java`` on PATH, checked to be Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise JavaNotFoundError(
            "Java is needed to run the Neo4j dev server but was not found; install JDK "
            f"{MIN_JAVA_VERSION} or 21 (e.g. apt-get install openjdk-17-jdk-headless) "
            "or set JAVA_HOME"
        )
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except OSError as exc:
        raise JavaNotFoundError(f"cannot run {java}: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if match is None:
        raise JavaNotFoundError(f"cannot tell the version of {java}: {out.strip()[:200]}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_x" style
        major = int(match.group(2))
    if major < MIN_JAVA_VERSION:
        raise JavaNotFoundError(
            f"{java} is Java {major}; Neo4j 5.26 needs Java {MIN_JAVA_VERSION} or 21 "
            "(set JAVA_HOME to a newer JDK)"
        )
    return java

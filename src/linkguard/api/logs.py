"""Structured JSON logs on stderr: one object per line, for the access log and everything else.

Fields a handler passes as ``extra={"fields": {...}}`` become top-level keys. Nothing here
logs headers or bodies, so tokens and request payloads never reach a log line.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import time
from typing import Any

import orjson

__all__ = [
    "ACCESS_LOGGER",
    "AccessLog",
    "JsonFormatter",
    "JsonLineHandler",
    "configure_logging",
    "lighten_log_records",
    "log_config",
]

#: The logger of the per-request access lines.
ACCESS_LOGGER = "linkguard.api.access"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: ts, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line.

        Parameters
        ----------
        record : logging.LogRecord
            The record.

        Returns
        -------
        str
        """
        data: dict[str, Any] = {
            "ts": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


_second: list[Any] = [None, ""]


class JsonLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler of :func:`log_config`; it also takes ready-made access lines.

    :class:`AccessLog` hands it access lines already encoded, skipping the building of a
    ``LogRecord``. Those lines are written in bulk: one ``write`` per request costs a
    server as much CPU as a fifth of the request itself when stderr is a file or a pipe.
    A line waits at most :attr:`delay` seconds (on the event loop that logged it) or until
    :attr:`max_pending` lines wait; other records, :meth:`flush` and shutdown write the
    waiting lines first, so the order of lines is kept.
    """

    #: Longest wait, in seconds, before an access line is written.
    delay = 0.05
    #: Write at once when this many access lines wait.
    max_pending = 256
    #: Writes up to this size are not split by other writers on a pipe (POSIX PIPE_BUF),
    #: so the lines of several worker processes never interleave mid-line.
    atomic_write = 4096

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._scheduled = False

    def write_line(self, line: str) -> None:
        """Queue one finished line (with its newline) for writing.

        Parameters
        ----------
        line : str
            The line.
        """
        with self.lock:  # type: ignore[union-attr]
            self._pending.append(line)
            if len(self._pending) >= self.max_pending:
                self._write_pending()
                return
            if self._scheduled:
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop to come back later: write now
                self._write_pending()
                return
            self._scheduled = True
            loop.call_later(self.delay, self._write_scheduled)

    def _write_scheduled(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._scheduled = False
            self._write_pending()

    def _write_pending(self) -> None:
        pending, self._pending = self._pending, []
        chunk: list[str] = []
        size = 0
        for line in pending:
            if chunk and size + len(line) > self.atomic_write:
                self.stream.write("".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self.stream.write("".join(chunk))
        super().flush()

    def flush(self) -> None:
        """Write the waiting access lines, then flush the stream."""
        with self.lock:  # type: ignore[union-attr]
            if self._pending:
                self._write_pending()
            else:
                super().flush()

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` after the access lines waiting before it.

        Parameters
        ----------
        record : logging.LogRecord
            The record.
        """
        if self._pending:
            self.flush()
        super().emit(record)


class AccessLog:
    """Write one JSON access line per request through the ``linkguard.api.access`` logger.

    The line is the one :class:`JsonFormatter` would make. When the logger's only handler
    is a :class:`JsonLineHandler` (``linkguard serve``'s setup) it is written straight to
    it; otherwise (tests capturing logs, a custom logging setup) it goes through
    ``logger.info`` like any record, so levels, handlers and filters keep working.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def _direct(self) -> JsonLineHandler | None:
        handlers: list[logging.Handler] = []
        logger: logging.Logger | None = self.logger
        while logger is not None:
            if logger.filters:
                return None
            handlers.extend(logger.handlers)
            if not logger.propagate:
                break
            logger = logger.parent
        if len(handlers) != 1:
            return None
        handler = handlers[0]
        if (
            type(handler) is JsonLineHandler
            and not handler.filters
            and handler.level <= logging.INFO
        ):
            return handler
        return None

    def __call__(self, fields: dict[str, Any]) -> None:
        """Log one request.

        Parameters
        ----------
        fields : dict
            The line's fields (request id, method, path, status, latency...).
        """
        if not self.logger.isEnabledFor(logging.INFO):
            return
        handler = self._direct()
        if handler is None:
            self.logger.info("request", extra={"fields": fields})
            return
        created = time.time()
        line = {
            "ts": _utc(created),
            "level": "info",
            "logger": ACCESS_LOGGER,
            "message": "request",
            **fields,
        }
        handler.write_line(orjson.dumps(line, default=str).decode() + "\n")


def _utc(created: float) -> str:
    whole = int(created)
    # One access line per request: format the date and time once per second, not per line.
    if _second[0] != whole:
        _second[0], _second[1] = whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{_second[1]}.{int((created - whole) * 1000):03d}Z"


def lighten_log_records() -> None:
    """Stop the logging module from gathering what these JSON lines never show.

    Each record otherwise walks the stack for the caller's file and line and asks the OS
    for the process id: together about half the cost of an access line.
    """
    logging.logProcesses = False
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # the documented switch for "no caller lookup"


def log_config(level: str = "info") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` that sends linkguard's and uvicorn's logs to
    stderr as JSON (uvicorn's own access log is off: linkguard writes its own).

    Parameters
    ----------
    level : str
        The level of linkguard's and uvicorn's loggers.

    Returns
    -------
    dict
    """
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "()": JsonLineHandler,
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "linkguard": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(level: str = "info") -> None:
    """Apply :func:`log_config` to this process.

    Parameters
    ----------
    level : str
        The log level.
    """
    logging.config.dictConfig(log_config(level))

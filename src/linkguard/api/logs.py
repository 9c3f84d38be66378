"""Structured JSON logs on stderr: one object per line, for the access log and everything else.

Fields a handler passes as ``extra={"fields": {...}}`` become top-level keys. Nothing here
logs headers or bodies, so tokens and request payloads never reach a log line.
"""

from __future__ import annotations

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
    """The stderr handler of :func:`log_config`; it also takes ready-made lines.

    :class:`AccessLog` hands it access lines already encoded, skipping the building of a
    ``LogRecord`` (about two thirds of the cost of a line on the request path).
    """

    def write_line(self, line: str) -> None:
        """Write one finished line (with its newline) under the handler's lock.

        Parameters
        ----------
        line : str
            The line.
        """
        with self.lock:  # type: ignore[union-attr]
            self.stream.write(line)
            self.flush()


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

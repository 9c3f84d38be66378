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

__all__ = ["ACCESS_LOGGER", "JsonFormatter", "configure_logging", "log_config"]

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


def _utc(created: float) -> str:
    seconds = time.gmtime(created)
    millis = int((created % 1) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{millis:03d}Z"


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
                "class": "logging.StreamHandler",
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

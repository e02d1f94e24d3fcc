"""Structured logs: one JSON object per line, carrying the delivery id and the job id.

Callers pass the ids as `extra={"delivery_id": ..., "job_id": ...}`. Secrets never reach a
log record: the config hides them from `repr`, and clone URLs (which carry a token) are
never logged.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TextIO

CONTEXT_FIELDS = ("delivery_id", "job_id", "event", "repo", "sha", "worker", "outcome",
                  "status", "duration")
LOGGER = "reviewbot.service"


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON with the context fields it carries."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send the service's logs to `stream` (default stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def get_logger(name: str) -> logging.Logger:
    """The logger of the service's module `name` (a child of `reviewbot.service`)."""
    return logging.getLogger(f"{LOGGER}.{name}")

"""Structured logs: one JSON object a line, with the request id and the caller's accessor where a
request is being served. Never a token: requests are logged by route (``lookup/<path:token>``),
not by path."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from tokenledger.web.compact_json import compact_json

_STANDARD = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return compact_json(entry, default=str).decode()


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON (the server calls this in each worker)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # What no line shows, so no record need gather: the caller's source line, thread and process.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False

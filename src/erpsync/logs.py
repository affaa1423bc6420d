"""How erpsync logs: one line per coordination step and warnings at INFO, the rest at DEBUG;
as ``key=value`` text, or as one JSON object a line (``ERPSYNC_LOG_FORMAT=json``)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: Chatty loggers: every ERP page and every heartbeat would be a line at INFO.
CHATTY = ("httpx", "httpcore", "uvicorn.access")


class JsonLines(logging.Formatter):
    """One JSON object a record. A coordination step carries its fields (``action`` and the
    rest, as in the text line); any other record its message."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
        }
        step = getattr(record, "step", None)
        if isinstance(step, dict):
            entry.update(step)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    """Log to standard error at ``level``, unless something set up the root logger already
    (like :func:`logging.basicConfig`, which this replaces)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        if log_format == "json":
            handler.setFormatter(JsonLines())
        else:
            text = "%(asctime)s %(levelname)s %(name)s %(message)s"
            handler.setFormatter(logging.Formatter(text))
        root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)

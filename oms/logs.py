"""Logging: JSON lines in containers, readable lines on a terminal.

Fields passed with ``extra={"order_id": …, "client_order_id": …, "account": …}`` appear in
every format, so a line about an order can always be traced back to it.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Literal

import orjson

_BOUND = ("order_id", "client_order_id", "account", "symbol")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _BOUND:
            if key in record.__dict__:
                doc[key] = record.__dict__[key]
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        bound = [f"{k}={record.__dict__[k]}" for k in _BOUND if k in record.__dict__]
        return f"{line} [{' '.join(bound)}]" if bound else line


def configure(fmt: Literal["auto", "json", "text"] = "auto", level: str = "INFO") -> None:
    """Send the root logger to stderr in the chosen format (``auto``: text on a terminal)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


__all__ = ["JsonFormatter", "TextFormatter", "configure"]

"""One log format for every process: `serve`, gunicorn's master and workers, the projector and
the commands write each record as one JSON line on standard error — time (UTC), level,
process (its role and pid), logger, message, and a traceback only where there is one — or, on
a terminal, as one readable line. The access log (service.web.request_log) is apart: its own
JSON lines, one per request."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# The role shown beside the pid: "serve", "gunicorn", "web", "projector", a command's name.
_role = {"name": os.path.basename(sys.argv[0]) or "grantledger"}


def set_role(name: str) -> None:
    _role["name"] = name


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "process": _role["name"], "pid": record.process,
            "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Readable(logging.Formatter):
    """For a person at a terminal: `21:58:41 WARNING projector[4321] logger: message`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(role)s[%(process)d] %(name)s: %(message)s",
                         "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.role = _role["name"]
        return super().format(record)


def formatter_for(stream: TextIO) -> logging.Formatter:
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return Readable() if terminal else JsonLines()


def setup_logging(role: str, level: int | str = logging.INFO) -> None:
    """Every record of this process, in the one format, on standard error."""
    set_role(role)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(sys.stderr))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)

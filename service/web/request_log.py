"""Every request gets an id and a line in the access log.

The id is the client's `X-Request-ID` when it is a short run of safe characters (a proxy's or
a caller's trace id), else a new one; it goes back on every response, into problem documents
(service.web.problems) and into the access log, so that an operator finds the line a user's
error report points to. The access log is one JSON object a line: time, method, path (query
values that may be secrets masked), status, duration, principal, request id, client address
(the forwarded one only through configured proxies: service.web.app). It wraps the whole app,
the cached view reads included (service.web.fast_reads), which put the principal they admit
in the WSGI environ as the Flask views do (service.web.auth).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode

REQUEST_ID = "grantledger.request_id"  # keys in the WSGI environ
PRINCIPAL = "grantledger.principal"
REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
# Query parameters whose values are never written to the log.
SECRET_PARAMETERS = re.compile(r"(?i)key|token|secret|passw|signature|^sig$|^auth")
MASK = "***"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is safe to log and echo, else a new one."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def logged_path(path: str, query: str) -> str:
    """The path and query, with the values of parameters named like secrets masked."""
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(name, MASK if SECRET_PARAMETERS.search(name) else value)
              for name, value in pairs]
    return f"{path}?{urlencode(masked, safe='*/:,')}"


class AccessLog:
    """Where access lines go: standard output (whatever `sys.stdout` is when a line is
    written: a test harness or a process manager may replace it) or a file, reopened when
    logrotate moves it (looked at once a second). Each line is written and flushed at once,
    without `logging`: a record, a formatter and a handler per line cost a cached dashboard
    poll twice its answer."""

    REOPEN_CHECK_SECONDS = 1.0

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._inode: tuple[int, int] | None = None
        self._checked = 0.0

    def write(self, line: str) -> None:
        with self._lock:
            stream = self._stream()
            stream.write(line + "\n")
            stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _stream(self) -> TextIO:
        if self.path is None:
            return sys.stdout
        now = time.monotonic()
        if self._file is not None and now - self._checked >= self.REOPEN_CHECK_SECONDS:
            self._checked = now
            if self._moved():
                self._file.close()
                self._file = None
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            stat = os.fstat(self._file.fileno())
            self._inode = (stat.st_dev, stat.st_ino)
        return self._file

    def _moved(self) -> bool:
        assert self.path is not None
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (stat.st_dev, stat.st_ino) != self._inode


def access_log(destination: str) -> AccessLog | None:
    """`-`: standard output; `off`: none; else a file."""
    if destination.lower() in ("off", "none", "no", "n", "0"):
        return None
    return AccessLog(None if destination == "-" else destination)


class RequestLog:
    """WSGI middleware: the request id in and out, and the access log line."""

    def __init__(self, app: WSGIApp, log: AccessLog | None) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[REQUEST_ID] = request_id
        logged = False

        def start_with_id(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            nonlocal logged
            headers = [(name, value) for name, value in headers
                       if name.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, request_id))
            if self.log is not None and not logged:  # the answer is decided: log it
                logged = True
                self._log(environ, status, started)
            return start_response(status, headers, *args)

        try:
            return self.app(environ, start_with_id)
        except BaseException:
            if self.log is not None and not logged:
                self._log(environ, "500", started)
            raise

    def _log(self, environ: dict[str, Any], status: str, started: float) -> None:
        line = json.dumps({
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": logged_path(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                                environ.get("QUERY_STRING", "")),
            "status": int(status.split(" ", 1)[0]),
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "principal": environ.get(PRINCIPAL),
            "request_id": environ[REQUEST_ID],
            "client": environ.get("REMOTE_ADDR"),
        }, ensure_ascii=False)
        assert self.log is not None
        self.log.write(line)

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

import atexit
import contextlib
import functools
import itertools
import json
import os
import queue
import re
import secrets
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, TextIO
from urllib.parse import parse_qsl, urlencode

REQUEST_ID = "grantledger.request_id"  # keys in the WSGI environ
PRINCIPAL = "grantledger.principal"
REQUEST_ID_HEADER = "X-Request-ID"
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
# Query parameters whose values are never written to the log.
SECRET_PARAMETERS = re.compile(r"(?i)key|token|secret|passw|signature|^sig$|^auth")
MASK = "***"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Entry(NamedTuple):
    """What a request leaves for its access line; the log's thread writes it out."""

    at: float
    method: str
    path: str
    query: str
    status: str
    seconds: float
    principal: str | None
    request_id: str
    client: str | None

    def line(self) -> str:
        """The JSON line, written out by hand (json.dumps of a dict took three times as long,
        and the log's thread shares the worker's cores); strings go through json.dumps only
        when they hold what JSON escapes."""
        whole, millis = divmod(round(self.at * 1000), 1000)
        return (f'{{"time": "{_second(whole)}.{millis:03d}+00:00", '
                f'"method": {_text(self.method)}, '
                f'"path": {_text(logged_path(self.path, self.query))}, '
                f'"status": {int(self.status.split(" ", 1)[0])}, '
                f'"duration_ms": {round(self.seconds * 1000, 3)}, '
                f'"principal": {_text(self.principal)}, '
                f'"request_id": {_text(self.request_id)}, "client": {_text(self.client)}}}')


def _text(value: str | None) -> str:
    if value is None:
        return "null"
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


@functools.lru_cache(maxsize=4)
def _second(epoch_second: int) -> str:
    return datetime.fromtimestamp(epoch_second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class _RequestIds:
    """New request ids: a random prefix of the process (drawn after gunicorn forked it) and a
    counter. Unique, and without a call for randomness per request (a system call each, a
    twentieth of a cached poll's time)."""

    def __init__(self) -> None:
        self._pid = 0
        self._prefix = ""
        self._counter = itertools.count()

    def new(self) -> str:
        if self._pid != os.getpid():
            self._pid, self._prefix = os.getpid(), secrets.token_hex(10)
        return f"{self._prefix}{next(self._counter):012x}"


_new_request_id = _RequestIds().new


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is safe to log and echo, else a new one."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return _new_request_id()


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
    logrotate moves it.

    A request only puts its entry on a queue; a thread writes what has queued up every
    WRITE_SECONDS and flushes. A lock and a flush per line, through `logging` or not, took a
    worker serving cached polls a quarter of its time (its eight threads queued for the lock),
    and a writer woken by every line a fifth of its throughput (the GIL)."""

    WRITE_SECONDS = 0.2
    _instances: ClassVar[weakref.WeakSet[AccessLog]] = weakref.WeakSet()

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lines: queue.SimpleQueue[Entry | str | threading.Event | None] = (
            queue.SimpleQueue())
        self._file: TextIO | None = None
        self._inode: tuple[int, int] | None = None
        self._wake = threading.Event()
        self._writer = threading.Thread(target=self._write_lines, name="access-log",
                                        daemon=True)
        self._writer.start()
        AccessLog._instances.add(self)

    def write(self, line: Entry | str) -> None:
        self._lines.put(line)

    def flush(self) -> None:
        """Returns once every line written before is in the file."""
        if self._writer.is_alive():
            written = threading.Event()
            self._lines.put(written)
            self._wake.set()
            written.wait(5)

    def close(self) -> None:
        if self._writer.is_alive():
            self._lines.put(None)
            self._wake.set()
            self._writer.join(5)

    @classmethod
    def flush_all(cls) -> None:
        """Every log's lines written (at exit, and for whoever reads the log next)."""
        for log in list(cls._instances):
            log.flush()

    def _write_lines(self) -> None:
        while True:
            self._wake.wait(self.WRITE_SECONDS)
            self._wake.clear()
            batch: list[str] = []
            while True:
                try:
                    item = self._lines.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, Entry):
                    batch.append(item.line() + "\n")
                    continue
                if isinstance(item, str):
                    batch.append(item + "\n")
                    continue
                self._write(batch)
                batch = []
                if item is None:
                    self._close_file()
                    return
                item.set()
            self._write(batch)
            self._reopen_if_moved()

    def _write(self, batch: list[str]) -> None:
        if batch:
            with contextlib.suppress(OSError, ValueError):  # stdout closed or replaced
                stream = self._stream()
                stream.write("".join(batch))
                stream.flush()

    def _stream(self) -> TextIO:
        if self.path is None:
            return sys.stdout
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            stat = os.fstat(self._file.fileno())
            self._inode = (stat.st_dev, stat.st_ino)
        return self._file

    def _reopen_if_moved(self) -> None:
        if self._file is None or self.path is None:
            return
        try:
            stat = os.stat(self.path)
            moved = (stat.st_dev, stat.st_ino) != self._inode
        except FileNotFoundError:
            moved = True
        if moved:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


atexit.register(AccessLog.flush_all)  # the last lines of a worker that exits


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
        assert self.log is not None
        now = time.perf_counter()
        self.log.write(Entry(
            time.time(), environ.get("REQUEST_METHOD", ""),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""), status, now - started, environ.get(PRINCIPAL),
            environ[REQUEST_ID], environ.get("REMOTE_ADDR")))

"""Batch affinity: each project's batches of expenses are decided in one web worker, its home.

gunicorn spreads connections, not projects, over its workers. Two workers writing batches to
one project take turns under the project's lock, and each first folds the other's last batch
into the state it holds (500 events decoded and applied: 15–18 ms of the ~50 ms a batch holds
the lock, docs/PERFORMANCE.md). So each worker takes a slot (a lock file in a folder only the
service's user can open) and listens on the slot's Unix socket too; a worker handed a batch
for a project whose home is another slot passes the request on as it came and the answer back
as it went. The home decides it on the state it already holds.

Affinity is only about speed: any worker may write any project (the store's lock and version
check keep the writes right), so a batch that cannot be passed on whole — no worker in the
home's slot just now, a body without a length or over the limit, a send that fails — is
decided where it arrived. One the home took whole and did not answer may be recorded: 503.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import io
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from uuid import UUID

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from service.metrics import BATCHES_HANDED_OFF
from service.web.api.expense_batch import BATCH_MAX_BODY_BYTES
from service.web.problems import PROBLEM_JSON, RETRY_AFTER_SECONDS

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
BATCH_PATH = re.compile(r"/api/v1/projects/([0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})"
                        r"/expenses/batch")
# What the home restores of the request as the worker it arrived at saw it; the header is
# believed on the slot's socket only, and dropped from what arrives from outside.
HANDED_OFF_HEADER = "Grantledger-Handed-Off"
HANDED_OFF_ENVIRON = "HTTP_GRANTLEDGER_HANDED_OFF"
HANDED_OFF = "grantledger.handed_off"
RESTORED = ("REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "SERVER_NAME", "SERVER_PORT",
            "SERVER_PROTOCOL", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "RAW_URI")
# Hop-by-hop headers (RFC 9110, 7.6.1) and those each server writes of its own (the length
# of what it sends: the whole body, read).
NOT_PASSED = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                        "te", "trailer", "upgrade", "expect", "server", "date",
                        "content-length", HANDED_OFF_HEADER.lower()})
# How often a worker without a slot looks for a free one, when a batch arrives.
CLAIM_AGAIN_SECONDS = 1.0
# A backstop only: the home answers within its own deadlines for the store.
ANSWER_WITHIN_SECONDS = 120.0
WRITER_LOST_TYPE = "urn:grantledger:problem:writer-lost"
log = logging.getLogger(__name__)


def home_slot(environ: dict[str, Any], slots: int) -> int | None:
    """The slot whose worker decides this request: a batch's project's; None for others."""
    if environ.get("REQUEST_METHOD") != "POST":
        return None
    match = BATCH_PATH.fullmatch(environ.get("PATH_INFO", ""))
    return None if match is None else UUID(match[1]).int % slots


class Slots:
    """The folder of the workers' slots: `slot-N.lock`, held by the worker in slot N while it
    lives (the kernel lets go when it dies), and `slot-N.sock`, where it listens."""

    def __init__(self, folder: Path, count: int) -> None:
        self.folder, self.count = folder, count
        self._held: int | None = None

    def claim(self) -> int | None:
        """Takes the first free slot (None if all are held, as by the workers an upgrade is
        replacing: a later claim may find one)."""
        for slot in range(self.count):
            descriptor = os.open(self.folder / f"slot-{slot}.lock", os.O_CREAT | os.O_RDWR,
                                 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            self._held = descriptor
            return slot
        return None

    def release(self) -> None:
        if self._held is not None:
            os.close(self._held)
            self._held = None

    def socket_path(self, slot: int) -> str:
        return str(self.folder / f"slot-{slot}.sock")


class HandOff:
    """WSGI middleware, outermost: passes each batch whose home is another slot to it."""

    def __init__(self, app: WSGIApp, slots: Slots) -> None:
        self.app, self.slots = app, slots
        self.slot: int | None = None
        self._home: BaseWSGIServer | None = None
        self._served: WSGIApp | None = None
        self._claiming = threading.Lock()
        self._tried_at = 0.0

    def start(self, served: WSGIApp) -> HandOff:
        """Takes a slot and serves `served` (the whole app, this middleware in it) on its
        socket; without a free slot, this worker passes every batch on or decides it, and
        tries again now and then (`_claim_again`)."""
        with self._claiming:
            self._served = served
            self._take_slot()
        return self

    def stop(self) -> None:
        """Stops taking batches on the slot's socket, finishes those in hand, frees the slot."""
        with self._claiming:
            home, self._home, self._served = self._home, None, None
            if home is not None and self.slot is not None:
                # Gone first: a worker finding no socket decides the batch itself.
                with contextlib.suppress(OSError):
                    os.unlink(self.slots.socket_path(self.slot))
                home.shutdown()
                home.server_close()  # joins the threads serving batches
            self.slots.release()
            self.slot = None

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get(HANDED_OFF):
            return self.app(environ, start_response)
        environ.pop(HANDED_OFF_ENVIRON, None)  # from outside: not believed
        home = home_slot(environ, self.slots.count)
        if home is not None and self.slot is None:
            self._claim_again()
        if home is None or home == self.slot:
            return self.app(environ, start_response)
        answer = self._pass_on(environ, start_response, home)
        return self.app(environ, start_response) if answer is None else answer

    def _take_slot(self) -> None:
        assert self._served is not None
        self._tried_at = time.monotonic()
        try:
            slot = self.slots.claim()
            listening = None if slot is None else _listen(self.slots.socket_path(slot))
        except OSError as error:  # the folder gone: batches are decided where they arrive
            log.warning("this worker takes no slot for deciding batches: %s", error)
            self.slots.release()
            return
        if listening is None:
            return
        with listening:  # the server listens on a duplicate
            self._home = make_server("unix://", 0, _restoring(self._served), threaded=True,
                                     request_handler=_QuietHandler, fd=listening.fileno())
        # Not daemons: stopping waits for the batches in hand (`stop`).
        self._home.daemon_threads = False  # type: ignore[attr-defined]
        threading.Thread(target=self._home.serve_forever, name="batch-home",
                         daemon=True).start()
        self.slot = slot

    def _claim_again(self) -> None:
        """A worker that started while every slot was held (by the workers a reload is
        replacing) takes one freed since, trying at most once a CLAIM_AGAIN_SECONDS."""
        if time.monotonic() - self._tried_at < CLAIM_AGAIN_SECONDS:
            return
        if self._claiming.acquire(blocking=False):  # another thread is at it: not waited for
            try:
                if self._served is not None and self.slot is None:
                    self._take_slot()
            finally:
                self._claiming.release()

    def _pass_on(self, environ: dict[str, Any], start_response: Callable[..., Any],
                 home: int) -> Iterable[bytes] | None:
        """The home's answer, or None when the batch is to be decided here: no home took the
        whole of it."""
        length = environ.get("CONTENT_LENGTH") or ""
        if not length.isdigit() or int(length) > BATCH_MAX_BODY_BYTES:
            return None  # the app answers it (413 over the limit)
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # read here if it stays
        environ["CONTENT_LENGTH"] = str(len(body))
        connection = _UnixConnection(self.slots.socket_path(home), ANSWER_WITHIN_SECONDS)
        try:
            try:
                connection.connect()
                _send(connection, environ, body)
            except OSError:  # no worker listens in that slot just now, or it went
                return None
            try:
                status, headers, content = _receive(connection)
            except (OSError, http.client.HTTPException) as error:
                log.warning("the worker deciding the batch for %s stopped before it answered: "
                            "%s", environ.get("PATH_INFO"), error)
                return _writer_lost(environ, start_response)
        finally:
            connection.close()
        BATCHES_HANDED_OFF.inc()
        start_response(status, headers)
        return [content]


def _listen(path: str) -> socket.socket:
    """The slot's socket, listening (one left by the slot's last worker replaced)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listening.bind(path)
        listening.listen(64)
    except OSError:
        listening.close()
        raise
    return listening


def _send(connection: http.client.HTTPConnection, environ: dict[str, Any],
          body: bytes) -> None:
    """The request as it arrived, with what the home restores of it."""
    connection.putrequest(environ["REQUEST_METHOD"], environ["PATH_INFO"], skip_host=True,
                          skip_accept_encoding=True)
    for name, value in _request_headers(environ):
        connection.putheader(name, value)
    connection.putheader(HANDED_OFF_HEADER,
                         json.dumps({key: environ[key] for key in RESTORED if key in environ}))
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)


def _receive(connection: http.client.HTTPConnection
             ) -> tuple[str, list[tuple[str, str]], bytes]:
    """The home's status line, headers and body."""
    answer = connection.getresponse()
    content = answer.read()
    headers = [(name, value) for name, value in answer.getheaders()
               if name.lower() not in NOT_PASSED]
    headers.append(("Content-Length", str(len(content))))
    return f"{answer.status} {answer.reason}", headers, content


def _request_headers(environ: dict[str, Any]) -> Iterable[tuple[str, str]]:
    if environ.get("CONTENT_TYPE"):
        yield "Content-Type", environ["CONTENT_TYPE"]
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-")
            if name.lower() not in NOT_PASSED:
                yield name, value


def _restoring(app: WSGIApp) -> WSGIApp:
    """The app as the home serves it: the request as the worker it arrived at saw it."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen = environ.pop(HANDED_OFF_ENVIRON, None)
        if seen is not None:
            environ.update(json.loads(seen))
            environ[HANDED_OFF] = True
        return app(environ, start_response)

    return serve


def _writer_lost(environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
    """503: the home stopped while it had the batch, which may or may not be recorded."""
    body = {"type": WRITER_LOST_TYPE, "title": "Writer lost", "status": 503,
            "detail": "the worker deciding this batch stopped before it answered, and the batch "
                      "may or may not have been recorded; retry after the Retry-After pause with "
                      "the same Idempotency-Key (it is recorded at most once), or, for a batch "
                      "sent without one, look for its documents among the project's expenses "
                      "before sending it again",
            "instance": environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")}
    content = json.dumps(body).encode()
    start_response("503 Service Unavailable", [
        ("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(content))),
        ("Retry-After", str(RETRY_AFTER_SECONDS))])
    return [content]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _QuietHandler(WSGIRequestHandler):
    """The home's requests are logged by the app's access log, not as the dev server does."""

    def log_request(self, *args: Any) -> None:
        pass

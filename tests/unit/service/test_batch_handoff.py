"""Batch affinity (service.web.handoff): a batch whose project's home is another worker's slot
is passed to it as it arrived and answered as the home answered; anything that cannot be
passed on whole is decided where it arrived."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prometheus_client import REGISTRY

from service.web import handoff
from service.web.handoff import HANDED_OFF_ENVIRON, HandOff, Slots, home_slot

BODY = b'{"expenses": [{"document_number": "FV-1"}]}'
ON_SLOT_0 = UUID("00000000-0000-4000-8000-000000000002")  # its int is even: home slot 0
ON_SLOT_1 = UUID("00000000-0000-4000-8000-000000000001")


def batch_environ(project: UUID, body: bytes = BODY, **extra: Any) -> dict[str, Any]:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": f"/api/v1/projects/{project}/expenses/batch",
            "QUERY_STRING": "dry_run=true", "SCRIPT_NAME": "/ledger", "SERVER_NAME": "ledger",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "REMOTE_ADDR": "203.0.113.5", "REMOTE_PORT": "50123",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "ledger.example:8000", "HTTP_AUTHORIZATION": "Bearer t0k3n",
            "HTTP_IDEMPOTENCY_KEY": "batch-1", "HTTP_CONNECTION": "keep-alive",
            "wsgi.input": io.BytesIO(body), **extra}


class Recorder:
    """A WSGI app that keeps what it was asked and answers 201 with a Location."""

    def __init__(self, name: str, wait: threading.Event | None = None) -> None:
        self.name, self.wait = name, wait
        self.seen: list[dict[str, Any]] = []
        self.entered = threading.Event()

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.seen.append({**environ, "body": body})
        self.entered.set()
        if self.wait is not None:
            self.wait.wait(5)
        start_response("201 CREATED", [("Content-Type", "application/json"),
                                       ("Location", "/api/v1/projects/p/expenses"),
                                       ("X-Request-ID", "r-1")])
        return [json.dumps({"by": self.name}).encode()]


def call(app: Callable[..., Iterable[bytes]],
         environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.update(status=status, headers=headers)

    body = b"".join(app(environ, start_response))
    return answered["status"], answered["headers"], body


def handed_off() -> float:
    return REGISTRY.get_sample_value("grantledger_batches_handed_off_total") or 0.0


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # Unix socket paths are short (108 bytes): pytest's tmp_path may be longer.
    path = Path("/tmp") / f"ho-{tmp_path.name[-20:]}"
    path.mkdir(mode=0o700)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


@pytest.fixture
def workers(folder: Path) -> Iterator[tuple[HandOff, Recorder, HandOff, Recorder]]:
    """Two workers: the first in slot 0, the second in slot 1."""
    started = []
    pairs = []
    for name in ("first", "second"):
        recorder = Recorder(name)
        handoff = HandOff(recorder, Slots(folder, 2))
        started.append(handoff.start(handoff))
        pairs += [handoff, recorder]
    assert [h.slot for h in started] == [0, 1]
    yield pairs[0], pairs[1], pairs[2], pairs[3]
    for handoff in started:
        handoff.stop()


def test_a_batch_is_homed_by_its_project_and_nothing_else_is() -> None:
    path = f"/api/v1/projects/{ON_SLOT_1}/expenses/batch"
    assert home_slot({"REQUEST_METHOD": "POST", "PATH_INFO": path}, 2) == 1
    upper = path.replace(str(ON_SLOT_1), str(ON_SLOT_1).upper())
    assert home_slot({"REQUEST_METHOD": "POST", "PATH_INFO": upper}, 2) == 1
    assert home_slot({"REQUEST_METHOD": "POST",
                      "PATH_INFO": f"/api/v1/projects/{ON_SLOT_0}/expenses/batch"}, 2) == 0
    assert [home_slot(environ, 2) for environ in (
        {"REQUEST_METHOD": "GET", "PATH_INFO": path},
        {"REQUEST_METHOD": "POST", "PATH_INFO": path + "/"},
        {"REQUEST_METHOD": "POST", "PATH_INFO": f"/api/v1/projects/{ON_SLOT_1}/expenses"},
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/projects/not-a-uuid/expenses/batch"},
    )] == [None, None, None, None]


def test_each_slot_is_held_by_one_worker_until_it_lets_go(folder: Path) -> None:
    first, second, third = Slots(folder, 2), Slots(folder, 2), Slots(folder, 2)
    assert (first.claim(), second.claim(), third.claim()) == (0, 1, None)
    first.release()
    assert third.claim() == 0
    second.release()
    third.release()


def test_a_batch_homed_elsewhere_is_passed_on_as_it_arrived_and_answered_as_the_home_did(
        workers: tuple[HandOff, Recorder, HandOff, Recorder]) -> None:
    first, first_app, _, second_app = workers
    before = handed_off()
    environ = batch_environ(ON_SLOT_1, HTTP_GRANTLEDGER_HANDED_OFF='{"REMOTE_ADDR": "1.2.3.4"}')

    status, headers, body = call(first, environ)

    assert (status, body, first_app.seen) == ("201 CREATED", b'{"by": "second"}', [])
    assert sorted((name.lower(), value) for name, value in headers) == [
        ("content-length", "16"), ("content-type", "application/json"),
        ("location", "/api/v1/projects/p/expenses"), ("x-request-id", "r-1")]
    [seen] = second_app.seen
    kept = {key: seen[key] for key in (
        "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME", "SERVER_NAME",
        "SERVER_PORT", "wsgi.url_scheme", "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_TYPE",
        "HTTP_HOST", "HTTP_AUTHORIZATION", "HTTP_IDEMPOTENCY_KEY", "body")}
    assert kept == {key: environ[key] for key in kept if key != "body"} | {"body": BODY}
    assert HANDED_OFF_ENVIRON not in seen
    assert handed_off() == before + 1


def test_a_batch_homed_here_or_any_other_request_is_served_here(
        workers: tuple[HandOff, Recorder, HandOff, Recorder]) -> None:
    first, first_app, _, second_app = workers
    spoofed = batch_environ(ON_SLOT_0, HTTP_GRANTLEDGER_HANDED_OFF='{"REMOTE_ADDR": "1.2.3.4"}')
    listing = {**batch_environ(ON_SLOT_1), "PATH_INFO": f"/api/v1/projects/{ON_SLOT_1}/expenses"}

    answers = [call(first, spoofed)[2], call(first, listing)[2]]

    assert answers == [b'{"by": "first"}'] * 2
    assert [(seen["REMOTE_ADDR"], seen["body"], HANDED_OFF_ENVIRON in seen)
            for seen in first_app.seen] == [("203.0.113.5", BODY, False)] * 2
    assert second_app.seen == []


def test_with_no_home_listening_the_batch_is_decided_where_it_arrived(
        workers: tuple[HandOff, Recorder, HandOff, Recorder]) -> None:
    first, first_app, second, second_app = workers
    second.stop()

    assert call(first, batch_environ(ON_SLOT_1))[2] == b'{"by": "first"}'
    assert [seen["body"] for seen in first_app.seen] == [BODY]
    assert second_app.seen == []


def test_a_body_over_the_limit_or_without_a_length_stays_unread_for_the_app(
        workers: tuple[HandOff, Recorder, HandOff, Recorder]) -> None:
    first, first_app, _, second_app = workers
    over = batch_environ(ON_SLOT_1, CONTENT_LENGTH=str(16 * 1024 * 1024 + 1))
    chunked = batch_environ(ON_SLOT_1, CONTENT_LENGTH="")

    for environ in (over, chunked):
        stream = environ["wsgi.input"]
        call(first, environ)
        assert environ["wsgi.input"] is stream

    assert (len(first_app.seen), second_app.seen) == (2, [])


def test_stopping_a_home_answers_the_batches_it_has_in_hand_first(folder: Path) -> None:
    release = threading.Event()
    home_app = Recorder("home", wait=release)
    home = HandOff(home_app, Slots(folder, 2))
    home.start(home)
    visitor = HandOff(Recorder("visitor"), Slots(folder, 2)).start(Recorder("unused"))
    answers: list[str] = []
    caller = threading.Thread(target=lambda: answers.append(
        call(visitor, batch_environ(ON_SLOT_0))[0]))
    caller.start()
    assert home_app.entered.wait(5)

    stopping = threading.Thread(target=home.stop)
    stopping.start()
    stopping.join(0.3)
    still_stopping = stopping.is_alive()
    release.set()
    stopping.join(5)
    caller.join(5)
    visitor.stop()

    assert (still_stopping, answers) == (True, ["201 CREATED"])


def test_a_home_that_stops_before_answering_is_answered_503_writer_lost(folder: Path) -> None:
    """The home had the whole batch: it may have recorded it, so it is not decided again."""
    slots = Slots(folder, 2)
    assert slots.claim() == 0  # slot 0 held by a home that reads the request and closes
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(slots.socket_path(0))
    listening.listen(1)

    def read_then_close() -> None:
        connection, _ = listening.accept()
        received = b""
        while not received.endswith(BODY):
            received += connection.recv(65536)
        connection.close()

    home = threading.Thread(target=read_then_close)
    home.start()
    visitor_app = Recorder("visitor")
    visitor = HandOff(visitor_app, Slots(folder, 2)).start(Recorder("unused"))

    status, headers, body = call(visitor, batch_environ(ON_SLOT_0))
    home.join(5)
    visitor.stop()
    listening.close()
    slots.release()

    problem = json.loads(body)
    assert (status, dict(headers)["Content-Type"], dict(headers)["Retry-After"]) == (
        "503 Service Unavailable", "application/problem+json", "1")
    assert {key: problem[key] for key in ("type", "title", "status", "instance")} == {
        "type": "urn:grantledger:problem:writer-lost", "title": "Writer lost", "status": 503,
        "instance": f"/ledger/api/v1/projects/{ON_SLOT_0}/expenses/batch"}
    assert "same Idempotency-Key" in problem["detail"]
    assert visitor_app.seen == []


def test_a_worker_started_while_every_slot_was_held_takes_one_freed_since(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As after a reload: the new workers start while the old ones still hold the slots."""
    monkeypatch.setattr(handoff, "CLAIM_AGAIN_SECONDS", 0.0)
    old_app, new_app, other_app = Recorder("old"), Recorder("new"), Recorder("other")
    old = HandOff(old_app, Slots(folder, 2))
    other = HandOff(other_app, Slots(folder, 2))
    new = HandOff(new_app, Slots(folder, 2))
    for started in (old, other, new):
        started.start(started)
    assert (old.slot, other.slot, new.slot) == (0, 1, None)

    old.stop()
    by_new = call(new, batch_environ(ON_SLOT_0))[2]
    by_other = call(other, batch_environ(ON_SLOT_0))[2]
    other.stop()
    new.stop()

    assert (by_new, by_other) == (b'{"by": "new"}', b'{"by": "new"}')
    assert (len(new_app.seen), old_app.seen, other_app.seen) == (2, [], [])

"""Idempotency while writes queue: a request with a key whose answer is stored meanwhile, or a
retry queued beside its first attempt, is answered from the first, never decided twice."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from api_builders import event_count, expense_body, post, project_path
from flask import Flask
from flask.testing import FlaskClient

from service.store.writes import IDEMPOTENCY_TABLE

KEY = "fv-2016-0042"


@pytest.fixture
def held_store(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another writer on the SQLite file, holding its write lock until it rolls back."""
    other = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    yield other
    other.close()


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(call()))
    thread.start()
    return thread, answers


def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline, "not within 5 s"
        time.sleep(0.005)


def writing(app: Flask) -> None:
    """Waits until a write to a project is under way (here: waiting for the store's lock)."""
    group_commit = app.extensions["grantledger"].writer._group_commit
    eventually(lambda: any(lock.locked() for lock in group_commit._locks))


def queued(app: Flask, project: str, count: int) -> None:
    """Waits until `count` commands are queued behind the write under way."""
    group_commit = app.extensions["grantledger"].writer._group_commit
    eventually(lambda: len(group_commit._queued.get(UUID(project), [])) == count)


def test_a_retry_queued_beside_its_first_attempt_is_answered_like_it(
        app: Flask, client: FlaskClient, nek: str, held_store: sqlite3.Connection) -> None:
    path, body = project_path(nek, "expenses"), expense_body()
    held_store.execute("BEGIN IMMEDIATE")
    blocked, _ = in_thread(lambda: post(app.test_client(), path, expense_body(), "accountant"))
    writing(app)  # the first write waits for the lock; the next two queue behind it
    twins = [in_thread(lambda: post(app.test_client(), path, body, "accountant",
                                    Idempotency_Key=KEY)) for _ in range(2)]
    queued(app, nek, 2)

    held_store.execute("ROLLBACK")
    for thread, _ in [(blocked, None), *twins]:
        thread.join(timeout=10)

    first, second = sorted((answers[0] for _, answers in twins),
                           key=lambda r: "Idempotent-Replayed" in r.headers)
    assert (first.status_code, second.status_code, second.get_data(),
            second.headers["Idempotent-Replayed"], event_count(client, nek)) == (
        201, 201, first.get_data(), "true", 3)


def test_a_request_whose_answer_another_process_stored_meanwhile_is_answered_from_it(
        app: Flask, client: FlaskClient, nek: str, held_store: sqlite3.Connection) -> None:
    path, body = project_path(nek, "expenses"), expense_body()
    with app.test_request_context(path, method="POST", json=body):
        from service.web.idempotency import fingerprint

        same_request = fingerprint()
    stored = json.dumps({"expense_id": "00000000-0000-4000-8000-000000000042", "position": 2,
                         "time_eligible": True})
    held_store.execute("BEGIN IMMEDIATE")
    waiting, answers = in_thread(lambda: post(app.test_client(), path, body, "accountant",
                                              Idempotency_Key=KEY))
    writing(app)
    held_store.execute(f"INSERT INTO {IDEMPOTENCY_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                       ["accountant", KEY, same_request, 201, stored, None])

    held_store.execute("COMMIT")
    waiting.join(timeout=10)

    assert (answers[0].status_code, answers[0].get_data(as_text=True),
            answers[0].headers["Idempotent-Replayed"], event_count(client, nek)) == (
        201, stored, "true", 1)

"""Writes when the connection to PostgreSQL breaks: around COMMIT, while a writer holds the
project, while the server cannot be reached. A command is recorded once or not at all, and a
client that retries with its Idempotency-Key always ends up with the one true answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from api_builders import event_count, expense_body, post, problem, project_path, register_nek
from flask import Flask
from flask.testing import FlaskClient
from support import make_settings
from tcp_proxy import PostgresProxy

from service.bootstrap import open_ledger
from service.metrics import WRITES_IN_TURN
from service.store.writes import _lock_key
from service.web.app import create_app
from service.writer import IN_TURN_COMMANDS, ProjectWriter

pytestmark = pytest.mark.postgres
KEY = "fv-2016-0042"


@dataclass
class Proxied:
    app: Flask
    client: FlaskClient
    proxy: PostgresProxy


@pytest.fixture
def proxied(postgres_url: str) -> Iterator[Proxied]:
    """The app on the run's database, its connections through a proxy that breaks them."""
    proxy = PostgresProxy(5432)
    settings = make_settings(proxy.url(postgres_url.rsplit("/", 1)[1]))
    # A request waits for a connection at most a second before it is answered 503.
    application = open_ledger(settings, env={"POSTGRES_CONNECT_TIMEOUT": "1"})
    app = create_app(settings, application)
    yield Proxied(app, app.test_client(), proxy)
    application.close()
    proxy.close()


BODY = expense_body()


def post_expense(client: FlaskClient, project: str, **headers: str) -> Any:
    return post(client, project_path(project, "expenses"), BODY, "accountant", **headers)


def test_a_commit_whose_answer_was_lost_is_read_back_and_answered_as_recorded(
        proxied: Proxied) -> None:
    project = register_nek(proxied.client)
    proxied.proxy.cut_next_write("after")

    first = post_expense(proxied.client, project, Idempotency_Key=KEY)
    retry = post_expense(proxied.client, project, Idempotency_Key=KEY)

    assert (proxied.proxy.cuts, first.status_code, retry.status_code, retry.get_data(),
            retry.headers["Idempotent-Replayed"], event_count(proxied.client, project)) == (
        1, 201, 201, first.get_data(), "true", 2)


def test_a_commit_cut_off_before_it_reached_the_server_is_decided_again_and_recorded_once(
        proxied: Proxied) -> None:
    project = register_nek(proxied.client)
    proxied.proxy.cut_next_write("before")

    response = post_expense(proxied.client, project, Idempotency_Key=KEY)

    assert (proxied.proxy.cuts, response.status_code, event_count(proxied.client, project)) == (
        1, 201, 2)


def test_a_batch_written_in_turn_whose_commit_answer_was_lost_is_read_back_and_answered(
        proxied: Proxied, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write in turn commits with a COMMIT of its own after the call: when that one's answer
    is lost, the outcome is read back (one write in turn, not a second one deciding again)."""
    project = register_nek(proxied.client)
    # As after a lost race to another process (test_write_function shows one).
    monkeypatch.setattr(ProjectWriter, "_contended", lambda writer, project_id: True)
    items = [expense_body(document_number=f"FV-B{n}") for n in range(IN_TURN_COMMANDS)]
    in_turn = WRITES_IN_TURN._value.get()
    proxied.proxy.cut_next_write("after")

    first = post(proxied.client, project_path(project, "expenses", "batch"),
                 {"expenses": items}, "accountant", Idempotency_Key=KEY)
    writes_in_turn = WRITES_IN_TURN._value.get() - in_turn
    retry = post(proxied.client, project_path(project, "expenses", "batch"),
                 {"expenses": items}, "accountant", Idempotency_Key=KEY)

    assert (proxied.proxy.cuts, writes_in_turn, first.status_code, retry.status_code,
            retry.get_data(), retry.headers["Idempotent-Replayed"],
            event_count(proxied.client, project)) == (
        1, 1, 201, 201, first.get_data(), "true", 1 + IN_TURN_COMMANDS)


def test_while_the_store_cannot_be_reached_requests_get_503_and_the_first_retry_succeeds(
        proxied: Proxied) -> None:
    """The client retries as told: after the Retry-After pause, the store back meanwhile."""
    project = register_nek(proxied.client)
    proxied.proxy.refuse()

    refused = post_expense(proxied.client, project, Idempotency_Key=KEY)
    ready = proxied.client.get("/health/ready")
    proxied.proxy.accept()
    time.sleep(float(refused.headers["Retry-After"]))
    retried = post_expense(proxied.client, project, Idempotency_Key=KEY)

    assert (refused.status_code, refused.headers["Retry-After"], problem(refused)["type"]) == (
        503, "1", "urn:grantledger:problem:store-unavailable")
    assert (ready.status_code, ready.get_json()["status"]) == (503, "unavailable")
    assert (retried.status_code, event_count(proxied.client, project)) == (201, 2)


def test_a_retry_waits_for_a_writer_that_holds_the_project_and_runs_once_it_dies(
        pg_app: Flask, pg_client: FlaskClient, postgres_url: str) -> None:
    """A request whose worker was killed mid-transaction holds the project's lock until its
    connection dies with it; the retry then simply runs."""
    project = register_nek(pg_client)
    holder = psycopg.connect(postgres_url)
    holder.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(_uuid(project))])
    answers: list[Any] = []
    retry = threading.Thread(target=lambda: answers.append(
        post_expense(pg_app.test_client(), project, Idempotency_Key=KEY)))
    retry.start()
    time.sleep(0.5)
    waited = retry.is_alive()

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [holder.info.backend_pid])
    retry.join(timeout=10)
    holder.close()

    assert (waited, answers[0].status_code, event_count(pg_client, project)) == (True, 201, 2)


def _uuid(text: str) -> Any:
    from uuid import UUID

    return UUID(text)

"""PostgreSQL LISTEN/NOTIFY: each web process's copy of the views follows the projector's
announcements, and the projector is woken by the appends it follows."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from api_builders import get, project_path, record_expense, register_nek
from flask import Flask
from flask.testing import FlaskClient
from support import make_settings

from service.application import LedgerApplication, prague_today, utc_now
from service.metrics import DECIDED_AGAIN, REQUESTS
from service.reads import projector as projector_module
from service.reads.projector import NAME, Projector, run_projector
from service.reads.view_cache import ViewCache
from service.web.app import create_app
from service.web.fast_reads import FastViewReads
from service.web.request_log import AccessLog, RequestLog
from service.web.urls import API

pytestmark = pytest.mark.postgres


def eventually(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the bound"
        time.sleep(0.01)


def project_views(app: Flask) -> tuple[LedgerApplication, ViewCache]:
    return app.extensions["grantledger"], app.extensions["grantledger_views"]


def cached_position(cache: ViewCache, project_id: str) -> int | None:
    cached = cache.current(UUID(project_id), "budget", prague_today(utc_now()), None)
    return cached.position if cached else None


def test_a_projected_view_is_served_from_the_process_without_asking_the_database(
        pg_app: Flask, pg_client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(pg_client)
    record_expense(pg_client, project_id)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 2)
    stored = application.queries.stored_view(UUID(project_id), "budget")

    def no_database(*args: object, **kwargs: object) -> None:
        raise AssertionError("asked the database")

    monkeypatch.setattr(application.queries, "current_view", no_database)
    monkeypatch.setattr(application, "project_state", no_database)
    answer = get(pg_client, project_path(project_id, "views/budget"))
    again = get(pg_client, project_path(project_id, "views/budget"),
                If_None_Match=answer.headers["ETag"])

    assert stored is not None
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, stored.body)
    assert (again.status_code, again.data) == (304, b"")


def test_an_own_write_is_read_back_at_once_before_the_projector_applies_it(
        pg_app: Flask, pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 1)

    record_expense(pg_client, project_id)
    view = get(pg_client, project_path(project_id, "views/budget")).get_json()

    assert (view["position"], view["totals"]["recorded"]) == (2, "100000.00")


def test_another_process_acknowledged_write_is_read_before_the_projector_applies_it(
        pg_app: Flask, pg_client: FlaskClient, postgres_url: str) -> None:
    """The copy hears of every append (the library's NOTIFY) and no longer serves a view the
    projector has not brought up to the project's last event: the read folds the events."""
    project_id = register_nek(pg_client)
    application, cache = project_views(pg_app)
    projector = Projector(application)
    projector.catch_up()
    eventually(lambda: cached_position(cache, project_id) == 1)
    other = create_app(make_settings(postgres_url))  # another web process
    try:
        record_expense(other.test_client(), project_id)
        position = other.extensions["grantledger"].recorder.max_notification_id()
    finally:
        other.extensions["grantledger"].close()

    eventually(lambda: cached_position(cache, project_id) is None)  # the append heard of
    before = get(pg_client, project_path(project_id, "views/budget")).get_json()
    projector.catch_up()
    eventually(lambda: cached_position(cache, project_id) == position)
    after = get(pg_client, project_path(project_id, "views/budget")).get_json()

    assert application.queries.projection_position(NAME) == position
    assert (before["position"], before["totals"]["recorded"]) == (position, "100000.00")
    assert (after["position"], after["totals"]["recorded"]) == (position, "100000.00")


def test_a_write_after_another_process_wrote_is_not_decided_twice(
        pg_app: Flask, pg_client: FlaskClient, postgres_url: str) -> None:
    """The feed tells the writer of the other process's append: the state held is caught up
    before the next command to the project is decided on it."""
    project_id = register_nek(pg_client)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 1)
    other = create_app(make_settings(postgres_url))
    try:
        record_expense(other.test_client(), project_id, document_number="FV-OTHER")
    finally:
        other.extensions["grantledger"].close()
    eventually(lambda: cached_position(cache, project_id) is None)  # the append heard of
    decided_again = DECIDED_AGAIN._value.get()

    record_expense(pg_client, project_id, document_number="FV-MINE")

    view = application.project_state(UUID(project_id))
    assert DECIDED_AGAIN._value.get() == decided_again
    assert sorted(e.document_number for e in view.expenses.values()) == ["FV-MINE", "FV-OTHER"]


def test_the_copy_is_reloaded_after_its_connection_is_killed(
        pg_app: Flask, pg_client: FlaskClient, postgres_url: str) -> None:
    project_id = register_nek(pg_client)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 1)

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = 'LISTEN \"grantledger_views\"'"
        ).fetchall()
    eventually(lambda: not cache.live)
    during = get(pg_client, project_path(project_id, "views/budget"))
    eventually(lambda: cached_position(cache, project_id) == 1)

    assert killed == [(True,)]
    assert (during.status_code, during.get_json()["position"]) == (200, 1)


def test_the_projector_is_woken_by_an_append_rather_than_by_its_idle_timeout(
        pg_app: Flask, pg_client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projector_module, "LISTENING_IDLE_SLEEP", 600.0)
    application, _ = project_views(pg_app)
    stop = threading.Event()
    thread = threading.Thread(target=run_projector, args=(application, stop))
    thread.start()
    try:
        time.sleep(0.2)  # the projector finds an empty log and waits (up to 600 s)
        project_id = register_nek(pg_client)
        eventually(lambda: application.queries.projection_position(NAME) == 1)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert application.queries.stored_view(UUID(project_id), "budget") is not None


def fast_reads_of(app: Flask) -> FastViewReads:
    """The fast reads among the app's WSGI layers (inside the access log and the headers
    every answer carries)."""
    layer: Any = app.wsgi_app
    while not isinstance(layer, FastViewReads):
        layer = layer.app
    return layer


def test_a_poll_answered_before_flask_is_the_answer_flask_gives(
        pg_app: Flask, pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client)
    record_expense(pg_client, project_id)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 2)
    fast_reads = fast_reads_of(pg_app)
    passed_on = []
    flask_app = fast_reads.next_app
    fast_reads.next_app = lambda environ, start: passed_on.append(1) or flask_app(environ, start)
    path = project_path(project_id, "views/schedule")
    by_flask = f"{path}?on={prague_today(utc_now())}"  # a query string goes to Flask
    requests_counted = REQUESTS.labels("GET", f"{API}/projects/<uuid:project_id>/views/schedule",
                                       "200")
    counted_before = requests_counted._value.get()

    fast, slow = get(pg_client, path), get(pg_client, by_flask)
    etags = f'W/"other", {fast.headers["ETag"]}'
    fast_304 = get(pg_client, path, If_None_Match=etags)
    slow_304 = get(pg_client, by_flask, If_None_Match=etags)

    assert len(passed_on) == 2  # the two with a query string
    assert (fast.status_code, fast.data, fast.headers["ETag"], fast.content_type) == (
        slow.status_code, slow.data, slow.headers["ETag"], slow.content_type)
    assert [(r.headers["X-Content-Type-Options"], r.headers["Cache-Control"])
            for r in (fast, slow, fast_304)] == [("nosniff", "private, no-cache")] * 3
    assert fast.status_code == 200 and fast.get_json()["position"] == 2
    assert (fast_304.status_code, fast_304.data, fast_304.headers["ETag"]) == (
        slow_304.status_code, slow_304.data, slow_304.headers["ETag"])
    assert fast_304.status_code == 304
    assert requests_counted._value.get() == counted_before + 2


def test_polls_the_cache_cannot_answer_go_on_to_the_api(
        pg_app: Flask, pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 1)
    path = project_path(project_id, "views/budget")

    no_token = pg_client.get(path)
    unknown = get(pg_client, project_path(str(UUID(int=7)), "views/budget"))
    not_a_view = get(pg_client, project_path(project_id, "views/budgets"))

    assert (no_token.status_code, no_token.content_type) == (401, "application/problem+json")
    assert (unknown.status_code, unknown.content_type) == (404, "application/problem+json")
    assert not_a_view.status_code == 404


@pytest.fixture
def logged_pg_app(postgres_url: str) -> Iterator[Flask]:
    """The app on PostgreSQL with its access log on standard output."""
    app = create_app(make_settings(postgres_url, access_log="-"))
    yield app
    app.extensions["grantledger"].close()


def test_a_poll_answered_before_flask_is_logged_with_its_principal_and_request_id(
        logged_pg_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    pg_app, pg_client = logged_pg_app, logged_pg_app.test_client()
    project_id = register_nek(pg_client)
    application, cache = project_views(pg_app)
    Projector(application).catch_up()
    eventually(lambda: cached_position(cache, project_id) == 1)
    assert isinstance(pg_app.wsgi_app, RequestLog)  # the outermost layer: it logs them all
    fast_reads = fast_reads_of(pg_app)
    passed_on: list[int] = []
    flask_app = fast_reads.next_app
    fast_reads.next_app = lambda environ, start: passed_on.append(1) or flask_app(
        environ, start)
    capsys.readouterr()

    answer = get(pg_client, project_path(project_id, "views/budget"), X_Request_ID="poll-7")
    AccessLog.flush_all()

    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (answer.status_code, answer.headers["X-Request-ID"], passed_on) == (200, "poll-7", [])
    assert [(line["principal"], line["status"]) for line in logged
            if line["request_id"] == "poll-7"] == [("viewer", 200)]

"""Reads from a streaming replica (GRANTLEDGER_READ_DATABASE_URL): views, lists and history go
to the hot standby once it has replayed what the process knows is written, commands to the
primary; a lagging replica is waited for or passed over, never read stale; a stopped one sends
the reads to the primary. Two throwaway clusters: a primary and a `pg_basebackup -R` standby."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from api_builders import expense_body, get, nek_registration, post, project_path, register_nek
from flask import Flask
from flask.testing import FlaskClient
from pg_cluster import Cluster, free_port, replica_of, throwaway_cluster
from support import make_settings

from service.bootstrap import open_ledger
from service.reads.projector import Projector
from service.reads.replica import ReadReplica
from service.web.app import create_app

pytestmark = pytest.mark.postgres
# How long a read waits for the replica (its URL's connect_timeout): long enough that a
# read answered sooner after the replay resumed was answered by the replica, not the primary.
REPLICA_PATIENCE = 8


@dataclass
class Replicated:
    primary: Cluster
    replica: Cluster
    database: str
    primary_url: str
    replica_url: str

    def on_replica(self, statement: str) -> Any:
        with psycopg.connect(self.replica.url(self.database), autocommit=True) as conn:
            return conn.execute(statement).fetchone()


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary and its standby, made once for the module (a pair takes seconds); each test
    has a database of its own on them."""
    with throwaway_cluster() as primary, replica_of(primary) as replica:
        yield primary, replica


@pytest.fixture
def replicated(clusters: tuple[Cluster, Cluster],
               request: pytest.FixtureRequest) -> Iterator[Replicated]:
    primary, replica = clusters
    database = f"grantledger_{request.node.name[5:50]}"
    url = primary.create_database(database)
    open_ledger(make_settings(url)).close()  # migrated: the standby starts with the tables
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        migrated = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    made = Replicated(primary, replica, database, url,
                      f"{replica.url(database)}?connect_timeout={REPLICA_PATIENCE}")
    eventually(lambda: replayed(replica, migrated))
    yield made
    # As the next test expects it: running and replaying.
    if not replica.running():
        replica.start()
    made.on_replica("SELECT pg_wal_replay_resume()")


def replayed(replica: Cluster, lsn: str) -> bool:
    """Whether the standby has replayed the primary's WAL as far as `lsn`."""
    try:
        with psycopg.connect(replica.url(), autocommit=True) as conn:
            return bool(conn.execute("SELECT pg_is_in_recovery() AND "
                                     "pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                     [lsn]).fetchone()[0])
    except psycopg.OperationalError:
        return False


@pytest.fixture
def app(replicated: Replicated) -> Iterator[Flask]:
    made = create_app(make_settings(replicated.primary_url,
                                    read_database_url=replicated.replica_url,
                                    min_position_timeout=REPLICA_PATIENCE + 2))
    # The feed has connected, the replica is open.
    eventually(lambda: made.extensions["grantledger_views"].live
               and made.extensions["grantledger_replica"].replica is not None)
    yield made
    made.extensions["grantledger"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def eventually(condition: Callable[[], object], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the bound"
        time.sleep(0.02)


def reads_of(app: Flask) -> ReadReplica:
    replica: ReadReplica = app.extensions["grantledger_replica"]
    return replica


class ReadsCounted:
    """Counts the project folds each store serves (the reads of views and lists)."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts = {"primary": 0, "replica": 0}
        reads = reads_of(app)
        for name, application in (("primary", reads.primary), ("replica", reads.replica)):
            monkeypatch.setattr(application, "project_state", self._counted(
                name, application.project_state))

    def _counted(self, name: str, fold: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.counts[name] += 1
            return fold(*args, **kwargs)

        return counted


def record(client: FlaskClient, project_id: str, amount: str = "1000.00") -> int:
    answer = post(client, project_path(project_id, "expenses"),
                  expense_body("TRAVEL", amount), "accountant")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    position: int = answer.get_json()["position"]
    return position


def expense_amounts(client: FlaskClient, project_id: str) -> list[str]:
    answer = get(client, project_path(project_id, "expenses"))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return sorted(item["amount_net"] for item in answer.get_json()["expenses"])


def replica_position(replicated: Replicated) -> int:
    row = replicated.on_replica("SELECT max(notification_id) FROM ledgerapplication_events")
    return int(row[0] or 0)


def test_a_view_with_min_position_waits_for_the_replica_to_replay_it_then_reads_there(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(client)
    first = record(client, project_id, "1000.00")
    eventually(lambda: replica_position(replicated) >= first)
    replicated.on_replica("SELECT pg_wal_replay_pause()")
    position = record(client, project_id, "2000.00")
    counted = ReadsCounted(app, monkeypatch)
    answers: list[Any] = []

    def read() -> None:
        answers.append(get(client, project_path(project_id,
                                                f"views/budget?min_position={position}")))

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=1.5)
    waited = (reader.is_alive(), replica_position(replicated))
    replicated.on_replica("SELECT pg_wal_replay_resume()")
    resumed = time.monotonic()
    reader.join(timeout=REPLICA_PATIENCE + 5)
    answered_after = time.monotonic() - resumed

    assert waited == (True, first)  # held while the replica had not replayed the position
    assert answered_after < REPLICA_PATIENCE / 2  # by the replica's replay, not the timeout
    assert answers[0].status_code == 200
    travel = next(line for line in answers[0].get_json()["lines"] if line["code"] == "TRAVEL")
    assert travel["recorded"] == "3000.00"
    assert counted.counts == {"primary": 0, "replica": 1}


def test_a_client_reads_its_own_write_through_the_replica_without_min_position(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(client)
    counted = ReadsCounted(app, monkeypatch)
    for amount in ("1000.00", "2000.00", "3000.00"):
        record(client, project_id, amount)
        assert expense_amounts(client, project_id)[-1] == amount

    assert expense_amounts(client, project_id) == ["1000.00", "2000.00", "3000.00"]
    assert counted.counts == {"primary": 0, "replica": 4}


def test_another_workers_acknowledged_write_is_waited_for_on_the_replica(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    writer = create_app(make_settings(replicated.primary_url))  # another worker, no replica
    try:
        project_id = register_nek(writer.test_client())
        eventually(lambda: replica_position(replicated) == 1)
        replicated.on_replica("SELECT pg_wal_replay_pause()")
        position = record(writer.test_client(), project_id, "2000.00")
    finally:
        writer.extensions["grantledger"].close()
    eventually(lambda: reads_of(app).feed.heard >= position)  # its notification is in
    counted = ReadsCounted(app, monkeypatch)
    answers: list[list[str]] = []
    reader = threading.Thread(target=lambda: answers.append(expense_amounts(client, project_id)))
    reader.start()
    reader.join(timeout=1.5)
    held = reader.is_alive()
    replicated.on_replica("SELECT pg_wal_replay_resume()")
    reader.join(timeout=REPLICA_PATIENCE + 5)

    assert held  # the replica had not replayed the write this worker had heard of
    assert answers == [["2000.00"]]
    assert counted.counts == {"primary": 0, "replica": 1}


def test_a_paused_replica_is_passed_over_never_read_stale(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(client)
    record(client, project_id, "1000.00")
    replicated.on_replica("SELECT pg_wal_replay_pause()")
    record(client, project_id, "2000.00")
    counted = ReadsCounted(app, monkeypatch)
    started = time.monotonic()
    amounts = expense_amounts(client, project_id)
    took = time.monotonic() - started

    assert amounts == ["1000.00", "2000.00"]
    assert counted.counts == {"primary": 1, "replica": 0}
    assert REPLICA_PATIENCE - 0.5 <= took < REPLICA_PATIENCE + 3  # waited, then the primary


def test_commands_and_their_idempotency_records_go_to_the_primary(
        replicated: Replicated, app: Flask, client: FlaskClient) -> None:
    project_id = register_nek(client)
    replicated.on_replica("SELECT pg_wal_replay_pause()")
    path, body = project_path(project_id, "expenses"), expense_body("TRAVEL", "500.00")
    first = post(client, path, body, "accountant", Idempotency_Key="replica-1")
    again = post(client, path, body, "accountant", Idempotency_Key="replica-1")
    with psycopg.connect(replicated.primary_url) as conn:
        on_primary = conn.execute("SELECT count(*) FROM ledgerapplication_events").fetchone()

    assert (first.status_code, again.status_code) == (201, 201)
    assert (again.headers.get("Idempotent-Replayed"), again.json) == ("true", first.json)
    assert on_primary == (2,)
    assert replica_position(replicated) == 1  # the standby had not replayed the expense
    assert reads_of(app).replica.writer.last_written == 0  # nothing written through it


def test_health_and_metrics_tell_the_replicas_lag(
        replicated: Replicated, app: Flask, client: FlaskClient) -> None:
    project_id = register_nek(client)
    eventually(lambda: replica_position(replicated) == 1)
    replicated.on_replica("SELECT pg_wal_replay_pause()")
    record(client, project_id)
    record(client, project_id)
    ready = client.get("/health/ready").get_json()
    metrics = client.get("/metrics").get_data(as_text=True)

    assert (ready["checks"]["read_replica"], ready["checks"]["read_replica_lag"]) == ("ok", 2)
    assert "\ngrantledger_read_replica_lag_events 2.0\n" in metrics


def test_a_stopped_replica_sends_the_reads_to_the_primary_and_readiness_says_so(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(client)
    record(client, project_id, "1000.00")
    replicated.replica.stop()
    record(client, project_id, "2000.00")
    counted = ReadsCounted(app, monkeypatch)
    started = time.monotonic()
    amounts = [expense_amounts(client, project_id) for _ in range(3)]
    took, counts = time.monotonic() - started, dict(counted.counts)
    Projector(reads_of(app).primary).catch_up()  # the views current: ready on that count
    ready = client.get("/health/ready")
    metrics = client.get("/metrics").get_data(as_text=True)

    assert amounts == [["1000.00", "2000.00"]] * 3
    assert counts == {"primary": 3, "replica": 0}
    assert took < 2  # a refused connection is known at once, not waited for
    assert (ready.status_code, ready.get_json()["status"],
            ready.get_json()["checks"]["read_replica"]) == (200, "ok", "unavailable")
    assert "grantledger_read_replica_lag_events" not in metrics


def test_a_read_the_replica_fails_is_read_again_from_the_primary(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(client)
    record(client, project_id, "1000.00")
    assert expense_amounts(client, project_id) == ["1000.00"]  # the replica is known past it
    replicated.replica.stop()
    counted = ReadsCounted(app, monkeypatch)
    answer = get(client, project_path(project_id, "expenses"))
    again = get(client, project_path(project_id, "expenses"))
    counts = dict(counted.counts)
    replicated.replica.start()
    back = time.monotonic()
    eventually(lambda: expense_amounts(client, project_id) == ["1000.00"]
               and counted.counts["replica"] == 2)

    assert (answer.status_code, again.status_code) == (200, 200)
    assert [item["amount_net"] for item in answer.get_json()["expenses"]] == ["1000.00"]
    assert counts == {"primary": 2, "replica": 1}  # then passed over, not tried
    assert time.monotonic() - back < 5  # read there again soon after it is back


def test_a_table_the_replica_lacks_is_read_from_the_primary_instead_of_a_server_error(
        replicated: Replicated, app: Flask, client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project_id = register_nek(client)
    record(client, project_id, "1000.00")
    counted = ReadsCounted(app, monkeypatch)
    replica = reads_of(app).replica

    def not_migrated_yet(*args: Any, **kwargs: Any) -> Any:
        raise psycopg.errors.UndefinedColumn('column "new_column" does not exist')

    monkeypatch.setattr(replica.queries, "latest_checkpoint", not_migrated_yet)
    answer = get(client, project_path(project_id, "expenses"))

    assert answer.status_code == 200
    assert [item["amount_net"] for item in answer.get_json()["expenses"]] == ["1000.00"]
    assert counted.counts == {"primary": 1, "replica": 1}


def test_a_replica_down_as_the_process_starts_holds_nothing_up_and_is_read_once_it_is_back(
        replicated: Replicated) -> None:
    replicated.replica.stop()
    started = time.monotonic()
    app = create_app(make_settings(replicated.primary_url,
                                   read_database_url=replicated.replica_url))
    try:
        took = time.monotonic() - started
        client = app.test_client()
        project_id = register_nek(client)
        record(client, project_id, "1000.00")
        down = expense_amounts(client, project_id)
        replicated.replica.start()
        eventually(lambda: reads_of(app).replica is not None)
        eventually(lambda: replica_position(replicated) == 2)
        with pytest.MonkeyPatch.context() as monkeypatch:
            counted = ReadsCounted(app, monkeypatch)
            back = expense_amounts(client, project_id)
    finally:
        app.extensions["grantledger"].close()

    assert took < 3  # not the replica's connect timeout, nor the pool's
    assert down == back == ["1000.00"]
    assert counted.counts == {"primary": 0, "replica": 1}


SERVE_TOKEN = "replica-test-admin-token-0123456789"


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{base}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {SERVE_TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, None


def test_served_workers_read_the_replica_and_fall_back_when_it_stops(
        replicated: Replicated, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": replicated.primary_url,
           "GRANTLEDGER_READ_DATABASE_URL": replicated.replica_url.replace(
               "postgres@", "postgres:s3cret@"),  # trust ignores it; the log must mask it
           "GRANTLEDGER_TOKENS": f"tester:admin:{SERVE_TOKEN}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: call(base, "GET", "/health/ready")[1] is not None
                   and call(base, "GET", "/health/ready")[1]["checks"].get("read_replica")
                   == "ok", 60)
        status, registered = call(base, "POST", "/api/v1/projects", nek_registration())
        project = f"/api/v1/projects/{registered['id']}"
        _, recorded = call(base, "POST", f"{project}/expenses", expense_body("TRAVEL", "700.00"))
        views = [call(base, "GET", f"{project}/views/budget?min_position={recorded['position']}")
                 for _ in range(4)]  # either worker: the replica has the write, or it waits
        ready_up = call(base, "GET", "/health/ready")[1]
        replicated.replica.stop()
        after = [call(base, "GET", f"{project}/expenses") for _ in range(4)]
        ready_down = call(base, "GET", "/health/ready")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    text = log.read_text()

    assert status == 201
    assert [code for code, _ in views] == [200] * 4
    assert {view["totals"]["recorded"] for _, view in views} == {"700.00"}
    assert (ready_up["checks"]["read_replica"], ready_up["checks"]["read_replica_lag"]) == (
        "ok", 0)
    assert [(code, [e["amount_net"] for e in body["expenses"]]) for code, body in after] == [
        (200, ["700.00"])] * 4
    assert (ready_down[0], ready_down[1]["checks"]["read_replica"]) == (200, "unavailable")
    assert (f"reads from the replica postgresql://postgres:***@127.0.0.1:"
            f"{replicated.replica.port}/{replicated.database}") in text
    assert "s3cret" not in text

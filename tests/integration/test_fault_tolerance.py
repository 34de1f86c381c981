"""Nothing acknowledged is lost, nothing stored is denied: `grantledger serve` with 3 workers
on a PostgreSQL cluster of the test's own, 8 clients posting 25 expenses each with keys and
careful retries, while a worker is killed, the projector is killed and PostgreSQL restarts."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from api_builders import expense_body, nek_registration
from pg_cluster import Cluster, free_port, throwaway_cluster
from support import projector_pid, web_workers

pytestmark = pytest.mark.postgres
TOKEN = "fault-test-admin-token-0123456789"
CLIENTS, EXPENSES = 8, 25


@dataclass
class Client:
    """One accountant's client: posts its expenses, retrying each with the same key and body
    on connection errors, 5xx and 409-in-flight, honouring Retry-After."""

    base: str
    project: str
    number: int
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    connection_errors: int = 0
    retries: int = 0
    successes: list[float] = field(default_factory=list)
    failure: str | None = None

    def amount(self, n: int) -> Decimal:
        return Decimal(1000 + self.number * EXPENSES + n)

    def run(self) -> None:
        for n in range(EXPENSES):
            body = expense_body(document_number=f"F-{self.number}-{n}",
                                amount_net=f"{self.amount(n)}.00")
            answer = self._post_until_answered(body, f"client-{self.number}-{n}")
            if answer is None:
                return
            self.answers[n] = answer

    def _post_until_answered(self, body: dict[str, Any], key: str) -> dict[str, Any] | None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, answer, retry_after = self._post(body, key)
            if status == 201:
                self.successes.append(time.monotonic())
                return answer
            if status and status < 500 and not _in_flight(status, answer):
                self.failure = f"{status} {answer}"
                return None
            self.retries += 1
            time.sleep(retry_after)
        self.failure = "no answer within 60 s"
        return None

    def _post(self, body: dict[str, Any], key: str) -> tuple[int | None, Any, float]:
        request = urllib.request.Request(
            f"{self.base}/api/v1/projects/{self.project}/expenses",
            data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                     "Idempotency-Key": key})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                self.statuses.append(response.status)
                return response.status, json.loads(response.read()), 0.0
        except urllib.error.HTTPError as error:
            self.statuses.append(error.code)
            retry_after = float(error.headers.get("Retry-After") or 0.2)
            return error.code, json.loads(error.read() or b"{}"), retry_after
        except (OSError, ValueError, http.client.HTTPException):  # reset, refused, timed
            self.connection_errors += 1                         # out, cut off mid-answer
            return None, None, 0.2


def _in_flight(status: int, answer: Any) -> bool:
    return status == 409 and answer.get("type", "").endswith("idempotency-key-in-flight")


@dataclass
class Serving:
    base: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path
    database_url: str


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as made:
        yield made


@pytest.fixture
def serving(cluster: Cluster, tmp_path: Path) -> Iterator[Serving]:
    url = cluster.create_database("grantledger")
    port = free_port()
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": url,
           "GRANTLEDGER_TOKENS": f"tester:admin:{TOKEN}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers",
             "3"], env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
        serving = Serving(f"http://127.0.0.1:{port}", process, env, log, url)
        try:
            wait_for(lambda: call(serving, "GET", "/health/ready")[0] == 200, 30, log)
            yield serving
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def call(serving: Serving, method: str, path: str,
         body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{serving.base}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, None


def wait_for(check: Any, seconds: float, log: Path | None = None) -> float:
    """Waits until `check()` holds; answers how long that took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds} s: {check}"
                        + (f"\n{log.read_text()[-3000:]}" if log else ""))
        time.sleep(0.05)
    return time.monotonic() - started


def stored_views(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT project_id, view, position, on_date, body "
                            "FROM grantledger_views ORDER BY project_id, view").fetchall()


def test_every_acknowledged_expense_survives_a_killed_worker_projector_and_database_restart(
        serving: Serving, cluster: Cluster) -> None:
    started = time.monotonic()
    status, created = call(serving, "POST", "/api/v1/projects", nek_registration())
    assert status == 201
    project = created["id"]
    clients = [Client(serving.base, project, n) for n in range(CLIENTS)]
    threads = [threading.Thread(target=client.run) for client in clients]
    for thread in threads:
        thread.start()

    def done() -> int:
        return sum(len(client.answers) for client in clients)

    faults: dict[str, float] = {}
    wait_for(lambda: done() >= 40, 60)
    os.kill(web_workers(serving.process)[0], signal.SIGKILL)
    faults["worker killed"] = time.monotonic()
    wait_for(lambda: done() >= 80, 60)
    killed_projector = projector_pid(serving.process.pid)
    assert killed_projector is not None
    os.kill(killed_projector, signal.SIGKILL)
    faults["projector killed"] = time.monotonic()
    wait_for(lambda: done() >= 120, 60)
    cluster.restart("fast")
    faults["PostgreSQL restarted"] = time.monotonic()  # accepting connections again
    for thread in threads:
        thread.join(timeout=90)
    load_seconds = time.monotonic() - started

    ready_after = wait_for(lambda: (lambda answer: answer[0] == 200 and answer[1]["checks"][
        "projection_lag"] == 0)(call(serving, "GET", "/health/ready")), 60, serving.log)
    statuses = [s for client in clients for s in client.statuses]
    ids = {answer["expense_id"] for client in clients for answer in client.answers.values()}
    _, listed = call(serving, "GET", f"/api/v1/projects/{project}/expenses?limit=1000")
    _, budget = call(serving, "GET", f"/api/v1/projects/{project}/views/budget")
    _, chain = call(serving, "GET", f"/api/v1/projects/{project}/verification")
    views_before = stored_views(serving.database_url)
    subprocess.run([sys.executable, "-m", "service.cli", "projections", "rebuild"],
                   env=serving.env, check=True, capture_output=True, timeout=120)
    views_after = stored_views(serving.database_url)
    _report(clients, statuses, faults, load_seconds, ready_after)

    assert [client.failure for client in clients] == [None] * CLIENTS
    assert [len(client.answers) for client in clients] == [EXPENSES] * CLIENTS
    assert len(ids) == CLIENTS * EXPENSES
    assert {e["expense_id"] for e in listed["expenses"]} == ids
    assert {s for s in statuses if s >= 500} <= {503}
    assert Decimal(budget["totals"]["recorded"]) == sum(
        (client.amount(n) for client in clients for n in range(EXPENSES)), Decimal(0))
    assert (chain["valid"], chain["events"]) == (True, 1 + CLIENTS * EXPENSES)
    assert projector_pid(serving.process.pid) not in (None, killed_projector)
    assert views_after == views_before
    assert time.monotonic() - started < 120


def _report(clients: list[Client], statuses: list[int], faults: dict[str, float],
            load_seconds: float, ready_after: float) -> None:
    """The figures of the run (pytest -s shows them)."""
    successes = sorted(t for client in clients for t in client.successes)
    recovery = {name: round(next((t for t in successes if t > at), at) - at, 2)
                for name, at in faults.items()}
    print(f"\nfault test: {len(statuses)} answered requests, "
          f"{sum(c.connection_errors for c in clients)} connection errors, "
          f"{sum(c.retries for c in clients)} retries, {statuses.count(503)} × 503, "
          f"{sum(1 for s in statuses if s >= 500 and s != 503)} other 5xx; load "
          f"{load_seconds:.1f} s; next 201 after each fault (s): {recovery}; views current "
          f"{ready_after:.1f} s after the load")

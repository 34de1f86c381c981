"""`grantledger serve` as a user starts it: gunicorn, real sockets, the default SQLite store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import free_port, projector_pid

TOKEN = "serve-test-admin-token-0123456789"


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def grantledger(*args: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", *args]


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Served]:
    """`grantledger serve` with 2 workers and its projector, on a SQLite file in the cwd."""
    port = free_port()
    env = {**os.environ, "GRANTLEDGER_TOKENS": f"tester:admin:{TOKEN}"}
    env.pop("GRANTLEDGER_DATABASE_URL", None)  # the default: a SQLite file in the cwd
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(grantledger("serve", "--port", str(port), "--workers", "2"),
                                   cwd=tmp_path, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            _wait_until_ready(base, process, log)
            yield Served(base, process, log)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert (tmp_path / "grantledger.db").exists()


@pytest.fixture
def served(serving: Served) -> str:
    return serving.base


def _wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"grantledger serve exited with {process.returncode}:\n"
                        f"{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("grantledger serve did not become ready within 30 s")


def test_served_service_records_an_expense_and_shows_it_in_the_budget_view(served: str) -> None:
    from api_builders import expense_body, nek_registration

    status, created = call(f"{served}/api/v1/projects", nek_registration())
    assert status == 201
    project = f"{served}/api/v1/projects/{created['id']}"
    status, recorded = call(f"{project}/expenses",
                            expense_body(budget_line="TRAVEL", amount_net="121000.50"))
    assert (status, recorded["time_eligible"]) == (201, True)

    status, view = call(f"{project}/views/budget")

    travel = next(line for line in view["lines"] if line["code"] == "TRAVEL")
    assert (status, travel["recorded"], view["position"]) == (200, "121000.50",
                                                              recorded["position"])


def test_serve_without_tokens_refuses_to_start_unless_dev(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GRANTLEDGER_TOKENS"}

    result = subprocess.run(grantledger("serve", "--port", str(free_port())), cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=30)

    assert result.returncode == 2
    assert "--dev" in result.stderr


def test_served_metrics_sum_the_workers_and_the_projector_keeps_up(served: str) -> None:
    from api_builders import expense_body, nek_registration
    from prometheus_client.parser import text_string_to_metric_families

    _, created = call(f"{served}/api/v1/projects", nek_registration())
    for n in range(6):
        call(f"{served}/api/v1/projects/{created['id']}/expenses",
             expense_body(document_number=f"M-{n}"))
    deadline = time.monotonic() + 10
    while call(f"{served}/health/ready")[1]["checks"]["projection_lag"] and (
            time.monotonic() < deadline):
        time.sleep(0.05)

    with urllib.request.urlopen(f"{served}/metrics", timeout=10) as response:
        text = response.read().decode()

    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(text) for s in family.samples}
    posted = ("grantledger_http_requests_total", (
        ("endpoint", "/api/v1/projects/<uuid:project_id>/expenses"), ("method", "POST"),
        ("status", "201")))
    assert found[posted] == 6
    assert found[("grantledger_projection_lag_events", ())] == 0
    assert found[("grantledger_projection_position", ())] == 7


def metric(base: str, name: str) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    return next((s.value for family in text_string_to_metric_families(text)
                 for s in family.samples if s.name == name), None)


def eventually(check: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"not within {timeout} s: {check}")


def test_a_killed_projector_is_started_again_logged_counted_and_keeps_the_views_moving(
        serving: Served) -> None:
    from api_builders import nek_registration

    killed = eventually(lambda: projector_pid(serving.process.pid))
    os.kill(killed, signal.SIGKILL)
    restarted = eventually(lambda: (projector_pid(serving.process.pid) or killed) != killed
                           and projector_pid(serving.process.pid))
    status, created = call(f"{serving.base}/api/v1/projects", nek_registration())
    ready = eventually(lambda: (lambda answer: answer[0] == 200 and answer[1]["checks"][
        "projection_lag"] == 0 and answer)(call(f"{serving.base}/health/ready")))

    assert restarted != killed
    assert (status, ready[1]["checks"]["position"]) == (201, created["position"])
    assert "the projector exited with signal 9 (SIGKILL); starting it again in 1 s" in (
        serving.log.read_text())
    assert metric(serving.base, "grantledger_projector_restarts_total") == 1
    assert 0 <= metric(serving.base, "grantledger_projector_heartbeat_age_seconds") < 5


def test_sigterm_stops_serve_gracefully_with_one_line_and_status_0(serving: Served) -> None:
    projector = eventually(lambda: projector_pid(serving.process.pid))
    eventually(lambda: call(f"{serving.base}/health/ready")[1]["checks"][
        "projector_heartbeat_age_seconds"] is not None)  # the projector runs

    serving.process.send_signal(signal.SIGTERM)

    assert serving.process.wait(timeout=30) == 0
    log = serving.log.read_text()
    assert "projector stopped at position 0" in log
    assert "grantledger serve stopped (gunicorn exited with status 0)" in log
    assert not Path(f"/proc/{projector}").exists()

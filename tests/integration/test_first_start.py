"""A first start on an empty PostgreSQL database: the web service, the projector and the demo
loader started at the same moment all come up (they used to race to create the tables, and
one died with `UniqueViolation … pg_type_typname_nsp_index`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support import POSTGRES_ADMIN_URL, free_port

pytestmark = pytest.mark.postgres
# Each attempt is a race of three processes (4 s); the migrations' lock that settles it is
# also raced in-process, eight at once (test_migrate.py).
ATTEMPTS = 4
TOKENS = "tester:admin:first-start-test-token-0123456789"


@contextmanager
def fresh_database(postgres_server: str) -> Iterator[str]:
    """An empty database of its own, dropped afterwards."""
    import psycopg

    name = f"grantledger_first_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{postgres_server.rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start(name: str, args: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen[str]:
    with (logs / f"{name}.log").open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env,
                                cwd=logs, stdout=log, stderr=subprocess.STDOUT, text=True)


def live(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def start_all_three(url: str, logs: Path) -> tuple[int | None, bool, int | None, int | None]:
    """Starts serve, projector and demo at once; answers demo's exit status, whether the web
    service answered, and the exit statuses of serve and projector after SIGTERM."""
    port = free_port()
    env = {**os.environ, "GRANTLEDGER_DATABASE_URL": url, "GRANTLEDGER_TOKENS": TOKENS,
           "GRANTLEDGER_START_PROJECTOR": "n"}
    processes = {
        "serve": start("serve", ["serve", "--port", str(port), "--workers", "1"], env, logs),
        "projector": start("projector", ["projector"], env, logs),
        "demo": start("demo", ["demo"], env, logs),
    }
    try:
        demo = processes["demo"].wait(timeout=60)
        answered = live(port, time.monotonic() + 30)
        # Still running, both: neither died at start.
        running = [processes[name].poll() is None for name in ("serve", "projector")]
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        stopped = {name: process.wait(timeout=30) for name, process in processes.items()}
    return (demo, answered and all(running), stopped["serve"], stopped["projector"])


def test_web_projector_and_demo_started_at_once_on_a_fresh_database_all_come_up(
        postgres_server: str, tmp_path: Path) -> None:
    outcomes, failures = [], []
    for attempt in range(ATTEMPTS):
        logs = tmp_path / f"attempt-{attempt}"
        logs.mkdir()
        with fresh_database(postgres_server) as url:
            outcomes.append(start_all_three(url, logs))
        failures += [f"{log.name}: {line}" for log in sorted(logs.glob("*.log"))
                     for line in log.read_text().splitlines()
                     if "Traceback" in line or "Error" in line]

    assert (outcomes, failures) == ([(0, True, 0, 0)] * ATTEMPTS, [])

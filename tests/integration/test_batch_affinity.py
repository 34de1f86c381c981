"""Batch affinity under gunicorn: `grantledger serve` with two workers on PostgreSQL decides
each project's batches in one worker (its home), whichever worker a connection reached; with
the home killed mid-load, every batch is still recorded exactly once by clients that retry
with their Idempotency-Key."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from support import serving, web_workers

from domain.project import project_id_for

ADMIN = "affinity-test-admin-token-0123456789"
NUMBER = "CZ.01.1.02/0.0/0.0/16_000/0000001"  # examples/register-project.json
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BATCHES = 24
ITEMS = 3
RESET = 0


def send(url: str, body: Any = None, key: str | None = None) -> tuple[int, bytes]:
    """Status and body of a request on a connection of its own (so the workers share them)."""
    headers = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json",
               "Connection": "close"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:  # the connection reset: it reached the killed worker
        return RESET, b""


def batch(number: int) -> dict[str, Any]:
    expense = json.loads((EXAMPLES / "expense.json").read_text())
    return {"expenses": [{**expense, "document_number": f"AFF-{number:03d}-{item}"}
                         for item in range(ITEMS)]}


def metric(base: str, name: str) -> float:
    status, text = send(f"{base}/metrics")
    assert status == 200
    found = re.search(rf"^{name} (\S+)$", text.decode(), re.M)
    return float(found[1]) if found else 0.0


def recorded_documents(project: str) -> list[str]:
    status, content = send(f"{project}/expenses?format=csv")
    assert status == 200
    return sorted(row["document_number"] for row in csv.DictReader(io.StringIO(
        content.decode("utf-8-sig"))))


@pytest.fixture
def served(tmp_path: Path, postgres_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with serving(tmp_path, 2, GRANTLEDGER_DATABASE_URL=postgres_url,
                 GRANTLEDGER_ACCESS_LOG="off", GRANTLEDGER_TOKENS=f"ops:admin:{ADMIN}",
                 GRANTLEDGER_BATCH_AFFINITY="y") as running:
        yield running


def _worker_in_slot(serve: subprocess.Popen[bytes], slot: int) -> int | None:
    """The worker holding the slot's lock file open."""
    for worker in web_workers(serve):
        for descriptor in Path(f"/proc/{worker}/fd").iterdir():
            try:
                if os.readlink(descriptor).endswith(f"/slot-{slot}.lock"):
                    return worker
            except OSError:
                continue
    return None


def register(base: str) -> str:
    registration = json.loads((EXAMPLES / "register-project.json").read_text())
    assert send(f"{base}/api/v1/projects", registration)[0] == 201
    return f"{base}/api/v1/projects/{project_id_for(NUMBER)}"


@pytest.mark.postgres
def test_every_batch_to_a_project_is_decided_in_its_home_worker(
        served: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, _ = served
    project = register(base)

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: send(f"{project}/expenses/batch", batch(n),
                                                key=f"aff-{n}")[0], range(BATCHES)))

    assert statuses == [201] * BATCHES
    assert recorded_documents(project) == sorted(
        f"AFF-{n:03d}-{item}" for n in range(BATCHES) for item in range(ITEMS))
    # The connections were spread over both workers; no batch was decided on a state another
    # process had moved on from, nor in turn with it.
    assert 0 < metric(base, "grantledger_batches_handed_off_total") < BATCHES
    assert [metric(base, f"grantledger_{name}_total") for name in (
        "writes_in_turn", "writes_decided_again", "conflicts_retried")] == [0.0, 0.0, 0.0]


@pytest.mark.postgres
def test_batches_sent_while_their_home_worker_is_killed_are_each_recorded_once(
        served: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, serve = served
    project = register(base)
    home = int(project_id_for(NUMBER)) % 2
    answers: dict[int, list[int]] = {}

    def post_until_answered(number: int) -> None:
        tries = answers.setdefault(number, [])
        while not tries or tries[-1] in (503, RESET):
            status, _ = send(f"{project}/expenses/batch", batch(number), key=f"kill-{number}")
            tries.append(status)
            if status != 201:
                time.sleep(0.2)

    victim = _worker_in_slot(serve, home)
    assert victim is not None
    posting = [threading.Thread(target=post_until_answered, args=(n,)) for n in range(BATCHES)]
    for number, thread in enumerate(posting):
        thread.start()
        if number == BATCHES // 3:
            os.kill(victim, signal.SIGKILL)
    for thread in posting:
        thread.join(120)

    # Each batch ends 201 (a retry of one recorded by an earlier try is answered that try's
    # answer, by its key): recorded once, none lost.
    assert {status for tries in answers.values() for status in tries} <= {201, 503, RESET}
    assert any(len(tries) > 1 for tries in answers.values())  # the kill cut some short
    assert [tries[-1] for _, tries in sorted(answers.items())] == [201] * BATCHES
    assert recorded_documents(project) == sorted(
        f"AFF-{n:03d}-{item}" for n in range(BATCHES) for item in range(ITEMS))
    deadline = time.monotonic() + 30  # gunicorn's new worker takes the free slot
    while _worker_in_slot(serve, home) in (victim, None) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _worker_in_slot(serve, home) not in (victim, None)

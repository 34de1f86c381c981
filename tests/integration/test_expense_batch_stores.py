"""The batch endpoint on each store: all or nothing in one transaction, and nothing lost when
single expenses are posted to the same project at the same time (two app instances on
PostgreSQL, as two gunicorn workers would be)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_builders import event_count, expense_body, nek_registration, post, project_path
from flask import Flask
from support import auth, make_settings

from service.web.app import create_app

STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def apps(request: pytest.FixtureRequest) -> Iterator[list[Flask]]:
    """One app on SQLite (one process: its threads share it); two on PostgreSQL."""
    if request.param == "sqlite":
        instances = [create_app(make_settings(request.getfixturevalue("sqlite_url")))]
    else:
        url = request.getfixturevalue("postgres_url")
        instances = [create_app(make_settings(url)) for _ in range(2)]
    yield instances
    for app in instances:
        app.extensions["grantledger"].close()


def register(app: Flask) -> str:
    response = post(app.test_client(), "/api/v1/projects", nek_registration(), "manager")
    assert response.status_code == 201
    return str(response.json["id"])


def batch_of(prefix: str, count: int, **overrides: Any) -> dict[str, Any]:
    return {"expenses": [expense_body(document_number=f"{prefix}-{n}", amount_net="10.00",
                                      **overrides) for n in range(count)]}


def test_a_refusal_of_item_999_records_none_of_the_1000_and_the_fixed_batch_all(
        apps: list[Flask]) -> None:
    client = apps[0].test_client()
    project_id = register(apps[0])
    path = project_path(project_id, "expenses/batch")
    body = batch_of("F", 1000)
    refused = {"expenses": [*body["expenses"][:999],
                            {**body["expenses"][999], "budget_line": "CATERING"}]}

    refusal = post(client, path, refused, "accountant")
    events_after_refusal = event_count(client, project_id)
    recorded = post(client, path, body, "accountant")

    assert (refusal.status_code, refusal.json["errors"]) == (422, {"999": {"budget_line": [
        "the project has no budget line 'CATERING' (it has: PERSONNEL, EXTERNAL_SERVICES, "
        "TRAVEL, MARKETING_PROMOTION, SEMINARS_CONFERENCES, RENT)"]}})
    assert events_after_refusal == 1
    positions = [e["position"] for e in recorded.json["expenses"]]
    assert (recorded.status_code, event_count(client, project_id)) == (201, 1001)
    assert positions == list(range(positions[0], positions[0] + 1000))  # one append


def test_a_batch_posted_while_single_expenses_arrive_loses_nothing(apps: list[Flask]) -> None:
    project_id = register(apps[0])

    def singles(thread: int) -> list[int]:
        client = apps[thread % len(apps)].test_client()
        return [post(client, project_path(project_id, "expenses"),
                     expense_body(document_number=f"S{thread}-{n}", amount_net="10.00"),
                     "accountant").status_code for n in range(20)]

    def batches(thread: int) -> list[int]:
        client = apps[thread % len(apps)].test_client()
        return [post(client, project_path(project_id, "expenses/batch"),
                     batch_of(f"B{thread}-{n}", 100), "accountant").status_code
                for n in range(2)]

    with ThreadPoolExecutor(6) as pool:
        single_runs = [pool.submit(singles, thread) for thread in range(4)]
        batch_runs = [pool.submit(batches, thread) for thread in range(2)]
        statuses = ([s for run in single_runs for s in run.result()],
                    [s for run in batch_runs for s in run.result()])

    client = apps[0].test_client()
    numbers = sorted(e["document_number"] for e in client.get(
        project_path(project_id, "expenses?limit=1000"),
        headers=auth("viewer")).json["expenses"])
    assert statuses == ([201] * 80, [201] * 4)
    assert numbers == sorted([f"S{t}-{n}" for t in range(4) for n in range(20)]
                             + [f"B{t}-{b}-{n}" for t in range(2) for b in range(2)
                                for n in range(100)])

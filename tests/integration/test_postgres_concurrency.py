"""Concurrent accountants on one project, on PostgreSQL: nothing lost, nothing doubled."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from support import auth, make_settings

from service.web.app import create_app

THREADS, EACH = 8, 25


@pytest.fixture
def two_workers(postgres_url: str) -> Iterator[list[Flask]]:
    """Two app instances on one database, as two gunicorn workers would be."""
    apps = [create_app(make_settings(postgres_url)) for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["grantledger"].close()


def test_eight_threads_posting_25_expenses_each_record_all_200_exactly_once(
        two_workers: list[Flask]) -> None:
    from api_builders import expense_body, nek_registration

    first = two_workers[0].test_client()
    project_id = first.post("/api/v1/projects", json=nek_registration(),
                            headers=auth("manager")).json["id"]

    def post_expenses(thread: int) -> list[int]:
        client = two_workers[thread % 2].test_client()
        return [client.post(f"/api/v1/projects/{project_id}/expenses", headers=auth("accountant"),
                            json=expense_body(document_number=f"T{thread}-{n}",
                                              amount_net="10.00")).status_code
                for n in range(EACH)]

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [s for batch in pool.map(post_expenses, range(THREADS)) for s in batch]

    listed = first.get(f"/api/v1/projects/{project_id}/expenses?limit=1000",
                       headers=auth("viewer")).json["expenses"]
    numbers = sorted(e["document_number"] for e in listed)
    assert statuses == [201] * THREADS * EACH
    assert numbers == sorted(f"T{t}-{n}" for t in range(THREADS) for n in range(EACH))


def test_concurrent_posts_of_the_same_document_record_it_once(
        two_workers: list[Flask]) -> None:
    from api_builders import expense_body, nek_registration

    first = two_workers[0].test_client()
    project_id = first.post("/api/v1/projects", json=nek_registration(),
                            headers=auth("manager")).json["id"]

    def post(n: int) -> int:
        client = two_workers[n % 2].test_client()
        number = "SAME-1" if n < 4 else f"OTHER-{n}"
        return client.post(f"/api/v1/projects/{project_id}/expenses", headers=auth("accountant"),
                           json=expense_body(document_number=number)).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = sorted(pool.map(post, range(THREADS)))

    assert statuses == [201] * 5 + [409] * 3

"""The history: a project's events and every event in global order, paged."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from api_builders import (
    OTHER_NUMBER,
    command,
    get,
    project_path,
    record_expense,
    register_nek,
)
from flask.testing import FlaskClient

Frozen = Callable[[str], AbstractContextManager[None]]


def test_a_projects_events_are_listed_in_order_with_who_recorded_them_and_when(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2018-01-10 09:00:00"):
        project_id = register_nek(client)
        expense_id = record_expense(client, project_id, "TRAVEL", "100000.00", paid_on=None)
        command(client, project_id, f"expenses/{expense_id}/payment", {"paid_on": "2016-07-01"},
                "accountant")

    response = get(client, project_path(project_id, "events"), "auditor")

    body = response.get_json()
    assert (response.status_code, body["next_cursor"]) == (200, None)
    assert [(e["position"], e["version"], e["type"], e["project_id"], e["recorded_at"],
             e["recorded_by"]) for e in body["events"]] == [
        (1, 1, "ProjectRegistered", project_id, "2018-01-10T09:00:00Z",
         {"name": "manager", "role": "manager", "subject": "manager"}),
        (2, 2, "ExpenseRecorded", project_id, "2018-01-10T09:00:00Z",
         {"name": "accountant", "role": "accountant", "subject": "accountant"}),
        (3, 3, "ExpensePaid", project_id, "2018-01-10T09:00:00Z",
         {"name": "accountant", "role": "accountant", "subject": "accountant"})]
    assert body["events"][2]["data"] == {"expense_id": expense_id, "paid_on": "2016-07-01"}


def test_each_event_carries_the_hash_of_the_one_before_it(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    events = get(client, project_path(nek, "events"), "auditor").get_json()["events"]

    assert [e["previous_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]


def test_a_projects_events_are_paged_by_cursor_and_limit(
        client: FlaskClient, nek: str) -> None:
    for amount in ("1000.00", "2000.00"):
        record_expense(client, nek, "TRAVEL", amount)
    first_page = get(client, project_path(nek, "events?limit=2"), "auditor").get_json()

    last_page = get(client, project_path(
        nek, f"events?limit=2&cursor={first_page['next_cursor']}"), "auditor").get_json()

    assert ([e["version"] for e in first_page["events"]],
            [e["version"] for e in last_page["events"]], last_page["next_cursor"]) == (
        [1, 2], [3], None)


def test_the_global_event_list_holds_every_projects_events_in_the_order_recorded(
        client: FlaskClient, nek: str) -> None:
    other = register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")
    record_expense(client, nek, "TRAVEL", "1000.00")

    response = get(client, "/api/v1/events", "auditor")

    body = response.get_json()
    assert (response.status_code, [(e["position"], e["project_id"], e["type"])
                                   for e in body["events"]], body["next_cursor"]) == (
        200, [(1, nek, "ProjectRegistered"), (2, other, "ProjectRegistered"),
              (3, nek, "ExpenseRecorded")], None)


def test_the_global_event_list_is_paged_by_cursor_and_limit(
        client: FlaskClient, nek: str) -> None:
    register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")
    record_expense(client, nek, "TRAVEL", "1000.00")
    first_page = get(client, "/api/v1/events?limit=2", "auditor").get_json()

    last_page = get(client, f"/api/v1/events?limit=2&cursor={first_page['next_cursor']}",
                    "auditor").get_json()

    assert ([e["position"] for e in first_page["events"]],
            [e["position"] for e in last_page["events"]], last_page["next_cursor"]) == (
        [1, 2], [3], None)


def test_the_global_event_list_of_an_empty_store_is_empty(client: FlaskClient) -> None:
    response = get(client, "/api/v1/events", "auditor")

    assert (response.status_code, response.get_json()) == (
        200, {"events": [], "next_cursor": None})

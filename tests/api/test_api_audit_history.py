"""History queries auditors use: GET …/events filtered, and one expense's versions side by side."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from api_builders import claim_body, command, get, project_path, record_expense, register_nek
from flask.testing import FlaskClient

Frozen = Callable[[str], AbstractContextManager[None]]


def shown(client: FlaskClient, project_id: str, query: str) -> list[tuple[int, str]]:
    response = get(client, project_path(project_id, f"events?{query}"), "auditor")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(e["version"], e["type"]) for e in response.json["events"]]


@pytest.fixture
def audited(client: FlaskClient, frozen: Frozen) -> tuple[str, list[str]]:
    """NEK registered on 2017-01-10 (v1); on 2017-02-10 two TRAVEL invoices (v2, v3); on
    2017-03-10 the first corrected (v4) and the second reversed (v5); on 2017-04-20 the
    first claimed (v6); on 2017-06-01 the claim approved by the auditor (v7)."""
    with frozen("2017-01-10 09:00"):
        project_id = register_nek(client)
    with frozen("2017-02-10 09:00"):
        ids = [record_expense(client, project_id, "TRAVEL", a) for a in ("1000.00", "2000.00")]
    with frozen("2017-03-10 09:00"):
        command(client, project_id, f"expenses/{ids[0]}/corrections",
                {"amount_net": "900.00", "reason": "credit note 17/3"}, role="accountant")
        command(client, project_id, f"expenses/{ids[1]}/reversal",
                {"reason": "booked twice"}, role="accountant")
    with frozen("2017-04-20 09:00"):
        command(client, project_id, "payment-claims", claim_body("1", [ids[0]]))
    with frozen("2017-06-01 09:00"):
        command(client, project_id, "payment-claims/1/approval", {
            "approved_on": "2017-06-01",
            "exclusions": [{"expense_id": ids[0], "amount": "100.00", "reason": "no tender"}]},
            role="auditor")
    return project_id, ids


# ---- GET …/events filters -----------------------------------------------------------------


def test_events_filtered_by_type(client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, _ = audited

    assert shown(client, project_id, "type=ExpenseRecorded") == [
        (2, "ExpenseRecorded"), (3, "ExpenseRecorded")]


def test_events_filtered_by_several_types(client: FlaskClient,
                                          audited: tuple[str, list[str]]) -> None:
    project_id, _ = audited

    assert shown(client, project_id, "type=ExpenseCorrected&type=ExpenseReversed") == [
        (4, "ExpenseCorrected"), (5, "ExpenseReversed")]


def test_events_filtered_by_who_recorded_them(client: FlaskClient,
                                             audited: tuple[str, list[str]]) -> None:
    project_id, _ = audited

    assert shown(client, project_id, "recorded_by=auditor") == [(7, "PaymentClaimApproved")]


def test_events_filtered_by_a_recording_window_at_or_after_and_strictly_before(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, _ = audited

    found = shown(client, project_id, "recorded_after=2017-02-10T09:00:00Z"
                                      "&recorded_before=2017-04-20T09:00:00Z")

    assert [version for version, _ in found] == [2, 3, 4, 5]


def test_events_recorded_after_a_moment_with_an_offset(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, _ = audited

    found = shown(client, project_id, "recorded_after=2017-04-20T11:00:00%2B02:00")

    assert [version for version, _ in found] == [6, 7]


def test_events_touching_an_expense_include_its_claim_and_the_approval(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    assert shown(client, project_id, f"expense_id={ids[0]}") == [
        (2, "ExpenseRecorded"), (4, "ExpenseCorrected"), (6, "PaymentClaimSubmitted"),
        (7, "PaymentClaimApproved")]


def test_filters_combine(client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    found = shown(client, project_id, f"expense_id={ids[1]}&recorded_by=accountant"
                                      "&type=ExpenseReversed")

    assert found == [(5, "ExpenseReversed")]


def test_filtered_events_are_paged_by_cursor(client: FlaskClient,
                                             audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited
    path = project_path(project_id, f"events?expense_id={ids[0]}&limit=3")

    first = get(client, path, "auditor").json
    second = get(client, f"{path}&cursor={first['next_cursor']}", "auditor").json

    assert ([e["version"] for e in first["events"]], [e["version"] for e in second["events"]],
            second["next_cursor"]) == ([2, 4, 6], [7], None)


def test_an_unknown_event_type_is_a_malformed_request(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "events?type=ExpenseDeleted"), "auditor")

    assert (response.status_code, list(response.json["errors"])) == (400, ["type.0"])


def test_a_filter_that_matches_nothing_gives_an_empty_page(client: FlaskClient,
                                                           nek: str) -> None:
    assert shown(client, nek, "recorded_by=nobody") == []


# ---- GET …/expenses/{id}/history ------------------------------------------------------------


def history(client: FlaskClient, project_id: str, expense_id: str,
            role: str = "auditor") -> Any:
    return get(client, project_path(project_id, f"expenses/{expense_id}/history"), role)


def test_an_expenses_history_lists_every_event_that_touched_it_with_who_and_when(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    versions = history(client, project_id, ids[0]).json["versions"]

    assert [(v["version"], v["type"], v["recorded_at"], v["recorded_by"]["name"])
            for v in versions] == [
        (2, "ExpenseRecorded", "2017-02-10T09:00:00Z", "accountant"),
        (4, "ExpenseCorrected", "2017-03-10T09:00:00Z", "accountant"),
        (6, "PaymentClaimSubmitted", "2017-04-20T09:00:00Z", "manager"),
        (7, "PaymentClaimApproved", "2017-06-01T09:00:00Z", "auditor")]


def test_a_correction_shows_what_changed_from_what_to_what_and_why(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    correction = history(client, project_id, ids[0]).json["versions"][1]

    assert (correction["changes"], correction["reason"]) == (
        [{"field": "amount_net", "before": "1000.00", "after": "900.00"},
         {"field": "eligible_amount", "before": "1000.00", "after": "900.00"}],
        "credit note 17/3")


def test_the_versions_stand_side_by_side_as_whole_expenses(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    versions = history(client, project_id, ids[0]).json["versions"]

    assert [(v["expense"]["eligible_amount"], v["expense"]["claim_number"],
             v["expense"]["approved"]) for v in versions] == [
        ("1000.00", None, False), ("900.00", None, False), ("900.00", "1", False),
        ("900.00", "1", True)]


def test_a_claim_and_its_approval_show_in_the_expenses_history_with_the_exclusion(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    versions = history(client, project_id, ids[0]).json["versions"]

    assert [(v["changes"], v["reason"]) for v in versions[2:]] == [
        ([{"field": "claim_number", "before": None, "after": "1"}], None),
        ([{"field": "approved", "before": False, "after": True}], "100.00 excluded: no tender")]


def test_a_reversal_shows_the_status_change_and_its_reason(
        client: FlaskClient, audited: tuple[str, list[str]]) -> None:
    project_id, ids = audited

    reversal = history(client, project_id, ids[1]).json["versions"][-1]

    assert (reversal["type"], reversal["changes"], reversal["reason"]) == (
        "ExpenseReversed", [{"field": "status", "before": "active", "after": "reversed"}],
        "booked twice")


def test_the_history_of_an_expense_the_project_does_not_have_is_404(
        client: FlaskClient, nek: str) -> None:
    assert history(client, nek, "5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01").status_code == 404


def test_only_auditors_and_admins_read_an_expenses_history(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    statuses = [history(client, nek, travel_expense, role).status_code
                for role in ("viewer", "accountant", "manager", "auditor", "admin")]

    assert statuses == [403, 403, 403, 200, 200]

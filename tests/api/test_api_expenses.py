"""Expenses: record, list, read, pay, correct and reverse through /api/v1/projects/{id}/expenses."""

from __future__ import annotations

from api_builders import (
    command,
    expense_body,
    get,
    post,
    project_path,
    record_expense,
)
from flask.testing import FlaskClient

EXPENSE_ID = "3f1c8f5e-6a4b-4c1e-9d2a-0b7e5f6a1c2d"


def test_recording_an_expense_answers_201_with_its_id_position_and_time_eligibility(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "expenses"),
                    expense_body(expense_id=EXPENSE_ID), "accountant")

    assert (response.status_code, response.headers["Location"], response.get_json()) == (
        201, project_path(nek, "expenses", EXPENSE_ID),
        {"expense_id": EXPENSE_ID, "position": 2, "time_eligible": True})


def test_an_expense_dated_before_the_realisation_start_is_recorded_as_not_time_eligible(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "expenses"),
                    expense_body("EXTERNAL_SERVICES", "30000.00", tax_point_date="2016-03-15",
                                 expense_id=EXPENSE_ID), "accountant")

    assert (response.status_code, response.get_json()) == (
        201, {"expense_id": EXPENSE_ID, "position": 2, "time_eligible": False})


def test_an_expense_without_an_id_gets_one_from_the_server(
        client: FlaskClient, nek: str) -> None:
    body = expense_body()
    del body["paid_on"], body["attachments"], body["activity"]

    response = post(client, project_path(nek, "expenses"), body, "accountant")

    expense_id = response.get_json()["expense_id"]
    assert (response.status_code, get(client, project_path(nek, "expenses", expense_id))
            .get_json()["expense_id"]) == (201, expense_id)


def test_a_recorded_expense_reads_back_in_its_current_state(
        client: FlaskClient, nek: str) -> None:
    post(client, project_path(nek, "expenses"),
         expense_body("TRAVEL", "100000.00", expense_id=EXPENSE_ID, document_number="FV-2016-0042",
                      vat="21000.00"), "accountant")

    response = get(client, project_path(nek, "expenses", EXPENSE_ID))

    expense = response.get_json()
    del expense["recorded_at"]
    assert (response.status_code, expense) == (200, {
        "expense_id": EXPENSE_ID, "document_number": "FV-2016-0042", "document_type": "invoice",
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
        "description": "Joint workshop, Stuttgart", "budget_line": "TRAVEL", "activity": "3.4",
        "tax_point_date": "2016-06-15", "amount_net": "100000.00", "vat": "21000.00",
        "eligible_amount": "100000.00", "paid_on": "2016-06-30",
        "attachments": [{"kind": "invoice", "file_name": "invoice.pdf", "sha256": "ab" * 32}],
        "status": "active", "time_eligible": True, "claim_number": None, "approved": False,
        "recorded_by": {"name": "accountant", "role": "accountant", "subject": "accountant"},
        "recorded_version": 2,
        "last_changed_version": 2, "corrections": 0, "reversal_reason": None})


def test_the_expense_list_filtered_by_line_holds_only_that_lines_expenses(
        client: FlaskClient, nek: str) -> None:
    travel = record_expense(client, nek, "TRAVEL", "1000.00")
    record_expense(client, nek, "RENT", "2000.00")

    body = get(client, project_path(nek, "expenses?line=TRAVEL")).get_json()

    assert ([e["expense_id"] for e in body["expenses"]], body["next_cursor"]) == ([travel], None)


def test_the_expense_list_filtered_by_activity_holds_only_that_activitys_expenses(
        client: FlaskClient, nek: str) -> None:
    record_expense(client, nek, "TRAVEL", "1000.00", activity="3.4")
    promotion = record_expense(client, nek, "MARKETING_PROMOTION", "2000.00", activity="3")

    body = get(client, project_path(nek, "expenses?activity=3")).get_json()

    assert [e["expense_id"] for e in body["expenses"]] == [promotion]


def test_the_expense_list_filtered_by_status_reversed_holds_only_reversed_expenses(
        client: FlaskClient, nek: str) -> None:
    record_expense(client, nek, "TRAVEL", "1000.00")
    reversed_id = record_expense(client, nek, "RENT", "2000.00")
    command(client, nek, f"expenses/{reversed_id}/reversal", {"reason": "booked twice"},
            "accountant")

    body = get(client, project_path(nek, "expenses?status=reversed")).get_json()

    assert [(e["expense_id"], e["status"]) for e in body["expenses"]] == [
        (reversed_id, "reversed")]


def test_the_expense_list_is_paged_by_cursor_and_limit(client: FlaskClient, nek: str) -> None:
    ids = [record_expense(client, nek, "TRAVEL", f"{n}000.00") for n in (1, 2, 3)]
    first_page = get(client, project_path(nek, "expenses?limit=2")).get_json()

    last_page = get(client, project_path(
        nek, f"expenses?limit=2&cursor={first_page['next_cursor']}")).get_json()

    assert ([e["expense_id"] for e in first_page["expenses"]],
            [e["expense_id"] for e in last_page["expenses"]], last_page["next_cursor"]) == (
        ids[:2], ids[2:], None)


def test_paying_an_expense_records_its_payment_date(client: FlaskClient, nek: str) -> None:
    expense_id = record_expense(client, nek, "TRAVEL", "1000.00", paid_on=None)

    response = post(client, project_path(nek, "expenses", expense_id, "payment"),
                    {"paid_on": "2016-07-01"}, "accountant")

    assert (response.status_code, response.get_json(),
            get(client, project_path(nek, "expenses", expense_id)).get_json()["paid_on"]) == (
        200, {"position": 3}, "2016-07-01")


def test_correcting_an_expense_keeps_its_id_and_changes_the_fields_given(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    response = post(client, project_path(nek, "expenses", travel_expense, "corrections"),
                    {"amount_net": "90000.00", "reason": "credit note CN-7"}, "accountant")

    expense = get(client, project_path(nek, "expenses", travel_expense)).get_json()
    assert (response.status_code, response.get_json(), expense["amount_net"],
            expense["eligible_amount"], expense["corrections"],
            expense["last_changed_version"]) == (
        200, {"position": 3}, "90000.00", "90000.00", 1, 3)


def test_reversing_an_expense_keeps_it_visible_as_reversed_with_its_reason(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    response = post(client, project_path(nek, "expenses", travel_expense, "reversal"),
                    {"reason": "booked twice"}, "accountant")

    expense = get(client, project_path(nek, "expenses", travel_expense)).get_json()
    assert (response.status_code, response.get_json(), expense["status"],
            expense["reversal_reason"]) == (200, {"position": 3}, "reversed", "booked twice")


def test_a_reversed_expense_counts_as_zero_in_the_budget_view(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    command(client, nek, f"expenses/{travel_expense}/reversal", {"reason": "booked twice"},
            "accountant")

    totals = get(client, project_path(nek, "views/budget")).get_json()["totals"]

    assert (totals["recorded"], totals["eligible"]) == ("0.00", "0.00")

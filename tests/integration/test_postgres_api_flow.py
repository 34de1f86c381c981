"""The API end to end on PostgreSQL: the worked example, a claim's life, history, idempotency."""

from __future__ import annotations

from api_builders import (
    achieve_ecei_bronze,
    approve_rent_to_travel_transfer,
    claim_body,
    command,
    event_count,
    expense_body,
    get,
    post,
    project_path,
    record_expense,
    record_nek_worked_example,
    register_nek,
)
from flask.testing import FlaskClient


def test_the_worked_example_reads_back_exactly_on_postgresql(pg_client: FlaskClient) -> None:
    project_id = record_nek_worked_example(pg_client)
    before = get(pg_client, project_path(project_id, "views/budget")).json["totals"]
    subsidy_before = get(pg_client, project_path(project_id, "views/subsidy")).json

    approve_rent_to_travel_transfer(pg_client, project_id)
    achieve_ecei_bronze(pg_client, project_id)

    after = get(pg_client, project_path(project_id, "views/subsidy")).json
    schedule = get(pg_client, project_path(project_id, "views/schedule?on=2018-03-01")).json
    assert (before["recorded"], before["ineligible"], before["eligible"], before["overrun"],
            before["eligible_capped"]) == ("7776200.00", "30000.00", "7746200.00", "50000.00",
                                           "7696200.00")
    assert (subsidy_before["entitlement"], subsidy_before["own_financing"],
            subsidy_before["subsidy_share"], subsidy_before["cap_reached"]) == (
        "3848100.00", "3848100.00", "0.5000", False)
    assert (after["eligible_total"], after["entitlement"]) == ("7746200.00", "3873100.00")
    assert (schedule["milestones"][0]["status"], schedule["milestones"][0]["days_late"],
            schedule["project"]["claim_deadline"]) == ("achieved_late", 138, "2018-05-30")


def test_a_payment_claim_is_submitted_approved_and_paid_out_on_postgresql(
        pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client)
    expenses = [record_expense(pg_client, project_id, "TRAVEL", amount)
                for amount in ("100000.00", "50001.00")]
    command(pg_client, project_id, "payment-claims", claim_body("1", expenses))
    command(pg_client, project_id, "payment-claims/1/approval",
            {"approved_on": "2017-06-01", "exclusions": [
                {"expense_id": expenses[1], "amount": "1.00", "reason": "rounding"}]},
            role="auditor")

    command(pg_client, project_id, "payment-claims/1/payout",
            {"amount": "75000.00", "paid_on": "2017-06-20"}, role="auditor")

    claim = get(pg_client, project_path(project_id, "payment-claims/1")).json
    assert (claim["declared_eligible"], claim["approved_eligible"], claim["approved_subsidy"],
            claim["paid"], claim["status"]) == ("150001.00", "150000.00", "75000.00",
                                                "75000.00", "approved")


def test_a_refused_command_records_nothing_and_a_retry_is_replayed_on_postgresql(
        pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client)
    body = expense_body("TRAVEL", "1000.00", document_number="FV-1")
    first = post(pg_client, project_path(project_id, "expenses"), body, "accountant",
                 **{"Idempotency-Key": "k-1"})
    events = event_count(pg_client, project_id)

    replay = post(pg_client, project_path(project_id, "expenses"), body, "accountant",
                  **{"Idempotency-Key": "k-1"})
    duplicate = post(pg_client, project_path(project_id, "expenses"), body, "accountant")

    assert (replay.status_code, replay.json, replay.headers["Idempotent-Replayed"]) == (
        201, first.json, "true")
    assert (duplicate.status_code, duplicate.json["rule"]) == (409, "DOUBLE_FINANCING")
    assert event_count(pg_client, project_id) == events


def test_the_global_event_log_pages_through_every_project_on_postgresql(
        pg_client: FlaskClient) -> None:
    first = register_nek(pg_client)
    second = register_nek(pg_client, registration_number="CZ.01.1.02/0.0/0.0/15_009/0009999")
    record_expense(pg_client, first)

    page_one = get(pg_client, "/api/v1/events?limit=2", "auditor").json
    page_two = get(pg_client, f"/api/v1/events?limit=2&cursor={page_one['next_cursor']}",
                   "auditor").json

    assert [(e["project_id"], e["type"]) for e in page_one["events"] + page_two["events"]] == [
        (first, "ProjectRegistered"), (second, "ProjectRegistered"), (first, "ExpenseRecorded")]
    assert page_two["next_cursor"] is None

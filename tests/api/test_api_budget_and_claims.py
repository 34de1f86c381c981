"""Budget changes, payment claims (submit, approve, pay out) and financial corrections."""

from __future__ import annotations

from api_builders import (
    budget_change_body,
    claim_body,
    command,
    get,
    post,
    project_path,
    record_expense,
    register_nek,
)
from flask.testing import FlaskClient


def _planned(client: FlaskClient, project_id: str) -> dict[str, str]:
    lines = get(client, project_path(project_id)).get_json()["budget_lines"]
    return {line["code"]: line["planned"] for line in lines}


def test_an_approved_budget_change_moves_the_planned_amount_between_lines(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "budget-changes"),
                    budget_change_body("RENT", "TRAVEL", "50000.00"), "manager")

    planned = _planned(client, nek)
    assert (response.status_code, response.get_json(), planned["RENT"], planned["TRAVEL"]) == (
        200, {"position": 2}, "150000.00", "950000.00")


def test_a_notified_budget_change_within_the_tolerance_is_accepted(
        client: FlaskClient) -> None:
    project_id = register_nek(client, line_transfer_tolerance="0.10")

    response = post(client, project_path(project_id, "budget-changes"),
                    budget_change_body("RENT", "TRAVEL", "90000.00", kind="notified"), "manager")

    assert (response.status_code, _planned(client, project_id)["TRAVEL"]) == (200, "990000.00")


def test_submitting_a_payment_claim_records_its_declared_eligible_and_requested_subsidy(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    response = post(client, project_path(nek, "payment-claims"),
                    claim_body("1", [travel_expense]), "manager")

    claim = get(client, project_path(nek, "payment-claims/1")).get_json()
    head = claim.pop("submitted_head")
    assert (response.status_code, response.get_json(), head["version"], claim) == (
        200, {"position": 3}, 2,
        {"claim_number": "1", "stage": "1", "final": False, "submitted_on": "2017-04-20",
         "expense_ids": [travel_expense], "declared_eligible": "100000.00",
         "requested_subsidy": "50000.00", "status": "submitted", "approved_on": None,
         "exclusions": [], "approved_eligible": None, "approved_subsidy": None,
         "paid": "0.00", "payouts": [], "approved_head": None})


def test_the_claim_list_holds_every_claim_in_the_order_submitted(
        client: FlaskClient, nek: str) -> None:
    first = record_expense(client, nek, "EXTERNAL_SERVICES", "1000.00")
    second = record_expense(client, nek, "EXTERNAL_SERVICES", "2000.00")
    command(client, nek, "payment-claims", claim_body("1", [first]))
    command(client, nek, "payment-claims", claim_body("2", [second], stage="2",
                                                       submitted_on="2018-04-20"))

    response = get(client, project_path(nek, "payment-claims"))

    assert (response.status_code,
            [(c["claim_number"], c["expense_ids"]) for c in response.get_json()["claims"]]) == (
        200, [("1", [first]), ("2", [second])])


def test_approving_a_claim_with_an_exclusion_approves_the_rest_and_its_subsidy(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    command(client, nek, "payment-claims", claim_body("1", [travel_expense]))

    response = post(client, project_path(nek, "payment-claims/1/approval"),
                    {"approved_on": "2017-06-01", "exclusions": [
                        {"expense_id": travel_expense, "amount": "10000.00",
                         "reason": "business class not eligible"}]}, "auditor")

    claim = get(client, project_path(nek, "payment-claims/1")).get_json()
    assert (response.status_code, response.get_json(), claim["status"], claim["approved_on"],
            claim["approved_eligible"], claim["approved_subsidy"], claim["exclusions"],
            claim["approved_head"]["version"]) == (
        200, {"position": 4}, "approved", "2017-06-01", "90000.00", "45000.00",
        [{"expense_id": travel_expense, "amount": "10000.00",
          "reason": "business class not eligible"}], 3)


def test_a_payout_on_an_approved_claim_is_recorded_as_paid(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    command(client, nek, "payment-claims", claim_body("1", [travel_expense]))
    command(client, nek, "payment-claims/1/approval", {"approved_on": "2017-06-01"}, "auditor")

    response = post(client, project_path(nek, "payment-claims/1/payout"),
                    {"amount": "50000.00", "paid_on": "2017-06-30"}, "auditor")

    claim = get(client, project_path(nek, "payment-claims/1")).get_json()
    assert (response.status_code, response.get_json(), claim["paid"], claim["payouts"]) == (
        200, {"position": 5}, "50000.00", [{"amount": "50000.00", "paid_on": "2017-06-30"}])


def test_a_financial_correction_is_taken_off_the_subsidy_paid(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    command(client, nek, "payment-claims", claim_body("1", [travel_expense]))
    command(client, nek, "payment-claims/1/approval", {"approved_on": "2017-06-01"}, "auditor")
    command(client, nek, "payment-claims/1/payout",
            {"amount": "50000.00", "paid_on": "2017-06-30"}, "auditor")

    response = post(client, project_path(nek, "financial-corrections"),
                    {"correction_id": "FC-1", "finding": "public procurement breach",
                     "expense_ids": [travel_expense], "amount": "5000.00",
                     "decided_on": "2018-01-15", "reason": "tender split in two"}, "auditor")

    view = get(client, project_path(nek, "views/subsidy")).get_json()
    assert (response.status_code, response.get_json(), view["paid"], view["corrections"],
            view["net_subsidy"]) == (200, {"position": 6}, "50000.00", "5000.00", "45000.00")

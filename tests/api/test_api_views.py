"""The three views and the portfolio, through the API: DOMAIN.md's worked example to the haléř,
ETags, `as_of`, `on` and `min_position`."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from api_builders import (
    achieve_ecei_bronze,
    approve_rent_to_travel_transfer,
    get,
    project_path,
    record_expense,
    record_nek_worked_example,
    register_nek,
)
from flask import Flask
from flask.testing import FlaskClient

ON = "on=2018-03-01"
Frozen = Callable[[str], AbstractContextManager[None]]


@pytest.fixture
def worked_example(client: FlaskClient) -> str:
    return record_nek_worked_example(client)


def _line(view: dict[str, object], code: str) -> dict[str, str]:
    lines = view["lines"]
    assert isinstance(lines, list)
    return next(line for line in lines if line["code"] == code)


# ---- DOMAIN.md's worked example ------------------------------------------------------------


def test_worked_example_budget_counts_the_early_invoice_as_ineligible_and_caps_travel(
        client: FlaskClient, worked_example: str) -> None:
    response = get(client, project_path(worked_example, f"views/budget?{ON}"))

    view = response.get_json()
    totals, travel = view["totals"], _line(view, "TRAVEL")
    assert (response.status_code, view["project_id"], view["position"], view["currency"],
            view["as_of"]) == (200, worked_example, 8, "CZK", None)
    assert (totals["planned"], totals["recorded"], totals["ineligible"], totals["eligible"],
            totals["overrun"], totals["eligible_capped"]) == (
        "7776200.00", "7776200.00", "30000.00", "7746200.00", "50000.00", "7696200.00")
    assert (travel["planned"], travel["eligible"], travel["overrun"], travel["eligible_capped"],
            travel["remaining"], travel["utilisation"]) == (
        "900000.00", "950000.00", "50000.00", "900000.00", "0.00", "1.0000")
    assert [f["rule"] for f in view["flags"]] == ["EXPENSE_OUTSIDE_PERIOD", "LINE_OVERRUN"]


def test_worked_example_early_invoice_is_ineligible_on_external_services(
        client: FlaskClient, worked_example: str) -> None:
    view = get(client, project_path(worked_example, f"views/budget?{ON}")).get_json()

    external = _line(view, "EXTERNAL_SERVICES")
    assert (external["recorded"], external["ineligible"], external["eligible"]) == (
        "2306200.00", "30000.00", "2276200.00")


def test_worked_example_subsidy_is_half_of_the_capped_eligible_total(
        client: FlaskClient, worked_example: str) -> None:
    response = get(client, project_path(worked_example, f"views/subsidy?{ON}"))

    view = response.get_json()
    assert (response.status_code, view["support_rate"], view["max_subsidy"],
            view["eligible_total"], view["entitlement"], view["own_financing"],
            view["subsidy_share"], view["cap_reached"], view["requested"], view["approved"],
            view["paid"], view["corrections"], view["net_subsidy"], view["claims"],
            view["flags"]) == (
        200, "0.50", "3888100.00", "7696200.00", "3848100.00", "3848100.00", "0.5000", False,
        "0.00", "0.00", "0.00", "0.00", "0.00", [], [])


def test_worked_example_approved_transfer_from_rent_to_travel_removes_the_overrun(
        client: FlaskClient, worked_example: str) -> None:
    approve_rent_to_travel_transfer(client, worked_example)

    budget = get(client, project_path(worked_example, f"views/budget?{ON}")).get_json()
    subsidy = get(client, project_path(worked_example, f"views/subsidy?{ON}")).get_json()

    assert (_line(budget, "TRAVEL")["planned"], _line(budget, "TRAVEL")["overrun"],
            _line(budget, "RENT")["planned"], budget["totals"]["eligible_capped"],
            subsidy["entitlement"]) == (
        "950000.00", "0.00", "150000.00", "7746200.00", "3873100.00")


def test_worked_example_milestone_achieved_after_its_due_date_is_late_by_138_days(
        client: FlaskClient, worked_example: str) -> None:
    achieve_ecei_bronze(client, worked_example, "2018-02-15")

    response = get(client, project_path(worked_example, f"views/schedule?{ON}"))

    view = response.get_json()
    assert (response.status_code, view["on"], view["milestones"]) == (200, "2018-03-01", [
        {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained", "due": "2017-09-30",
         "activity": "3.4", "achieved_on": "2018-02-15", "status": "achieved_late",
         "days_late": 138}])


def test_worked_example_final_claim_deadline_is_60_days_after_the_realisation_end(
        client: FlaskClient, worked_example: str) -> None:
    view = get(client, project_path(worked_example, f"views/schedule?{ON}")).get_json()

    assert view["project"] == {
        "realisation_start": "2016-04-01", "realisation_end": "2018-03-31",
        "time_elapsed": "0.9588", "budget_drawn": "0.9897", "claim_deadline": "2018-05-30",
        "final_claim_submitted": False, "sustainability_end": "2023-03-31",
        "retain_until": "2033-12-31"}


def test_the_portfolio_has_one_row_per_project_with_its_key_figures(
        client: FlaskClient, worked_example: str) -> None:
    response = get(client, f"/api/v1/portfolio?{ON}")

    body = response.get_json()
    row = body["projects"][0]
    assert (response.status_code, body["position"], body["on"], len(body["projects"])) == (
        200, 8, "2018-03-01", 1)
    assert {k: row[k] for k in ("project_id", "acronym", "planned", "eligible_capped",
                                "utilisation", "entitlement", "max_subsidy", "subsidy_paid",
                                "net_subsidy", "cap_reached", "version")} == {
        "project_id": worked_example, "acronym": "OPEIC", "planned": "7776200.00",
        "eligible_capped": "7696200.00", "utilisation": "0.9897", "entitlement": "3848100.00",
        "max_subsidy": "3888100.00", "subsidy_paid": "0.00", "net_subsidy": "0.00",
        "cap_reached": False, "version": 8}


# ---- ETags -------------------------------------------------------------------------------


def test_a_view_carries_an_etag(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "views/budget"))

    assert response.headers["ETag"].startswith('"') and response.headers["ETag"].endswith('"')


@pytest.mark.parametrize("view", ["budget", "subsidy", "schedule", "indicators"])
def test_a_view_asked_again_with_its_etag_is_304_with_an_empty_body(
        client: FlaskClient, nek: str, view: str) -> None:
    etag = get(client, project_path(nek, f"views/{view}")).headers["ETag"]

    response = get(client, project_path(nek, f"views/{view}"), If_None_Match=etag)

    assert (response.status_code, response.get_data(), response.headers["ETag"]) == (
        304, b"", etag)


def test_the_portfolio_asked_again_with_its_etag_is_304(client: FlaskClient, nek: str) -> None:
    etag = get(client, "/api/v1/portfolio").headers["ETag"]

    response = get(client, "/api/v1/portfolio", If_None_Match=etag)

    assert (response.status_code, response.get_data()) == (304, b"")


def test_a_new_event_changes_the_etag_and_the_old_one_gets_the_new_view(
        client: FlaskClient, nek: str) -> None:
    etag = get(client, project_path(nek, "views/budget")).headers["ETag"]
    record_expense(client, nek, "TRAVEL", "1000.00")

    response = get(client, project_path(nek, "views/budget"), If_None_Match=etag)

    assert (response.status_code, response.headers["ETag"] != etag,
            response.get_json()["position"]) == (200, True, 2)


# ---- as_of and on --------------------------------------------------------------------------


def test_a_view_as_of_a_moment_before_a_later_expense_shows_the_earlier_figures(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2018-01-10 09:00:00"):
        project_id = register_nek(client)
        record_expense(client, project_id, "TRAVEL", "100000.00")
    with frozen("2018-01-20 09:00:00"):
        record_expense(client, project_id, "RENT", "50000.00")

    response = get(client, project_path(project_id,
                                        "views/budget?as_of=2018-01-15T00:00:00Z"))

    view = response.get_json()
    assert (response.status_code, view["as_of"], view["position"], view["on"],
            view["totals"]["recorded"]) == (
        200, "2018-01-15T00:00:00Z", 2, "2018-01-15", "100000.00")


def test_a_view_as_of_a_moment_after_every_event_shows_the_current_figures(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2018-01-10 09:00:00"):
        project_id = register_nek(client)
        record_expense(client, project_id, "TRAVEL", "100000.00")
    with frozen("2018-01-20 09:00:00"):
        record_expense(client, project_id, "RENT", "50000.00")

    view = get(client, project_path(project_id, "views/subsidy?as_of=2018-02-01T00:00:00%2B01:00")
               ).get_json()

    assert (view["as_of"], view["position"], view["eligible_total"], view["entitlement"]) == (
        "2018-01-31T23:00:00Z", 3, "150000.00", "75000.00")


def test_the_portfolio_as_of_a_moment_leaves_out_projects_registered_later(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2018-01-10 09:00:00"):
        register_nek(client)

    body = get(client, "/api/v1/portfolio?as_of=2018-01-01T00:00:00Z").get_json()

    assert (body["as_of"], body["projects"]) == ("2018-01-01T00:00:00Z", [])


def test_a_view_as_of_a_moment_before_the_registration_is_404(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2018-01-10 09:00:00"):
        project_id = register_nek(client)

    response = get(client, project_path(project_id, "views/budget?as_of=2018-01-09T00:00:00Z"))

    assert (response.status_code, response.mimetype, response.get_json()["status"]) == (
        404, "application/problem+json", 404)


@pytest.mark.parametrize(("on", "status", "days_late"), [
    ("2017-09-30", "pending", 0),
    ("2017-10-10", "overdue", 10),
    ("2018-04-20", "missed", 202),
])
def test_the_reference_date_on_decides_the_milestone_status(
        client: FlaskClient, nek: str, on: str, status: str, days_late: int) -> None:
    view = get(client, project_path(nek, f"views/schedule?on={on}")).get_json()

    assert (view["on"], view["milestones"][0]["status"], view["milestones"][0]["days_late"]) == (
        on, status, days_late)


@pytest.mark.parametrize(("on", "status"), [
    ("2016-12-31", "not_started"),
    ("2017-01-01", "due"),
    ("2017-10-01", "overdue"),
])
def test_the_reference_date_on_decides_the_activity_status(
        client: FlaskClient, nek: str, on: str, status: str) -> None:
    view = get(client, project_path(nek, f"views/schedule?on={on}")).get_json()

    assert next(a for a in view["activities"] if a["code"] == "3.4")["status"] == status


# ---- min_position ----------------------------------------------------------------------------


def test_a_view_asked_for_a_position_the_log_has_not_reached_is_503_after_the_timeout(
        client: FlaskClient, nek: str) -> None:
    started = time.monotonic()

    response = get(client, project_path(nek, "views/budget?min_position=99"))

    waited = time.monotonic() - started
    assert (response.status_code, response.mimetype, response.headers["Retry-After"],
            0.3 <= waited < 2) == (503, "application/problem+json", "1", True)


@pytest.mark.parametrize("min_position", [1, 2])
def test_a_view_asked_for_a_position_the_log_has_reached_answers_at_once(
        client: FlaskClient, nek: str, travel_expense: str, min_position: int) -> None:
    started = time.monotonic()

    response = get(client, project_path(nek, f"views/budget?min_position={min_position}"))

    assert (response.status_code, response.get_json()["position"],
            time.monotonic() - started < 0.3) == (200, 2, True)


# ---- answers about settled moments ---------------------------------------------------------


def test_a_view_as_of_a_settled_moment_is_answered_again_without_replaying(
        app: Flask, client: FlaskClient, frozen: Frozen, monkeypatch: pytest.MonkeyPatch) -> None:
    with frozen("2018-01-10 09:00:00"):
        project_id = register_nek(client)
        record_expense(client, project_id, "TRAVEL", "100000.00")
    path = project_path(project_id, "views/budget?as_of=2018-01-15T00:00:00Z")
    first = get(client, path)

    def no_replay(*args: object, **kwargs: object) -> None:
        raise AssertionError("replayed again")

    monkeypatch.setattr(app.extensions["grantledger"], "project_state", no_replay)
    again = get(client, path)
    not_modified = get(client, path, If_None_Match=first.headers["ETag"])

    assert (again.status_code, again.get_json(), again.headers["ETag"]) == (
        200, first.get_json(), first.headers["ETag"])
    assert (not_modified.status_code, not_modified.data) == (304, b"")
    assert first.get_json()["totals"]["recorded"] == "100000.00"


def test_a_view_as_of_a_moment_under_a_minute_old_is_replayed_each_time(
        client: FlaskClient, frozen: Frozen) -> None:
    """An event may still be saved with a moment that recent: such answers are not kept."""
    with frozen("2018-01-10 09:00:00"):
        project_id = register_nek(client)
        path = project_path(project_id, "views/budget?as_of=2018-01-10T09:00:00Z")
        before = get(client, path).get_json()
        record_expense(client, project_id, "TRAVEL", "100000.00")
        after = get(client, path).get_json()

    assert (before["position"], before["totals"]["recorded"]) == (1, "0.00")
    assert (after["position"], after["totals"]["recorded"]) == (2, "100000.00")

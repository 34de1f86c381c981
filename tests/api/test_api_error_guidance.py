"""Errors that tell the user how to fix the input: the date format, the project's codes, where
a body stops being JSON, what goes in a project's path, where an already registered project is."""

from __future__ import annotations

import pytest
from api_builders import (
    NEK_NUMBER,
    PROJECTS,
    bearer,
    budget_change_body,
    event_count,
    expense_body,
    get,
    nek_registration,
    post,
    problem,
    project_path,
)
from flask.testing import FlaskClient

NEK_LINE_CODES = ("PERSONNEL, EXTERNAL_SERVICES, TRAVEL, MARKETING_PROMOTION, "
                  "SEMINARS_CONFERENCES, RENT")
DATE_FORMAT = "Not a valid date: write a day that exists as YYYY-MM-DD, e.g. 2016-06-15."


@pytest.mark.parametrize("sent", ["15.06.2016", "2016-6-15", "2016-02-30"])
def test_a_bad_date_in_a_body_names_the_format(client: FlaskClient, nek: str, sent: str) -> None:
    response = post(client, project_path(nek, "expenses"),
                    expense_body(tax_point_date=sent), "accountant")

    assert (response.status_code, problem(response)["errors"], event_count(client, nek)) == (
        422, {"tax_point_date": [DATE_FORMAT]}, 1)


def test_a_bad_date_in_a_query_names_the_format(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "views/schedule?on=31.3.2018"))

    assert (response.status_code, problem(response)["errors"]) == (400, {"on": [DATE_FORMAT]})


def test_an_unknown_budget_line_lists_the_projects_lines(client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "expenses"), expense_body("CATERING"),
                    "accountant")

    assert (response.status_code, problem(response)["errors"]) == (422, {"budget_line": [
        f"the project has no budget line 'CATERING' (it has: {NEK_LINE_CODES})"]})


def test_an_unknown_activity_of_an_expense_lists_the_projects_activities(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "expenses"), expense_body(activity="3.9"),
                    "accountant")

    assert (response.status_code, problem(response)["errors"]) == (422, {"activity": [
        "the project has no activity '3.9' (it has: 3, 3.4)"]})


def test_an_unknown_activity_in_the_path_is_404_listing_the_activities(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "activities/9/start"),
                    {"started_on": "2017-01-02"}, "manager")

    assert (response.status_code, problem(response)["detail"]) == (
        404, "the project has no activity '9' (it has: 3, 3.4)")


def test_an_unknown_line_of_a_budget_transfer_lists_the_projects_lines(
        client: FlaskClient, nek: str) -> None:
    response = post(client, project_path(nek, "budget-changes"),
                    budget_change_body("RENT", "TRIPS", "1000.00"), "manager")

    assert (response.status_code, problem(response)["errors"]) == (422, {
        "transfers.0.to_line": [f"the project has no budget line 'TRIPS' (it has: "
                                f"{NEK_LINE_CODES})"]})


def test_malformed_json_says_on_which_line_and_column_it_stops(
        client: FlaskClient, nek: str) -> None:
    body = '{\n  "document_number": "FV-1",\n  "amount_net": 100000.00,,\n}'

    response = client.post(project_path(nek, "expenses"), data=body,
                           headers=bearer("accountant", Content_Type="application/json"))

    refused = problem(response)
    assert (response.status_code, refused["errors"], refused["detail"]) == (400, {"body": [
        "The body is not valid JSON: expecting property name enclosed in double quotes at "
        "line 3, column 27."]}, "the request could not be read: body")


@pytest.mark.parametrize(("body", "errors"), [
    ([1, 2], {"body": ["Invalid input type."]}),
    (nek_registration(registration_number="CZ.X/1", budget_lines=[5]),
     {"budget_lines.0": ["Invalid input type."]}),
])
def test_an_error_about_a_whole_object_is_named_by_its_path_not_an_internal_name(
        client: FlaskClient, body: object, errors: dict[str, list[str]]) -> None:
    response = post(client, PROJECTS, body, "manager")

    refused = problem(response)
    assert (response.status_code, refused["errors"]) == (422, errors)
    assert "_schema" not in response.get_data(as_text=True)


def test_a_registration_number_where_the_id_goes_says_how_to_find_the_id(
        client: FlaskClient, nek: str) -> None:
    response = get(client, f"{PROJECTS}/{NEK_NUMBER}/views/budget")

    refused = problem(response)
    assert (response.status_code, refused["title"], refused["detail"], refused["find_by"]) == (
        404, "Not a project id",
        "'CZ.01.1.02' is not a project id: a project's paths take its id, a UUID such as "
        "3f2c9d1e-8b7a-4c6d-9e0f-112233445566; find it by the registration number with "
        "GET /api/v1/projects?registration_number=<number>",
        "/api/v1/projects?registration_number=")


def test_an_id_of_no_project_says_how_to_find_a_projects_id(client: FlaskClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"

    response = get(client, f"{PROJECTS}/{unknown}")

    assert (response.status_code, problem(response)["detail"]) == (404, (
        f"no project with the id {unknown} is known to you; find a project's id by its "
        "registration number with GET /api/v1/projects?registration_number=<number>"))


def test_registering_a_number_again_answers_where_the_registered_project_is(
        client: FlaskClient, nek: str) -> None:
    response = post(client, PROJECTS, nek_registration(acronym="AGAIN"), "manager")

    refused = problem(response)
    assert (response.status_code, refused["rule"], refused["project_id"],
            refused["project_url"]) == (409, "PROJECT_ALREADY_REGISTERED", nek,
                                        f"{PROJECTS}/{nek}")
    assert get(client, refused["project_url"]).get_json()["acronym"] == "OPEIC"

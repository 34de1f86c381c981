"""Every refusal is an RFC 9457 problem with the status API.md gives it, and records nothing."""

from __future__ import annotations

import uuid

import pytest
from api_builders import (
    PROJECTS,
    bearer,
    budget_change_body,
    claim_body,
    command,
    event_count,
    expense_body,
    get,
    nek_registration,
    post,
    problem,
    project_path,
    record_expense,
)
from flask.testing import FlaskClient
from support import token_of

UNKNOWN = "00000000-0000-4000-8000-000000000000"

# ---- 400: malformed JSON and bad parameters ------------------------------------------------


def test_a_body_that_is_not_json_is_400(client: FlaskClient, nek: str) -> None:
    response = client.post(project_path(nek, "expenses"), data='{"document_number": "FV-1",',
                           headers=bearer("accountant", Content_Type="application/json"))

    body = problem(response)
    assert (response.status_code, body["errors"], event_count(client, nek)) == (
        400, {"body": ["The body is not valid JSON: expecting property name enclosed in double "
                       "quotes at line 1, column 28."]}, 1)


@pytest.mark.parametrize(("path", "parameter", "taken"), [
    ("events", "recorded_afer", "cursor, expense_id, limit, recorded_after, recorded_before, "
                                "recorded_by, type"),
    ("views/budget", "lang", "as_of, format, min_position, on"),
])
def test_a_query_parameter_the_request_does_not_take_is_400_naming_those_it_takes(
        client: FlaskClient, nek: str, path: str, parameter: str, taken: str) -> None:
    response = get(client, project_path(nek, path) + f"?{parameter}=2017-01-01", "admin")

    assert (response.status_code, problem(response)["errors"]) == (
        400, {parameter: [f"Not a parameter of this request; it takes: {taken}."]})


def test_a_json_body_nested_too_deeply_to_read_is_400(client: FlaskClient, nek: str) -> None:
    response = client.post(project_path(nek, "expenses"), data="[" * 50_000 + "]" * 50_000,
                           headers=bearer("accountant", Content_Type="application/json"))

    assert (response.status_code, problem(response)["errors"]) == (
        400, {"body": ["The JSON body is nested too deeply."]})


def test_a_json_number_with_more_digits_than_can_be_read_is_400(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    response = client.post(project_path(nek, "expenses", travel_expense, "payment"),
                           data='{"paid_on": ' + "9" * 5000 + "}",
                           headers=bearer("accountant", Content_Type="application/json"))

    assert (response.status_code, problem(response)["errors"]) == (
        400, {"body": ["The JSON body holds a number of more than 4300 digits."]})


def test_a_string_that_is_not_unicode_text_is_400_and_records_nothing(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    response = client.post(project_path(nek, "expenses", travel_expense, "reversal"),
                           data='{"reason": "booked twice \\ud800"}',
                           headers=bearer("accountant", Content_Type="application/json"))

    assert (response.status_code, problem(response)["errors"], event_count(client, nek)) == (
        400, {"body": ["The JSON body holds a string that is not Unicode text "
                       "(a lone surrogate)."]}, 2)


@pytest.mark.parametrize(("query", "field"), [
    ("views/budget?as_of=yesterday", "as_of"),
    ("views/budget?as_of=2018-13-01T00:00:00Z", "as_of"),
    ("views/subsidy?as_of=2018-01-01", "as_of"),
    ("views/schedule?as_of=9999-12-31T23:59:59Z", "as_of"),  # already year 10000 in Prague
    ("views/budget?as_of=0001-01-01T00:00:00%2B01:00", "as_of"),
    ("views/budget?as_of=9999-12-31T23:59:59-01:00", "as_of"),
    ("views/schedule?on=2018-02-30", "on"),
    ("views/schedule?min_position=-1", "min_position"),
    ("views/budget?min_position=next", "min_position"),
    ("expenses?limit=0", "limit"),
    ("expenses?limit=1001", "limit"),
    ("expenses?limit=ten", "limit"),
    ("expenses?status=deleted", "status"),
])
def test_a_bad_query_parameter_is_400_naming_it(
        client: FlaskClient, nek: str, query: str, field: str) -> None:
    response = get(client, project_path(nek, query))

    assert (response.status_code, list(problem(response)["errors"])) == (400, [field])


@pytest.mark.parametrize("query", [
    "views/indicators?as_of=7597-10-20T16:54:56Z", "views/schedule?as_of=1899-12-31T12:00:00Z",
    "views/subsidy?as_of=2199-12-31T23:30:00Z"])  # already 2200 in Prague
def test_an_as_of_whose_day_lies_outside_the_years_of_on_is_400_saying_which(
        client: FlaskClient, nek: str, query: str) -> None:
    response = get(client, project_path(nek, query))

    assert (response.status_code, problem(response)["errors"]) == (400, {"as_of": [
        "Its day in Europe/Prague must lie between 1900-01-01 and 2199-12-31: give a moment "
        "within those years, or `on`."]})


def test_a_far_as_of_with_an_on_in_the_years_is_answered(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "views/schedule?as_of=7597-10-20T16:54:56Z"
                                             "&on=2018-01-01"))

    assert (response.status_code, response.json["on"]) == (200, "2018-01-01")


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/projects", "/api/v1/portfolio"])
@pytest.mark.parametrize("limit", ["0", "1001"])
def test_a_page_size_outside_1_to_1000_is_400(client: FlaskClient, path: str, limit: str) -> None:
    response = get(client, f"{path}?limit={limit}", "auditor")

    assert (response.status_code, list(problem(response)["errors"])) == (400, ["limit"])


@pytest.mark.parametrize("cursor", [
    "garbage!",
    "Z2w6LTU",  # "gl:-5"
    "eHk6MTA",  # "xy:10"
    "Z2w6YWJj",  # "gl:abc"
])
def test_a_cursor_this_service_did_not_hand_out_is_400_on_every_list(
        client: FlaskClient, nek: str, cursor: str) -> None:
    lists = ["/api/v1/events", "/api/v1/projects", project_path(nek, "expenses"),
             project_path(nek, "events"), "/api/v1/portfolio"]

    answers = {path: get(client, f"{path}?cursor={cursor}", "auditor") for path in lists}

    assert {path: (r.status_code, problem(r)["detail"]) for path, r in answers.items()} == \
        dict.fromkeys(lists, (400, "the cursor is not one this service handed out"))


@pytest.mark.parametrize("key", ["  ", "k" * 256])
def test_an_idempotency_key_that_is_blank_or_too_long_is_400(
        client: FlaskClient, nek: str, key: str) -> None:
    response = post(client, project_path(nek, "expenses"), expense_body(), "accountant",
                    Idempotency_Key=key)

    assert (response.status_code, problem(response)["status"], event_count(client, nek)) == (
        400, 400, 1)


# ---- 401 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [
    None, "Bearer nope", "Bearer ", "Basic dmlld2VyOnQtdmlld2Vy", token_of("viewer"),
    f"Bearer {token_of('viewer')}x",
])
def test_a_request_without_a_valid_bearer_token_is_401(
        client: FlaskClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    requests = [("GET", "/api/v1/projects"), ("GET", "/api/v1/portfolio"),
                ("GET", "/api/v1/events"), ("POST", "/api/v1/projects")]

    answers = [client.open(path, method=method, json=nek_registration(), headers=headers)
               for method, path in requests]

    assert [(r.status_code, problem(r)["title"], r.headers["WWW-Authenticate"])
            for r in answers] == [(401, "Unauthorized", "Bearer")] * len(requests)


def test_a_command_without_a_valid_token_records_nothing(client: FlaskClient, nek: str) -> None:
    response = client.post(project_path(nek, "expenses"), json=expense_body(),
                           headers={"Authorization": "Bearer forged"})

    assert (response.status_code, event_count(client, nek)) == (401, 1)


# ---- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "role", "body"), [
    ("GET", f"/projects/{UNKNOWN}", "viewer", None),
    ("GET", f"/projects/{UNKNOWN}/expenses", "viewer", None),
    ("GET", f"/projects/{UNKNOWN}/payment-claims", "viewer", None),
    ("GET", f"/projects/{UNKNOWN}/views/budget", "viewer", None),
    ("GET", f"/projects/{UNKNOWN}/views/subsidy", "viewer", None),
    ("GET", f"/projects/{UNKNOWN}/views/schedule", "viewer", None),
    ("GET", f"/projects/{UNKNOWN}/events", "auditor", None),
    ("POST", f"/projects/{UNKNOWN}/expenses", "accountant", expense_body()),
    ("POST", f"/projects/{UNKNOWN}/activities/3/start", "manager", {"started_on": "2016-05-01"}),
    ("POST", f"/projects/{UNKNOWN}/budget-changes", "manager",
     budget_change_body("RENT", "TRAVEL", "1.00")),
])
def test_an_unknown_project_is_404(client: FlaskClient, nek: str, method: str, path: str,
                                   role: str, body: dict[str, object] | None) -> None:
    response = client.open(f"/api/v1{path}", method=method, json=body, headers=bearer(role))

    assert (response.status_code, problem(response)["title"]) == (404, "Unknown project")


@pytest.mark.parametrize(("method", "path", "role", "body"), [
    ("GET", f"expenses/{UNKNOWN}", "viewer", None),
    ("POST", f"expenses/{UNKNOWN}/payment", "accountant", {"paid_on": "2016-07-01"}),
    ("POST", f"expenses/{UNKNOWN}/corrections", "accountant",
     {"description": "x", "reason": "typo"}),
    ("POST", f"expenses/{UNKNOWN}/reversal", "accountant", {"reason": "booked twice"}),
    ("POST", "activities/9/start", "manager", {"started_on": "2016-05-01"}),
    ("POST", "activities/9/completion", "manager", {"completed_on": "2016-05-01"}),
    ("POST", "milestones/ECEI_GOLD/achievement", "manager", {"achieved_on": "2016-05-01"}),
    ("GET", "payment-claims/9", "viewer", None),
    ("POST", "payment-claims/9/approval", "auditor", {"approved_on": "2017-06-01"}),
    ("POST", "payment-claims/9/payout", "auditor", {"amount": "1.00", "paid_on": "2017-06-01"}),
])
def test_an_unknown_expense_activity_milestone_or_claim_in_the_path_is_404_and_records_nothing(
        client: FlaskClient, nek: str, method: str, path: str, role: str,
        body: dict[str, object] | None) -> None:
    response = client.open(project_path(nek, path), method=method, json=body,
                           headers=bearer(role))

    assert (response.status_code, problem(response)["status"], event_count(client, nek)) == (
        404, 404, 1)


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/projects", "/docs/nothing"])
def test_an_unknown_route_is_404(client: FlaskClient, path: str) -> None:
    response = get(client, path)

    assert (response.status_code, problem(response)["title"]) == (404, "Not Found")


# ---- 405 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", "/api/v1/projects", "GET, HEAD, OPTIONS, POST"),
    ("PUT", "/api/v1/projects/{nek}", "GET, HEAD, OPTIONS"),
    ("GET", "/api/v1/projects/{nek}/budget-changes", "OPTIONS, POST"),
    ("POST", "/api/v1/projects/{nek}/views/budget", "GET, HEAD, OPTIONS"),
])
def test_a_method_the_resource_does_not_have_is_405_naming_the_allowed_ones(
        client: FlaskClient, nek: str, method: str, path: str, allow: str) -> None:
    response = client.open(path.format(nek=nek), method=method, json={},
                           headers=bearer("admin"))

    assert (response.status_code, problem(response)["title"],
            sorted(response.headers["Allow"].split(", "))) == (
        405, "Method Not Allowed", allow.split(", "))


@pytest.mark.parametrize("path", ["/api/v1/projects/{nek}", "/api/v1/projects/{nek}/calendar",
                                  "/api/v1/calendar.ics", "/api/v1/nowhere"])
def test_a_post_without_a_json_body_where_there_is_no_post_is_405_or_404_not_415(
        client: FlaskClient, nek: str, path: str) -> None:
    response = client.post(path.format(nek=nek), data="x=1", headers=bearer("admin"))

    assert (response.status_code, problem(response)["status"]) == (
        (404, 404) if path.endswith("nowhere") else (405, 405))


# ---- 409: the rule that refused, and nothing recorded --------------------------------------


def _refused_by_rule(client: FlaskClient, project_id: str, path: str, body: object,
                     role: str) -> tuple[int, str, str, str, int]:
    before = event_count(client, project_id)
    response = post(client, path, body, role)
    refusal = problem(response)
    return (response.status_code, refusal["rule"], refusal["type"], refusal["title"],
            event_count(client, project_id) - before)


def test_registering_a_number_twice_is_409_project_already_registered(
        client: FlaskClient, nek: str) -> None:
    outcome = _refused_by_rule(client, nek, PROJECTS, nek_registration(acronym="AGAIN"),
                               "manager")

    assert outcome == (409, "PROJECT_ALREADY_REGISTERED",
                       "urn:grantledger:rule:PROJECT_ALREADY_REGISTERED",
                       "Project already registered", 0)


def test_the_same_suppliers_document_on_the_same_line_twice_is_409_double_financing(
        client: FlaskClient, nek: str) -> None:
    record_expense(client, nek, "TRAVEL", "100000.00", document_number="FV-2016-0042")

    outcome = _refused_by_rule(
        client, nek, project_path(nek, "expenses"),
        expense_body("TRAVEL", "5000.00", document_number="FV-2016-0042"), "accountant")

    assert outcome == (409, "DOUBLE_FINANCING", "urn:grantledger:rule:DOUBLE_FINANCING",
                       "Double financing", 0)


def test_reversing_an_expense_already_reversed_is_409_expense_reversed(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    command(client, nek, f"expenses/{travel_expense}/reversal", {"reason": "booked twice"},
            "accountant")

    outcome = _refused_by_rule(client, nek,
                               project_path(nek, "expenses", travel_expense, "reversal"),
                               {"reason": "booked twice"}, "accountant")

    assert outcome == (409, "EXPENSE_REVERSED", "urn:grantledger:rule:EXPENSE_REVERSED",
                       "Expense reversed", 0)


def test_paying_an_expense_already_paid_is_409_expense_already_paid(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    outcome = _refused_by_rule(client, nek,
                               project_path(nek, "expenses", travel_expense, "payment"),
                               {"paid_on": "2016-07-15"}, "accountant")

    assert outcome == (409, "EXPENSE_ALREADY_PAID", "urn:grantledger:rule:EXPENSE_ALREADY_PAID",
                       "Expense already paid", 0)


def test_a_second_final_claim_is_409_second_final_claim(client: FlaskClient, nek: str) -> None:
    first = record_expense(client, nek, "TRAVEL", "1000.00")
    second = record_expense(client, nek, "TRAVEL", "2000.00")
    command(client, nek, "payment-claims", claim_body("1", [first], final=True))

    outcome = _refused_by_rule(client, nek, project_path(nek, "payment-claims"),
                               claim_body("2", [second], stage="2", final=True,
                                          submitted_on="2018-04-20"), "manager")

    assert outcome == (409, "SECOND_FINAL_CLAIM", "urn:grantledger:rule:SECOND_FINAL_CLAIM",
                       "Second final claim", 0)


def test_a_notified_transfer_beyond_the_tolerance_is_409_transfer_beyond_tolerance(
        client: FlaskClient, nek: str) -> None:
    outcome = _refused_by_rule(client, nek, project_path(nek, "budget-changes"),
                               budget_change_body("RENT", "TRAVEL", "0.01", kind="notified"),
                               "manager")

    assert outcome == (409, "TRANSFER_BEYOND_TOLERANCE",
                       "urn:grantledger:rule:TRANSFER_BEYOND_TOLERANCE",
                       "Transfer beyond tolerance", 0)


def test_claiming_an_unpaid_expense_is_409_expense_not_claimable(
        client: FlaskClient, nek: str) -> None:
    unpaid = record_expense(client, nek, "TRAVEL", "1000.00", paid_on=None)

    outcome = _refused_by_rule(client, nek, project_path(nek, "payment-claims"),
                               claim_body("1", [unpaid]), "manager")

    assert outcome == (409, "EXPENSE_NOT_CLAIMABLE",
                       "urn:grantledger:rule:EXPENSE_NOT_CLAIMABLE", "Expense not claimable", 0)


# ---- 413, 415 -------------------------------------------------------------------------------


def test_a_body_over_1_mib_is_413_and_records_nothing(client: FlaskClient, nek: str) -> None:
    body = expense_body(description="x" * (1024 * 1024))

    response = post(client, project_path(nek, "expenses"), body, "accountant")

    assert (response.status_code, problem(response)["title"], event_count(client, nek)) == (
        413, "Request Entity Too Large", 1)


@pytest.mark.parametrize(("content_type", "data"), [
    ("text/plain", '{"paid_on": "2016-07-01"}'),
    ("application/x-www-form-urlencoded", "paid_on=2016-07-01"),
    (None, '{"paid_on": "2016-07-01"}'),
])
def test_a_command_whose_body_is_not_json_is_415(
        client: FlaskClient, nek: str, travel_expense: str, content_type: str | None,
        data: str) -> None:
    headers = bearer("accountant") | ({"Content-Type": content_type} if content_type else {})

    response = client.post(project_path(nek, "expenses", travel_expense, "payment"), data=data,
                           headers=headers)

    assert (response.status_code, problem(response)["title"], event_count(client, nek)) == (
        415, "Unsupported Media Type", 2)


# ---- 422: each bad field named --------------------------------------------------------------


def _invalid_fields(client: FlaskClient, project_id: str, path: str, body: object,
                    role: str) -> tuple[int, str, list[str], int]:
    before = event_count(client, project_id)
    response = post(client, path, body, role)
    refusal = problem(response)
    return (response.status_code, refusal["type"], sorted(refusal["errors"]),
            event_count(client, project_id) - before)


VALIDATION = "urn:grantledger:problem:validation"


def test_an_expense_on_a_budget_line_the_project_does_not_have_is_422_naming_budget_line(
        client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "expenses"),
                              expense_body("CATERING"), "accountant")

    assert outcome == (422, VALIDATION, ["budget_line"], 0)


def test_an_expense_of_an_activity_the_project_does_not_have_is_422_naming_activity(
        client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "expenses"),
                              expense_body(activity="9.9"), "accountant")

    assert outcome == (422, VALIDATION, ["activity"], 0)


def test_an_expense_missing_its_required_fields_is_422_naming_each(
        client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "expenses"),
                              {"budget_line": "TRAVEL"}, "accountant")

    assert outcome == (422, VALIDATION, ["amount_net", "description", "document_number",
                                         "document_type", "supplier", "tax_point_date"], 0)


def test_money_sent_as_a_json_float_is_422_naming_the_field(
        client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "expenses"),
                              expense_body(amount_net=100000.5, vat=21000.0), "accountant")

    assert outcome == (422, VALIDATION, ["amount_net", "vat"], 0)


def test_an_unknown_field_is_422_naming_it(client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "expenses"),
                              expense_body(currency="EUR"), "accountant")

    assert outcome == (422, VALIDATION, ["currency"], 0)


def test_bad_nested_fields_are_422_named_by_their_path(client: FlaskClient, nek: str) -> None:
    body = expense_body(supplier={"name": "ČEZ, a. s.", "ico": "123", "country": "CZ"},
                        attachments=[{"kind": "invoice", "file_name": "a.pdf", "sha256": "x"}])

    outcome = _invalid_fields(client, nek, project_path(nek, "expenses"), body, "accountant")

    assert outcome == (422, VALIDATION, ["attachments.0.sha256", "supplier.ico"], 0)


def test_a_transfer_from_a_line_the_project_does_not_have_is_422_naming_it(
        client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "budget-changes"),
                              budget_change_body("CATERING", "TRAVEL", "1.00"), "manager")

    assert outcome == (422, VALIDATION, ["transfers.0.from_line"], 0)


def test_a_claim_of_a_stage_the_project_does_not_have_is_422_naming_stage(
        client: FlaskClient, nek: str, travel_expense: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "payment-claims"),
                              claim_body("1", [travel_expense], stage="3"), "manager")

    assert outcome == (422, VALIDATION, ["stage"], 0)


def test_a_claim_of_an_expense_the_project_does_not_have_is_422_naming_expense_ids(
        client: FlaskClient, nek: str) -> None:
    outcome = _invalid_fields(client, nek, project_path(nek, "payment-claims"),
                              claim_body("1", [str(uuid.uuid4())]), "manager")

    assert outcome == (422, VALIDATION, ["expense_ids"], 0)


def test_a_registration_with_bad_fields_is_422_naming_each(client: FlaskClient) -> None:
    body = nek_registration(support_rate="1.5", max_subsidy=3888100.5, realisation_end="2018-3-31")
    del body["provider"]

    response = post(client, PROJECTS, body, "manager")

    assert (response.status_code, sorted(problem(response)["errors"]),
            get(client, PROJECTS).get_json()["projects"]) == (
        422, ["max_subsidy", "provider", "realisation_end", "support_rate"], [])


def test_a_registration_breaking_a_rule_of_the_domain_is_422_naming_the_field(
        client: FlaskClient) -> None:
    response = post(client, PROJECTS, nek_registration(max_subsidy="3888101.00"), "manager")

    assert (response.status_code, list(problem(response)["errors"]),
            get(client, PROJECTS).get_json()["projects"]) == (422, ["max_subsidy"], [])


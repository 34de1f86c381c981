"""Indicators and reports through the API: registration, submission, approval and return, the
reports and the indicators view, refusals (404, 409, 422), `as_of` around a return, ETags."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from api_builders import (
    PROJECTS,
    claim_body,
    command,
    get,
    nek_registration,
    post,
    problem,
    project_path,
    record_expense,
    register_nek,
    report_body,
)
from flask.testing import FlaskClient

Frozen = Callable[[str], AbstractContextManager[None]]

# DOMAIN.md: NEK's indicators and their targets are not published; these are illustrative.
INDICATORS = [
    {"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
     "baseline": "0", "target": "5", "kind": "to_achieve"},
    {"code": "PROPOSALS", "name": "Joint R&D&I project proposals", "unit": "proposals",
     "baseline": "0", "target": "2", "kind": "to_select"},
]


@pytest.fixture
def nek(client: FlaskClient) -> str:
    """NEK with its two illustrative indicators and the default report schedule."""
    return register_nek(client, indicators=INDICATORS)


def submit(client: FlaskClient, project_id: str, code: str, submitted_on: str,
           partners: str = "2", proposals: str = "0", role: str = "manager") -> Any:
    return post(client, project_path(project_id, f"reports/{code}/submission"),
                report_body(submitted_on, ("PARTNERS", partners), ("PROPOSALS", proposals)),
                role)


def decide(client: FlaskClient, project_id: str, code: str, how: str, decided_on: str,
           role: str = "auditor") -> Any:
    body: dict[str, str] = {"decided_on": decided_on}
    if how == "return":
        body["reason"] = "name the partners in the comment"
    return post(client, project_path(project_id, f"reports/{code}/{how}"), body, role)


def report(client: FlaskClient, project_id: str, code: str, query: str = "") -> Any:
    return get(client, project_path(project_id, f"reports/{code}{query}")).get_json()


# ---- registration ---------------------------------------------------------------------------


def test_a_project_reads_back_its_indicators_and_its_default_schedule(
        client: FlaskClient, nek: str) -> None:
    project = get(client, project_path(nek)).get_json()

    assert ({k: project[k] for k in ("indicators", "sustainability_years", "retention_until",
                                     "default_report_schedule")},
            [(r["code"], r["kind"], r["period_start"], r["period_end"], r["due"])
             for r in project["reports"]]) == (
        {"indicators": INDICATORS, "sustainability_years": 5, "retention_until": "2033-12-31",
         "default_report_schedule": True},
        [("ZOR-1", "implementation", "2016-04-01", "2017-03-31", "2017-05-30"),
         ("ZZOR", "final_implementation", "2017-04-01", "2018-03-31", "2018-05-30"),
         ("ZOU-1", "sustainability", "2018-04-01", "2019-03-31", "2019-04-30"),
         ("ZOU-2", "sustainability", "2019-04-01", "2020-03-31", "2020-04-30"),
         ("ZOU-3", "sustainability", "2020-04-01", "2021-03-31", "2021-04-30"),
         ("ZOU-4", "sustainability", "2021-04-01", "2022-03-31", "2022-04-30"),
         ("ZZOU", "final_sustainability", "2022-04-01", "2023-03-31", "2023-04-30")])


def test_an_explicit_schedule_reads_back_as_given(client: FlaskClient) -> None:
    given = [{"code": "ZoR-2017", "kind": "implementation", "period_start": "2016-04-01",
              "period_end": "2017-03-31", "due": "2017-04-30"}]
    project_id = register_nek(client, reports=given, sustainability_years=3,
                              retention_until="2030-12-31")

    project = get(client, project_path(project_id)).get_json()

    assert (project["reports"], project["default_report_schedule"],
            project["sustainability_years"], project["retention_until"]) == (
        given, False, 3, "2030-12-31")


@pytest.mark.parametrize(("changes", "field"), [
    ({"reports": [{"code": "R", "kind": "implementation", "period_start": "2016-04-01",
                   "period_end": "2017-03-31", "due": "2017-03-30"}]}, "reports.R.due"),
    ({"indicators": [{**INDICATORS[0], "target": "0.00"}]}, "indicators.PARTNERS.target"),
    ({"indicators": [INDICATORS[0], INDICATORS[0]]}, "indicators"),
])
def test_a_registration_breaking_a_rule_of_indicators_or_reports_is_422(
        client: FlaskClient, changes: dict[str, Any], field: str) -> None:
    response = post(client, PROJECTS, nek_registration(**changes), "manager")

    assert (response.status_code, list(problem(response)["errors"])) == (422, [field])


# ---- submission, approval and return --------------------------------------------------------


def test_a_submitted_report_reads_back_with_its_values_and_comments(
        client: FlaskClient, nek: str) -> None:
    response = submit(client, nek, "ZOR-1", "2017-05-02", partners="2.5")

    body = report(client, nek, "ZOR-1", "?on=2017-06-01")
    assert (response.status_code, response.get_json()) == (200, {"position": 2})
    assert {k: v for k, v in body.items() if k != "submissions"} == {
        "code": "ZOR-1", "kind": "implementation", "period_start": "2016-04-01",
        "period_end": "2017-03-31", "due": "2017-05-30", "submitted_on": "2017-05-02",
        "decided_on": None, "status": "submitted", "days_late": 0}
    (submission,) = body["submissions"]
    assert ({k: submission[k] for k in ("submitted_on", "indicator_values", "narrative",
                                        "recorded_by", "decision")}) == {
        "submitted_on": "2017-05-02", "narrative": None,
        "recorded_by": {"name": "manager", "role": "manager", "subject": "manager"},
        "decision": None,
        "indicator_values": [
            {"code": "PARTNERS", "value": "2.5", "comment": "PARTNERS: as counted"},
            {"code": "PROPOSALS", "value": "0", "comment": "PROPOSALS: as counted"}]}


def test_a_returned_report_submitted_again_and_approved_keeps_every_version(
        client: FlaskClient, nek: str) -> None:
    submit(client, nek, "ZOR-1", "2017-05-02")
    decide(client, nek, "ZOR-1", "return", "2017-05-10")
    submit(client, nek, "ZOR-1", "2017-05-15", partners="3")
    response = decide(client, nek, "ZOR-1", "approval", "2017-05-20")

    body = report(client, nek, "ZOR-1", "?on=2017-06-01")
    assert (response.status_code, body["status"], body["submitted_on"], body["decided_on"]) == (
        200, "approved", "2017-05-15", "2017-05-20")
    assert [(s["submitted_on"], s["indicator_values"][0]["value"], s["decision"])
            for s in body["submissions"]] == [
        ("2017-05-02", "2", {"decision": "returned", "decided_on": "2017-05-10",
                             "reason": "name the partners in the comment",
                             "recorded_by": {"name": "auditor", "role": "auditor",
                                             "subject": "auditor"}}),
        ("2017-05-15", "3", {"decision": "approved", "decided_on": "2017-05-20",
                             "reason": None,
                             "recorded_by": {"name": "auditor", "role": "auditor",
                                             "subject": "auditor"}})]


def test_the_reports_list_has_every_scheduled_report_with_its_status(
        client: FlaskClient, nek: str) -> None:
    submit(client, nek, "ZOR-1", "2017-05-31")

    body = get(client, project_path(nek, "reports?on=2018-06-01")).get_json()

    assert (body["project_id"], body["position"], body["as_of"], body["on"],
            [(r["code"], r["status"], r["days_late"]) for r in body["reports"]]) == (
        nek, 2, None, "2018-06-01",
        [("ZOR-1", "submitted", 1), ("ZZOR", "overdue", 2), ("ZOU-1", "pending", 0),
         ("ZOU-2", "pending", 0), ("ZOU-3", "pending", 0), ("ZOU-4", "pending", 0),
         ("ZZOU", "pending", 0)])


def test_the_schedule_view_shows_the_reports_and_their_flags(
        client: FlaskClient, nek: str) -> None:
    expense = record_expense(client, nek, "TRAVEL", "1000.00")
    command(client, nek, "payment-claims", claim_body("1", [expense]))

    view = get(client, project_path(nek, "views/schedule?on=2017-06-01")).get_json()

    assert (view["reports"][0], [(f["rule"], f["refs"][:2]) for f in view["flags"]
                                 if f["rule"] in ("REPORT_OVERDUE", "CLAIM_WITHOUT_REPORT")]) == (
        {"code": "ZOR-1", "kind": "implementation", "period_start": "2016-04-01",
         "period_end": "2017-03-31", "due": "2017-05-30", "submitted_on": None,
         "decided_on": None, "status": "overdue", "days_late": 2},
        [("REPORT_OVERDUE", [{"type": "report", "id": "ZOR-1"}, {"type": "event", "id": "1"}]),
         ("CLAIM_WITHOUT_REPORT", [{"type": "claim", "id": "1"},
                                   {"type": "report", "id": "ZOR-1"}])])


def test_the_portfolio_counts_overdue_reports_and_indicators_in_shortfall(
        client: FlaskClient, nek: str) -> None:
    row = get(client, "/api/v1/portfolio?on=2018-06-01").get_json()["projects"][0]

    assert (row["reports_overdue"], row["indicators_shortfall"]) == (2, 1)


# ---- the indicators view ---------------------------------------------------------------------


def test_the_indicators_view_shows_each_indicators_value_achievement_and_status(
        client: FlaskClient, nek: str) -> None:
    submit(client, nek, "ZOR-1", "2017-05-02", partners="4", proposals="1")

    view = get(client, project_path(nek, "views/indicators?on=2018-04-01")).get_json()

    assert view == {
        "project_id": nek, "position": 2, "as_of": None, "on": "2018-04-01",
        "indicators": [
            {**INDICATORS[0], "value": "4", "reported_in": "ZOR-1", "achievement": "0.8000",
             "status": "shortfall"},
            {**INDICATORS[1], "value": "1", "reported_in": "ZOR-1", "achievement": "0.5000",
             "status": "in_progress"},
        ],
        "flags": [{
            "rule": "INDICATOR_SHORTFALL", "severity": "error",
            "message": "Indicator PARTNERS (Foreign partners cooperating) was to reach 5 "
                       "partners from 0 by the realisation end 2018-03-31; report ZOR-1 states "
                       "4 (achievement 0.8000).",
            "refs": [{"type": "indicator", "id": "PARTNERS"}, {"type": "report", "id": "ZOR-1"},
                     {"type": "event", "id": "1"}, {"type": "event", "id": "2"}]}],
    }


def test_as_of_before_and_after_a_return_shows_the_value_and_then_none(
        client: FlaskClient, frozen: Frozen) -> None:
    with frozen("2017-05-02 09:00:00"):
        project_id = register_nek(client, indicators=INDICATORS)
        submit(client, project_id, "ZOR-1", "2017-05-02", partners="3")
    with frozen("2017-05-10 09:00:00"):
        decide(client, project_id, "ZOR-1", "return", "2017-05-10")

    before, after = (
        get(client, project_path(project_id, f"views/indicators?as_of={moment}")).get_json()
        for moment in ("2017-05-05T00:00:00Z", "2017-05-11T00:00:00Z"))
    reports = [report(client, project_id, "ZOR-1", f"?as_of={moment}")
               for moment in ("2017-05-05T00:00:00Z", "2017-05-11T00:00:00Z")]

    assert [(v["position"], v["on"], v["indicators"][0]["value"], v["indicators"][0]["status"])
            for v in (before, after)] == [(2, "2017-05-05", "3", "in_progress"),
                                          (3, "2017-05-11", None, "not_reported")]
    assert [(r["status"], len(r["submissions"])) for r in reports] == [
        ("submitted", 1), ("returned", 1)]


def test_the_indicators_view_has_an_etag_that_a_submission_changes(
        client: FlaskClient, nek: str) -> None:
    etag = get(client, project_path(nek, "views/indicators")).headers["ETag"]
    unchanged = get(client, project_path(nek, "views/indicators"), If_None_Match=etag)
    submit(client, nek, "ZOR-1", "2017-05-02")

    changed = get(client, project_path(nek, "views/indicators"), If_None_Match=etag)

    assert (unchanged.status_code, unchanged.data, changed.status_code,
            changed.headers["ETag"] != etag, changed.get_json()["indicators"][0]["value"]) == (
        304, b"", 200, True, "2")


# ---- refusals -------------------------------------------------------------------------------


def test_an_unknown_report_in_the_path_is_404(client: FlaskClient, nek: str) -> None:
    submitted = submit(client, nek, "ZOR-9", "2017-05-02")
    read = get(client, project_path(nek, "reports/ZOR-9"))

    assert [(r.status_code, problem(r)["title"]) for r in (submitted, read)] == [
        (404, "Unknown report"), (404, "Not Found")]


def test_reports_of_an_unknown_project_are_404(client: FlaskClient) -> None:
    unknown = "00000000-0000-5000-8000-000000000000"

    responses = [get(client, project_path(unknown, "reports")),
                 get(client, project_path(unknown, "views/indicators")),
                 submit(client, unknown, "ZOR-1", "2017-05-02")]

    assert [r.status_code for r in responses] == [404, 404, 404]


@pytest.mark.parametrize(("steps", "rule"), [
    ([("submit", "2017-05-02"), ("submit", "2017-05-03")], "REPORT_ALREADY_SUBMITTED"),
    ([("submit", "2017-05-02"), ("approval", "2017-05-03"), ("submit", "2017-05-04")],
     "REPORT_ALREADY_APPROVED"),
    ([("approval", "2017-05-03")], "REPORT_NOT_SUBMITTED"),
    ([("submit", "2017-05-02"), ("return", "2017-05-03"), ("approval", "2017-05-04")],
     "REPORT_ALREADY_DECIDED"),
    ([("submit", "2017-03-30")], "REPORT_PERIOD_NOT_ENDED"),
    ([("submit", "2199-01-01")], "REPORT_DATE_IN_FUTURE"),
    ([("submit", "2017-05-02"), ("return", "2017-05-01")], "REPORT_DATE_OUT_OF_ORDER"),
])
def test_a_report_command_the_state_refuses_is_409_naming_its_rule(
        client: FlaskClient, nek: str, steps: list[tuple[str, str]], rule: str) -> None:
    *before, (last, day) = steps
    for step, when in before:
        response = submit(client, nek, "ZOR-1", when) if step == "submit" else \
            decide(client, nek, "ZOR-1", step, when)
        assert response.status_code == 200, response.get_data(as_text=True)

    response = submit(client, nek, "ZOR-1", day) if last == "submit" else \
        decide(client, nek, "ZOR-1", last, day)

    body = problem(response)
    assert (response.status_code, body["rule"], body["type"]) == (
        409, rule, f"urn:grantledger:rule:{rule}")


def test_a_report_missing_an_indicator_is_422_naming_the_rule(
        client: FlaskClient, nek: str) -> None:
    body = report_body("2017-05-02", ("PARTNERS", "2"))

    response = post(client, project_path(nek, "reports/ZOR-1/submission"), body, "manager")

    assert (response.status_code, problem(response)["rule"], problem(response)["errors"]) == (
        422, "INDICATOR_MISSING", {"indicator_values": [
            "a report states every indicator, even at 0, with a comment: PROPOSALS missing"]})


@pytest.mark.parametrize(("change", "field", "rule"), [
    ({"comment": "  "}, "indicator_values.1.comment", None),
    ({"value": "-1"}, "indicator_values.1.value", None),
    ({"value": 1.5}, "indicator_values.1.value", None),
    ({"code": "JOBS"}, "indicator_values.1.code", None),
    ({"code": "PARTNERS"}, "indicator_values.1.code", "INDICATOR_GIVEN_TWICE"),
])
def test_a_bad_indicator_value_is_422_naming_the_field(
        client: FlaskClient, nek: str, change: dict[str, Any], field: str,
        rule: str | None) -> None:
    body = report_body("2017-05-02", ("PARTNERS", "2"), ("PROPOSALS", "0"))
    body["indicator_values"][1].update(change)

    response = post(client, project_path(nek, "reports/ZOR-1/submission"), body, "manager")

    assert (response.status_code, list(problem(response)["errors"]),
            problem(response).get("rule")) == (422, [field], rule)


def test_a_return_without_a_reason_is_422(client: FlaskClient, nek: str) -> None:
    submit(client, nek, "ZOR-1", "2017-05-02")

    response = post(client, project_path(nek, "reports/ZOR-1/return"),
                    {"decided_on": "2017-05-03"}, "auditor")

    assert (response.status_code, list(problem(response)["errors"])) == (422, ["reason"])


@pytest.mark.parametrize(("path", "role"), [
    ("reports/ZOR-1/submission", "auditor"),
    ("reports/ZOR-1/approval", "manager"),
    ("reports/ZOR-1/return", "viewer"),
])
def test_a_report_command_by_the_wrong_role_is_403(
        client: FlaskClient, nek: str, path: str, role: str) -> None:
    response = post(client, project_path(nek, path),
                    {**report_body("2017-05-02"), "decided_on": "2017-05-03"}, role)

    assert (response.status_code, problem(response)["title"]) == (403, "Forbidden")

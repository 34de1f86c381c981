"""The obligations calendar through the API: JSON, the iCalendar feeds read back by two
independent parsers (icalendar and vobject), stable UIDs, and feed keys that open the two
feeds and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject
from api_builders import (
    API,
    OTHER_NUMBER,
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
from flask import Flask
from flask.testing import FlaskClient
from support import auth, make_settings

from service.web.app import create_app
from service.web.feed_keys import feed_key, subject_feed_key

SECRET = "feed-secret-for-the-tests"
INDICATORS = [{"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
               "baseline": "0", "target": "5", "kind": "to_achieve"}]
ON = "on=2017-06-01"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    """The app with feed keys enabled (GRANTLEDGER_FEED_SECRET set)."""
    app = create_app(make_settings(sqlite_url, feed_secret=SECRET))
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def nek(client: FlaskClient) -> str:
    """NEK with an indicator, ZOR-1 submitted on its due day, the milestone not achieved."""
    project_id = register_nek(client, indicators=INDICATORS, sustainability_years=2)
    command(client, project_id, "reports/ZOR-1/submission",
            report_body("2017-05-30", ("PARTNERS", "1")))
    return project_id


def entries(client: FlaskClient, project_id: str, query: str = ON) -> list[dict[str, Any]]:
    response = get(client, project_path(project_id, f"calendar?{query}"))
    assert response.status_code == 200, response.get_data(as_text=True)
    found: list[dict[str, Any]] = response.get_json()["entries"]
    return found


def feed(client: FlaskClient, path: str, **headers: str) -> Any:
    response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def viewer() -> dict[str, str]:
    return auth("viewer")


# ---- JSON -----------------------------------------------------------------------------------


def test_the_calendar_lists_every_obligation_by_date_with_its_status(
        client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, f"calendar?{ON}"))

    body = response.get_json()
    assert (body["project_id"], body["position"], body["on"]) == (nek, 2, "2017-06-01")
    assert [(e["date"], e["kind"], e["status"], e["refs"]) for e in body["entries"]] == [
        ("2017-05-30", "claim_deadline", "overdue", []),
        ("2017-05-30", "report_due", "done", [{"type": "report", "id": "ZOR-1"},
                                              {"type": "event", "id": "2"}]),
        ("2017-09-30", "activity_end", "pending", [{"type": "activity", "id": "3.4"}]),
        ("2017-09-30", "milestone_due", "pending", [{"type": "milestone", "id": "ECEI_BRONZE"}]),
        ("2018-03-31", "activity_end", "pending", [{"type": "activity", "id": "3"}]),
        ("2018-05-30", "final_claim_deadline", "pending", []),
        ("2018-05-30", "report_due", "pending", [{"type": "report", "id": "ZZOR"}]),
        ("2019-04-30", "report_due", "pending", [{"type": "report", "id": "ZOU-1"}]),
        ("2020-03-31", "sustainability_end", "pending", []),
        ("2020-04-30", "report_due", "pending", [{"type": "report", "id": "ZZOU"}]),
        ("2033-12-31", "retention_end", "pending", []),
    ]


def test_from_and_to_keep_the_entries_dated_within_them(client: FlaskClient, nek: str) -> None:
    kept = entries(client, nek, f"{ON}&from=2017-09-30&to=2018-05-30")

    assert [(e["date"], e["kind"]) for e in kept] == [
        ("2017-09-30", "activity_end"), ("2017-09-30", "milestone_due"),
        ("2018-03-31", "activity_end"), ("2018-05-30", "final_claim_deadline"),
        ("2018-05-30", "report_due")]


def test_from_after_to_is_400(client: FlaskClient, nek: str) -> None:
    response = get(client, project_path(nek, "calendar?from=2018-01-02&to=2018-01-01"))

    assert (response.status_code, problem(response)["errors"]) == (
        400, {"from": ["`from` must not be after `to`."]})


def test_the_calendar_of_an_unknown_project_is_404(client: FlaskClient) -> None:
    unknown = "00000000-0000-5000-8000-000000000000"

    responses = [get(client, project_path(unknown, name)) for name in ("calendar",
                                                                       "calendar.ics")]

    assert [r.status_code for r in responses] == [404, 404]


# ---- iCalendar ------------------------------------------------------------------------------


def test_the_feed_has_one_all_day_event_per_entry_that_icalendar_reads_back(
        client: FlaskClient, nek: str) -> None:
    expected = entries(client, nek)

    response = feed(client, f"/projects/{nek}/calendar.ics?{ON}", **viewer())

    calendar = icalendar.Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert (response.mimetype, str(calendar["VERSION"]), str(calendar["X-WR-CALNAME"])) == (
        "text/calendar", "2.0", "OPEIC – obligations")
    assert [(str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]),
             e["DTSTART"].params.get("VALUE"), str(e["TRANSP"])) for e in events] == [
        (x["uid"], date.fromisoformat(x["date"]), date.fromisoformat(x["date"]) + timedelta(1),
         f"[{x['status']}] OPEIC: {x['title']}", "DATE", "TRANSPARENT") for x in expected]
    assert str(events[1]["DESCRIPTION"]) == (
        "Report ZOR-1 due (implementation report, 2016-04-01 – 2017-03-31)\n"
        "Status on 2017-06-01: done\n"
        "Project OPEIC (CZ.01.1.02/0.0/0.0/15_009/0002300)\n"
        "Refers to: report ZOR-1, event 2")


def test_a_second_independent_parser_reads_every_entry(client: FlaskClient, nek: str) -> None:
    expected = entries(client, nek)

    text = feed(client, f"/projects/{nek}/calendar.ics?{ON}", **viewer()).get_data(as_text=True)

    parsed = vobject.readOne(text)
    assert [(e.uid.value, e.dtstart.value, e.summary.value) for e in parsed.vevent_list] == [
        (x["uid"], date.fromisoformat(x["date"]), f"[{x['status']}] OPEIC: {x['title']}")
        for x in expected]


def test_uids_stay_the_same_across_calls_and_after_an_unrelated_event(
        client: FlaskClient, nek: str) -> None:
    def uids() -> list[str]:
        body = feed(client, f"/projects/{nek}/calendar.ics?{ON}", **viewer()).data
        return [str(e["UID"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]

    first, second = uids(), uids()
    record_expense(client, nek, "TRAVEL", "1000.00")
    command(client, nek, "milestones/ECEI_BRONZE/achievement", {"achieved_on": "2017-05-01"})
    third = uids()

    assert (first == second == third, len(set(first)), len(first)) == (True, 11, 11)


def test_the_portfolio_feed_holds_every_projects_entries(client: FlaskClient, nek: str) -> None:
    other = register_nek(client, registration_number="CZ.01.1.02/0.0/0.0/15_009/0009999",
                         acronym="NANO", reports=[])

    body = feed(client, f"/calendar.ics?{ON}", **viewer()).data

    summaries = [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    expected = [f"[{e['status']}] OPEIC: {e['title']}" for e in entries(client, nek)] + [
        f"[{e['status']}] NANO: {e['title']}" for e in entries(client, other)]
    assert (summaries, len(expected)) == (expected, 11 + 7)


# ---- feed keys ------------------------------------------------------------------------------


def test_a_feed_key_opens_both_feeds(client: FlaskClient, nek: str) -> None:
    key = feed_key(SECRET, "viewer")

    project, portfolio = (client.get(f"{API}{path}?key={key}")
                          for path in (f"/projects/{nek}/calendar.ics", "/calendar.ics"))

    assert [(r.status_code, r.mimetype) for r in (project, portfolio)] == [
        (200, "text/calendar"), (200, "text/calendar")]


@pytest.mark.parametrize("path", [
    "/projects/{nek}/calendar", "/projects/{nek}/views/budget", "/projects/{nek}/reports",
    "/projects/{nek}", "/portfolio", "/projects/{nek}/events",
])
def test_a_feed_key_opens_nothing_else(client: FlaskClient, nek: str, path: str) -> None:
    key = feed_key(SECRET, "admin")

    response = client.get(f"{API}{path.format(nek=nek)}?key={key}")

    assert (response.status_code, problem(response)["title"]) == (401, "Unauthorized")


def test_a_feed_key_records_nothing(client: FlaskClient, nek: str) -> None:
    key = feed_key(SECRET, "admin")

    response = client.post(
        f"{API}/projects/{nek}/reports/ZZOR/submission?key={key}",
        json=report_body("2018-04-20", ("PARTNERS", "1")))

    assert response.status_code == 401


@pytest.mark.parametrize("key", [
    "not-a-key", feed_key("another-secret", "viewer"), feed_key(SECRET, "someone-unknown"),
])
def test_a_wrong_feed_key_is_401(client: FlaskClient, nek: str, key: str) -> None:
    response = client.get(f"{API}/projects/{nek}/calendar.ics?key={key}")

    assert (response.status_code, problem(response)["detail"]) == (
        401, "the feed key is not valid (changing GRANTLEDGER_FEED_SECRET revokes every key): "
             "ask for a new one (grantledger feed-key)")


def test_without_a_feed_secret_a_feed_key_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url))
    try:
        response = app.test_client().get(
            f"{API}/calendar.ics?key={feed_key(SECRET, 'viewer')}")
    finally:
        app.extensions["grantledger"].close()

    assert (response.status_code, problem(response)["detail"]) == (
        401, "feed keys are not enabled on this server: set GRANTLEDGER_FEED_SECRET, or send "
             "a bearer token")


def test_a_feed_without_a_token_or_a_key_is_401(client: FlaskClient, nek: str) -> None:
    response = client.get(f"{API}/projects/{nek}/calendar.ics")

    assert response.status_code == 401


def test_the_calendar_reads_a_project_registered_without_reports(client: FlaskClient) -> None:
    project_id = register_nek(client, reports=[], milestones=[], activities=[])

    kinds = [e["kind"] for e in entries(client, project_id)]

    assert kinds == ["claim_deadline", "final_claim_deadline", "sustainability_end",
                     "retention_end"]


def test_a_registration_body_with_indicators_is_accepted_by_the_feed_app(
        client: FlaskClient) -> None:
    response = post(client, f"{API}/projects", nek_registration(indicators=INDICATORS),
                    "manager")

    assert response.status_code == 201


# ---- feed keys and grants (API.md 1.2) ----------------------------------------------------


def _grant(client: FlaskClient, project_id: str, subject: str, role: str = "viewer") -> None:
    response = post(client, project_path(project_id, "access"),
                    {"subject": subject, "role": role}, "admin")
    assert response.status_code == 201, response.get_data(as_text=True)


def test_the_callers_feed_key_shows_what_its_subject_may_read(
        client: FlaskClient, nek: str) -> None:
    other = register_nek(client, registration_number=OTHER_NUMBER, acronym="OTHER")
    _grant(client, other, "jana")

    answer = post(client, f"{API}/me/feed-key", {}, "jana")
    key = answer.get_json()["key"]
    feed = client.get(f"{API}/calendar.ics?key={key}").get_data(as_text=True)
    own = client.get(project_path(other, f"calendar.ics?key={key}"))
    theirs = client.get(project_path(nek, f"calendar.ics?key={key}"))

    assert (answer.status_code, key) == (201, feed_key(SECRET, "jana"))
    assert answer.get_json()["url"] == f"http://localhost{API}/calendar.ics?key={key}"
    assert ("OTHER" in feed, "OPEIC" in feed) == (True, False)
    assert (own.status_code, theirs.status_code) == (200, 404)


def test_revoking_a_grant_removes_the_project_from_the_feed(
        client: FlaskClient, nek: str) -> None:
    _grant(client, nek, "jana")
    key = feed_key(SECRET, "jana")
    before = client.get(f"{API}/calendar.ics?key={key}").get_data(as_text=True)

    post(client, project_path(nek, "access/revocation"),
         {"subject": "jana", "reason": "left NEK"}, "admin")

    after = client.get(f"{API}/calendar.ics?key={key}").get_data(as_text=True)
    assert ("OPEIC" in before, "OPEIC" in after) == (True, False)


def test_an_oidc_subjects_key_carries_the_subject_and_reads_its_grants(
        client: FlaskClient, nek: str) -> None:
    subject = "https://login.example.cz/realms/nek#4f1c"
    _grant(client, nek, subject)
    key = subject_feed_key(SECRET, subject)
    forged = subject_feed_key("another-secret-of-24-chars", subject)

    assert client.get(project_path(nek, f"calendar.ics?key={key}")).status_code == 200
    assert client.get(project_path(nek, f"calendar.ics?key={forged}")).status_code == 401

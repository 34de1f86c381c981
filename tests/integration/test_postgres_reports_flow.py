"""Indicators, reports and the calendar end to end through the API on PostgreSQL: the figures
read back exactly, from the projector's views and from the process's copy of them, and a feed
key opens the calendar."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from uuid import UUID

import icalendar
import pytest
import vobject
from api_builders import (
    API,
    command,
    get,
    post,
    project_path,
    record_expense,
    register_nek,
    report_body,
)
from flask import Flask
from flask.testing import FlaskClient
from support import make_settings

from service.application import prague_today, utc_now
from service.reads.projector import Projector
from service.web.app import create_app
from service.web.feed_keys import feed_key

pytestmark = pytest.mark.postgres

SECRET = "feed-secret-for-postgresql"
INDICATORS = [
    {"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
     "baseline": "0", "target": "5", "kind": "to_achieve"},
    {"code": "ENERGY", "name": "Energy used", "unit": "MWh", "baseline": "120.50",
     "target": "80.25", "kind": "to_select"},
]


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[Flask]:
    """The app on PostgreSQL with feed keys enabled."""
    app = create_app(make_settings(postgres_url, feed_secret=SECRET))
    yield app
    app.extensions["grantledger"].close()


def eventually(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the bound"
        time.sleep(0.01)


def nek_with_reports(client: FlaskClient) -> str:
    """NEK with two indicators; ZOR-1 submitted, returned and submitted again, approved; a
    claim for stage 1 submitted before ZOR-1 was."""
    project_id = register_nek(client, indicators=INDICATORS)
    expense = record_expense(client, project_id, "TRAVEL", "1000.00")
    command(client, project_id, "payment-claims",
            {"claim_number": "1", "stage": "1", "submitted_on": "2017-04-20", "final": False,
             "expense_ids": [expense]})
    command(client, project_id, "reports/ZOR-1/submission",
            report_body("2017-05-02", ("PARTNERS", "2"), ("ENERGY", "110.00")))
    command(client, project_id, "reports/ZOR-1/return",
            {"decided_on": "2017-05-10", "reason": "name the partners"}, "auditor")
    command(client, project_id, "reports/ZOR-1/submission",
            report_body("2017-05-31", ("PARTNERS", "3"), ("ENERGY", "100.00")))
    command(client, project_id, "reports/ZOR-1/approval", {"decided_on": "2017-06-15"},
            "auditor")
    return project_id


def test_reports_and_indicators_read_back_exactly_on_postgresql(
        pg_client: FlaskClient) -> None:
    project_id = nek_with_reports(pg_client)

    zor_1 = get(pg_client, project_path(project_id, "reports/ZOR-1?on=2018-06-01")).json
    schedule = get(pg_client, project_path(project_id, "views/schedule?on=2018-06-01")).json
    indicators = get(pg_client, project_path(project_id, "views/indicators?on=2018-06-01")).json
    row = get(pg_client, "/api/v1/portfolio?on=2018-06-01").json["projects"][0]

    assert ((zor_1["status"], zor_1["days_late"]),
            [(s["submitted_on"], s["decision"]["decision"]) for s in zor_1["submissions"]]) == (
        ("approved", 1), [("2017-05-02", "returned"), ("2017-05-31", "approved")])
    assert [(r["code"], r["status"], r["days_late"]) for r in schedule["reports"][:2]] == [
        ("ZOR-1", "approved", 1), ("ZZOR", "overdue", 2)]
    assert [f["rule"] for f in schedule["flags"]
            if f["rule"] in ("REPORT_OVERDUE", "CLAIM_WITHOUT_REPORT")] == [
        "REPORT_OVERDUE", "CLAIM_WITHOUT_REPORT"]
    assert [(i["code"], i["value"], i["reported_in"], i["achievement"], i["status"])
            for i in indicators["indicators"]] == [
        ("PARTNERS", "3", "ZOR-1", "0.6000", "shortfall"),
        ("ENERGY", "100.00", "ZOR-1", "0.5093", "in_progress")]
    assert (row["reports_overdue"], row["indicators_shortfall"]) == (1, 1)


def test_as_of_a_moment_before_the_return_shows_the_first_value_on_postgresql(
        pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client, indicators=INDICATORS)
    command(pg_client, project_id, "reports/ZOR-1/submission",
            report_body("2017-05-02", ("PARTNERS", "2"), ("ENERGY", "110.00")))
    between = utc_now().isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    command(pg_client, project_id, "reports/ZOR-1/return",
            {"decided_on": "2017-05-10", "reason": "name the partners"}, "auditor")

    before = get(pg_client, project_path(
        project_id, f"views/indicators?on=2017-06-01&as_of={between}")).json
    after = get(pg_client, project_path(project_id, "views/indicators?on=2017-06-01")).json

    assert [(v["position"], v["indicators"][0]["value"], v["indicators"][0]["status"])
            for v in (before, after)] == [(2, "2", "in_progress"), (3, None, "not_reported")]


def test_the_projected_indicators_view_is_served_from_the_process_as_flask_answers_it(
        pg_app: Flask, pg_client: FlaskClient) -> None:
    project_id = nek_with_reports(pg_client)
    application, cache = pg_app.extensions["grantledger"], pg_app.extensions["grantledger_views"]
    Projector(application).catch_up()
    today = prague_today(utc_now())
    eventually(lambda: cache.current(UUID(project_id), "indicators", today, None))
    stored = application.queries.stored_view(UUID(project_id), "indicators")
    path = project_path(project_id, "views/indicators")

    fast, slow = get(pg_client, path), get(pg_client, f"{path}?on={today}")
    not_modified = get(pg_client, path, If_None_Match=fast.headers["ETag"])

    assert stored is not None
    assert (fast.status_code, fast.get_data(as_text=True), fast.headers["ETag"]) == (
        200, stored.body, slow.headers["ETag"])
    assert fast.data == slow.data
    assert (not_modified.status_code, not_modified.data) == (304, b"")


def test_the_calendar_feeds_read_back_and_a_feed_key_opens_them_on_postgresql(
        pg_client: FlaskClient) -> None:
    project_id = nek_with_reports(pg_client)
    key = feed_key(SECRET, "viewer")
    entries = get(pg_client, project_path(project_id, "calendar?on=2018-06-01")).json["entries"]

    project_feed = pg_client.get(f"{API}/projects/{project_id}/calendar.ics?on=2018-06-01"
                                 f"&key={key}")
    portfolio_feed = pg_client.get(f"{API}/calendar.ics?on=2018-06-01&key={key}")
    wrong = pg_client.get(f"{API}/calendar.ics?key={feed_key('other', 'viewer')}")
    elsewhere = pg_client.get(f"{API}/projects/{project_id}/calendar?key={key}")

    events = list(icalendar.Calendar.from_ical(project_feed.data).walk("VEVENT"))
    second_parser = vobject.readOne(portfolio_feed.get_data(as_text=True)).vevent_list
    assert [(str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
            for e in events] == [
        (x["uid"], date.fromisoformat(x["date"]), date.fromisoformat(x["date"]) + timedelta(1),
         f"[{x['status']}] OPEIC: {x['title']}") for x in entries]
    assert [e.uid.value for e in second_parser] == [x["uid"] for x in entries]
    assert (wrong.status_code, elsewhere.status_code) == (401, 401)


def test_a_refused_report_records_nothing_on_postgresql(pg_client: FlaskClient) -> None:
    project_id = register_nek(pg_client, indicators=INDICATORS)

    missing = post(pg_client, project_path(project_id, "reports/ZOR-1/submission"),
                   report_body("2017-05-02", ("PARTNERS", "2")), "manager")
    early = post(pg_client, project_path(project_id, "reports/ZOR-1/submission"),
                 report_body("2017-03-30", ("PARTNERS", "2"), ("ENERGY", "1")), "manager")

    assert [(r.status_code, r.json["rule"]) for r in (missing, early)] == [
        (422, "INDICATOR_MISSING"), (409, "REPORT_PERIOD_NOT_ENDED")]
    assert get(pg_client, project_path(project_id, "reports/ZOR-1")).json["submissions"] == []

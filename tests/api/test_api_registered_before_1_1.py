"""A project registered before version 1.1 (its stored ProjectRegistered event has no
indicators, sustainability years, retention date or reports) reads as it did: no reports, no
new flags, its chain verifies, its audit bundle and the bundle's verifier hold."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from api_builders import (
    claim_body,
    command,
    get,
    nek_registration,
    project_path,
    record_expense,
)
from flask import Flask
from flask.testing import FlaskClient

from domain.events import event_data
from domain.hashing import GENESIS_HASH, event_hash
from domain.project import GrantProject
from domain.records import Stamp
from schemas import RegisterProjectSchema
from service.audit.bundle.verify import verify
from service.cli.main import main
from service.web.request_log import AccessLog

NEW_FIELDS = ("indicators", "sustainability_years", "retention_until", "reports")
ON = "on=2018-06-01"


def store_registration_the_old_way(app: Flask) -> str:
    """Stores NEK's registration as version 1.0 wrote it: without the fields of 1.1, hashed
    over exactly what is stored."""
    moment = datetime(2016, 3, 21, 9, tzinfo=UTC)
    registration = RegisterProjectSchema().load(nek_registration())
    project = GrantProject.register(Stamp(moment, "manager", "manager", moment.date()),
                                    **registration)
    (event,) = project.collect_events()
    for name in NEW_FIELDS:
        del event.__dict__[name]
    event.__dict__["hash"] = event_hash(
        event_type="ProjectRegistered", project=project.id, version=1, recorded_at=moment,
        recorded_by={"name": "manager", "role": "manager"}, data=event_data(event),
        previous_hash=GENESIS_HASH)
    application = app.extensions["grantledger"]
    application.recorder.insert_events([application.mapper.to_stored_event(event)])
    return str(project.id)


@pytest.fixture
def old_nek(app: Flask, client: FlaskClient) -> str:
    """NEK registered before 1.1, then an expense in a payment claim for stage 1 and a
    second expense, recorded now."""
    project_id = store_registration_the_old_way(app)
    first = record_expense(client, project_id, "TRAVEL", "100000.00")
    record_expense(client, project_id, "RENT", "10000.00")
    command(client, project_id, "payment-claims", claim_body("1", [first]))
    return project_id


def test_the_stored_registration_has_none_of_the_new_fields(
        client: FlaskClient, old_nek: str) -> None:
    events = get(client, project_path(old_nek, "events"), "auditor").get_json()["events"]

    assert sorted(set(NEW_FIELDS) & set(events[0]["data"])) == []


def test_it_has_no_indicators_and_no_report_schedule(client: FlaskClient, old_nek: str) -> None:
    project = get(client, project_path(old_nek)).get_json()

    assert {k: project[k] for k in (*NEW_FIELDS, "default_report_schedule")} == {
        "indicators": [], "sustainability_years": 5, "retention_until": "2033-12-31",
        "reports": [], "default_report_schedule": False}


def test_its_views_have_no_reports_and_no_new_flags(client: FlaskClient, old_nek: str) -> None:
    schedule = get(client, project_path(old_nek, f"views/schedule?{ON}")).get_json()
    indicators = get(client, project_path(old_nek, f"views/indicators?{ON}")).get_json()
    row = get(client, f"/api/v1/portfolio?{ON}").get_json()["projects"][0]

    assert (schedule["reports"], [f["rule"] for f in schedule["flags"]], indicators["indicators"],
            indicators["flags"]) == ([], ["ACTIVITY_OVERDUE", "ACTIVITY_OVERDUE",
                                          "MILESTONE_MISSED", "FINAL_CLAIM_OVERDUE"], [], [])
    assert (row["reports_overdue"], row["indicators_shortfall"], row["errors"],
            row["warnings"]) == (0, 0, 2, 2)


def test_its_budget_and_subsidy_read_as_before(client: FlaskClient, old_nek: str) -> None:
    budget = get(client, project_path(old_nek, f"views/budget?{ON}")).get_json()
    subsidy = get(client, project_path(old_nek, f"views/subsidy?{ON}")).get_json()

    assert ({k: budget["totals"][k] for k in ("recorded", "eligible", "claimed")},
            subsidy["requested"], subsidy["entitlement"]) == (
        {"recorded": "110000.00", "eligible": "110000.00", "claimed": "100000.00"},
        "50000.00", "55000.00")


def test_its_chain_verifies(client: FlaskClient, old_nek: str) -> None:
    report = get(client, project_path(old_nek, "verification"), "auditor").get_json()

    assert (report["valid"], report["events"], report["first_break"]) == (True, 4, None)


def test_its_audit_bundle_verifies_offline(
        client: FlaskClient, old_nek: str, tmp_path: Path) -> None:
    response = get(client, project_path(old_nek, "export"), "auditor")
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(response.data)

    report = verify(bundle, None)

    views = zipfile.ZipFile(io.BytesIO(response.data)).read("views.json")
    assert (report["ok"], report["failures"], report["events"],
            report["budget"]["totals"]["claimed"]) == (True, [], 4, "100000.00")
    assert b'"reports": []' in views


def test_grantledger_verify_holds(old_nek: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRANTLEDGER_DATABASE_URL", sqlite_url)
    AccessLog.flush_all()  # the fixture's access lines, written by a thread, not verify's
    capsys.readouterr()

    code = main(["verify"])

    lines = capsys.readouterr().out.splitlines()
    assert (code, lines[0].split()[:2], lines[-1]) == (
        0, ["OK", old_nek], "1 project(s) verified, 0 failed")

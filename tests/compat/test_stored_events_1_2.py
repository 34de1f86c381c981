"""Events stored by version 1.2 (tests/compat/stored_events_1_2.json, made before the aggregate
was split by topic) still load, fold, verify and export; and recording the same history today
stores the very same rows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from api_builders import get, project_path
from flask import Flask
from flask.testing import FlaskClient
from recorded_history import (
    FIXTURE,
    expense_id,
    in_memory_application,
    stored_event,
    stored_rows,
)

from domain.project import GrantProject
from service.application import LedgerApplication
from service.audit.bundle.verify import verify

ROWS: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
PROJECT = ROWS["events"][0]["originator_id"]
HEAD_HASH = json.loads(ROWS["events"][-1]["state"])["hash"]


@pytest.fixture
def stored(app: Flask) -> LedgerApplication:
    """The app's store holding the rows as version 1.2 stored them."""
    application: LedgerApplication = app.extensions["grantledger"]
    application.recorder.insert_events([stored_event(row) for row in ROWS["events"]])
    return application


def test_the_rows_hold_every_kind_of_event() -> None:
    kinds = {f"domain.project:GrantProject.{name}" for name, value in vars(GrantProject).items()
             if isinstance(value, type) and issubclass(value, GrantProject.Event)
             and name not in ("Event", "Created")}

    assert ({row["topic"] for row in ROWS["events"]}, len(kinds), len(ROWS["events"])) == (
        kinds, 19, 24)


def test_recording_the_same_history_today_stores_the_same_rows() -> None:
    rows = stored_rows(in_memory_application())

    assert (rows["events"], taken_anytime(rows["snapshot"])) == (
        ROWS["events"], as_class_version_4(taken_anytime(ROWS["snapshot"])))


def taken_anytime(row: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's row without the moment it was taken."""
    state = json.loads(row["state"])
    del state["timestamp"]
    return {**row, "state": state}


def as_class_version_4(row: dict[str, Any]) -> dict[str, Any]:
    """The 1.2 snapshot as the aggregate's class version 4 stores it: the same state, the
    expenses and their documents in persistent maps (the only change since)."""
    project = row["state"]["state"]
    project["class_version"] = 4
    for name in ("expenses", "documents"):
        project[name] = {"_type_": "persistent_map", "_data_": project[name]}
    return row


def test_the_stored_project_loads_with_its_state(stored: LedgerApplication) -> None:
    project = stored.load(UUID(PROJECT))

    assert (project.version, project.head_hash, project.realisation_end,
            project.lines["TRAVEL"].planned, project.approved_subsidy, project.subsidy_paid,
            project.corrections_total, project.grants, project.reports["ZOR-1"].decision,
            project.activities["1"].completed_on, project.expenses[str(expense_id(4))].reversed,
            project.expenses[str(expense_id(3))].amount_net) == (
        24, HEAD_HASH, date(2018, 6, 30), Decimal("950000.00"), Decimal("54500.00"),
        Decimal("40000.00"), Decimal("2500.00"), {}, "approved", date(2017, 9, 2), True,
        Decimal("4500.00"))


def test_the_stored_snapshot_loads_as_the_replayed_project(stored: LedgerApplication) -> None:
    assert stored.snapshots is not None
    snapshot = stored.snapshots.mapper.to_domain_event(stored_event(ROWS["snapshot"]))

    from_snapshot = snapshot.mutate(None)
    replayed = stored.load(UUID(PROJECT))

    assert (type(from_snapshot), vars(from_snapshot)) == (GrantProject, vars(replayed))


def test_the_stored_chain_verifies(client: FlaskClient, stored: LedgerApplication) -> None:
    report = get(client, project_path(PROJECT, "verification"), "auditor").get_json()

    assert (report["valid"], report["events"], report["head"], report["first_break"]) == (
        True, 24, {"version": 24, "hash": HEAD_HASH}, None)


def test_its_audit_bundle_verifies_offline(client: FlaskClient, stored: LedgerApplication,
                                           tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(get(client, project_path(PROJECT, "export"), "auditor").data)

    report = verify(bundle, None)

    assert (report["ok"], report["failures"], report["events"], report["head"]) == (
        True, [], 24, {"version": 24, "hash": HEAD_HASH})

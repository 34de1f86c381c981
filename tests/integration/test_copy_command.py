"""`grantledger copy --from URL --to URL`, both ways between SQLite and PostgreSQL: every event
byte for byte at its position, so every chain verifies with the same heads; the idempotency
records; the views rebuilt equal to the source's; a store that is not empty refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from api_builders import expense_body, post, project_path, register_nek
from raw_sql import events_table, run_sql
from support import make_settings

from service.reads.projector import Projector
from service.web.app import create_app


def grantledger(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "GRANTLEDGER_DATABASE_URL"}
    if url is not None:
        env["GRANTLEDGER_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(params=["sqlite-to-postgresql", "postgresql-to-sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    sqlite = f"sqlite:///{tmp_path / 'ledger.db'}"
    postgresql = str(request.getfixturevalue("postgres_url"))
    return (sqlite, postgresql) if request.param == "sqlite-to-postgresql" else (
        postgresql, sqlite)


def fill(url: str) -> str:
    """A project with expenses, one recorded under an Idempotency-Key; on PostgreSQL with
    gaps in the positions (as conflicts leave them); the views projected. Answers its id."""
    app = create_app(make_settings(url))
    client = app.test_client()
    try:
        project_id = register_nek(client)
        for number in range(3):
            if url.startswith("postgresql"):
                run_sql(url, "SELECT nextval(pg_get_serial_sequence("
                             "'ledgerapplication_events', 'notification_id'))")
            answer = post(client, project_path(project_id, "expenses"),
                          expense_body(document_number=f"FV-{number}"), "accountant",
                          Idempotency_Key=f"copy-test-{number}")
            assert answer.status_code == 201
        Projector(app.extensions["grantledger"]).catch_up()
    finally:
        app.extensions["grantledger"].close()
    return project_id


def stored_events(url: str) -> list[tuple[Any, ...]]:
    position = "rowid" if url.startswith("sqlite") else "notification_id"
    rows = run_sql(url, f"SELECT {position}, originator_id, originator_version, topic, state "
                        f"FROM {events_table(url)} ORDER BY {position}")
    return [(pos, str(originator).replace("-", ""), version, topic, bytes(state))
            for pos, originator, version, topic, state in rows]


def stored_views(url: str) -> list[tuple[Any, ...]]:
    return run_sql(url, "SELECT project_id, view, position, on_date, body "
                        "FROM grantledger_views ORDER BY project_id, view")


def idempotency_records(url: str) -> list[tuple[Any, ...]]:
    return run_sql(url, "SELECT * FROM grantledger_idempotency ORDER BY scope, key")


@pytest.mark.postgres
def test_a_copied_ledger_verifies_with_the_same_heads_and_shows_the_same_views(
        stores: tuple[str, str]) -> None:
    source, target = stores
    fill(source)

    copied = grantledger("copy", "--from", source, "--to", target)

    assert (copied.returncode, copied.stderr) == (0, "")
    assert "copied 4 events and 3 idempotency records" in copied.stdout
    assert stored_events(target) == stored_events(source)
    assert idempotency_records(target) == idempotency_records(source)
    assert stored_views(target) == stored_views(source)
    source_verified, target_verified = grantledger("verify", url=source), grantledger(
        "verify", url=target)
    assert (target_verified.returncode, target_verified.stdout) == (0, source_verified.stdout)


@pytest.mark.postgres
def test_the_copy_goes_on_recording_after_the_last_copied_position(
        stores: tuple[str, str]) -> None:
    source, target = stores
    project_id = fill(source)
    assert grantledger("copy", "--from", source, "--to", target).returncode == 0
    last = stored_events(source)[-1][0]

    app = create_app(make_settings(target))
    try:
        recorded = post(app.test_client(), project_path(project_id, "expenses"),
                        expense_body(document_number="FV-after-the-move"), "accountant")
    finally:
        app.extensions["grantledger"].close()

    assert (recorded.status_code, recorded.get_json()["position"]) == (201, last + 1)


@pytest.mark.postgres
def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(
        stores: tuple[str, str]) -> None:
    source, target = stores
    fill(source)
    fill(target)
    before = stored_events(target)

    refused = grantledger("copy", "--from", source, "--to", target)

    assert (refused.returncode, refused.stderr) == (2, (
        f"grantledger: the target {target} is not empty (4 events, 3 idempotency records): "
        "copy only into an empty store\n"))
    assert stored_events(target) == before


def test_a_source_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"

    refused = grantledger("copy", "--from", f"sqlite:///{missing}",
                          "--to", f"sqlite:///{tmp_path / 'target.db'}")

    assert (refused.returncode, refused.stderr) == (
        2, f"grantledger: there is no event store at {missing}\n")

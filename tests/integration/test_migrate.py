"""`grantledger migrate`: a fresh store gets every table once; a store made before migrations
is brought to version 1 keeping its events; a new version is one more step, run once and
recorded; a failing step changes nothing; migrations started at once apply each step once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from raw_sql import events_table, run_sql
from support import auth, make_settings

from service.bootstrap import ledger_env, open_ledger
from service.demo import NEK_NUMBER, load_demo, record_nanoprogress, record_nek
from service.reads.projector import Projector
from service.store.database import APPLICATION_NAME, StoreError, eventsourcing_env
from service.store.migrate import LATEST, STEPS, Migration, Step, migrate, schema_versions
from service.store.portfolio import ADDED_IN_6
from service.store.write_function import CREATE_FILL, CREATE_WRITE
from service.web.app import create_app

LEDGER_TABLES = {"grantledger_idempotency", "grantledger_views", "grantledger_tracking",
                 "grantledger_checkpoints", "grantledger_schema_version", "grantledger_access",
                 "grantledger_portfolio", "grantledger_portfolio_flags",
                 "grantledger_portfolio_sums"}
# The library names its tables after the application on PostgreSQL only.
LIBRARY_TABLES = {"sqlite": {"stored_events", "stored_snapshots"},
                  "postgresql": {"ledgerapplication_events", "ledgerapplication_snapshots"}}
# The ledger's tables as the service created them before there were migrations.
BEFORE_MIGRATIONS = [
    "CREATE TABLE grantledger_idempotency (scope TEXT NOT NULL, key TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, status INTEGER, body TEXT, location TEXT, "
    "started_ms BIGINT NOT NULL, PRIMARY KEY (scope, key))",
    "CREATE TABLE grantledger_views (project_id TEXT NOT NULL, view TEXT NOT NULL, "
    "position BIGINT NOT NULL, on_date TEXT NOT NULL, body TEXT NOT NULL, "
    "PRIMARY KEY (project_id, view))",
    "CREATE TABLE grantledger_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE grantledger_checkpoints (project_id TEXT NOT NULL, version BIGINT NOT NULL, "
    "position BIGINT NOT NULL, recorded_at TEXT NOT NULL, state {blob} NOT NULL, "
    "PRIMARY KEY (project_id, version))",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


def every_table(url: str) -> set[str]:
    return LEDGER_TABLES | LIBRARY_TABLES[url.partition(":")[0]]


def tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        rows = run_sql(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = run_sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row[0] for row in rows}


def columns(url: str, table: str) -> list[str]:
    if url.startswith("sqlite"):
        return [row[1] for row in run_sql(url, f"PRAGMA table_info({table})")]
    return [row[0] for row in run_sql(
        url, "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
             "ORDER BY ordinal_position", (table,))]


def test_a_fresh_store_is_migrated_to_the_latest_version_with_every_table_and_each_step_recorded(
        store_url: str) -> None:
    before = datetime.now(UTC)

    applied = migrate(store_url)

    recorded = schema_versions(store_url)
    assert (applied, tables(store_url)) == (STEPS, every_table(store_url))
    assert [(v, d) for v, d, _ in recorded] == [(s.version, s.description) for s in STEPS]
    assert all(before <= datetime.fromisoformat(at) <= before + timedelta(minutes=1)
               for _, _, at in recorded)
    assert columns(store_url, "grantledger_idempotency") == [
        "scope", "key", "fingerprint", "status", "body", "location"]


def test_migrating_a_current_store_applies_nothing_and_keeps_its_record(store_url: str) -> None:
    migrate(store_url)
    recorded = schema_versions(store_url)

    assert (migrate(store_url), schema_versions(store_url)) == ([], recorded)


def test_a_migrated_store_serves_the_ledger_with_the_librarys_table_creation_off(
        store_url: str) -> None:
    application = open_ledger(make_settings(store_url))
    try:
        load_demo(application)
        registered = application.project_exists(application.id_for(NEK_NUMBER))
    finally:
        application.close()

    assert (ledger_env(make_settings(store_url))["CREATE_TABLE"], registered) == ("n", True)


def test_a_store_made_before_migrations_is_brought_to_the_latest_version_keeping_its_events(
        store_url: str) -> None:
    _create_as_before_migrations(store_url)
    events = _record_as_before_migrations(store_url)

    applied = migrate(store_url)

    assert (applied, tables(store_url)) == (STEPS, every_table(store_url))
    assert run_sql(store_url, f"SELECT COUNT(*) FROM {events_table(store_url)}")[0][0] == events
    assert columns(store_url, "grantledger_tracking") == ["name", "position", "heartbeat_at"]


def test_version_2_keeps_the_answered_idempotency_records_and_drops_those_in_flight(
        store_url: str) -> None:
    _create_as_before_migrations(store_url)
    for key, status, body in (("answered", 201, '{"position": 3}'), ("in-flight", None, None)):
        run_sql(store_url, "INSERT INTO grantledger_idempotency (scope, key, fingerprint, "
                           "status, body, location, started_ms) VALUES (%s, %s, %s, %s, %s, "
                           "%s, %s)", ("eva", key, "f1", status, body, None, 1_700_000_000_000))

    migrate(store_url)

    assert run_sql(store_url, "SELECT * FROM grantledger_idempotency") == [
        ("eva", "answered", "f1", 201, '{"position": 3}', None)]


def _create_as_before_migrations(url: str) -> None:
    """The library's tables as its recorders created them (CREATE_TABLE on), and the
    ledger's own as they were before the projector's heartbeat."""
    env = Environment(APPLICATION_NAME, {**eventsourcing_env(url), "CREATE_TABLE": "y"})
    factory = InfrastructureFactory.construct(env)
    factory.application_recorder()
    factory.aggregate_recorder("snapshots")
    factory.close()
    blob = "BLOB" if url.startswith("sqlite") else "BYTEA"
    for statement in BEFORE_MIGRATIONS:
        run_sql(url, statement.format(blob=blob))


def _record_as_before_migrations(url: str) -> int:
    """The demo's projects recorded into the old tables (no grants: there were none before
    version 1.2); answers the number of events. This version's writer needs its server
    function on PostgreSQL (version 5): it is lent for the recording and dropped after."""
    postgres = not url.startswith("sqlite")
    if postgres:
        run_sql(url, CREATE_FILL)
        run_sql(url, CREATE_WRITE)
    application = open_ledger(make_settings(url), migrating=False)
    try:
        record_nek(application)
        record_nanoprogress(application)
        return int(application.recorder.max_notification_id() or 0)
    finally:
        application.close()
        if postgres:
            run_sql(url, "DROP FUNCTION grantledger_write")
            run_sql(url, "DROP FUNCTION grantledger_fill")


def add_method_column(migration: Migration) -> None:
    migration.execute("ALTER TABLE grantledger_idempotency ADD COLUMN method TEXT")


def test_a_new_version_is_one_more_step_run_once_and_recorded(store_url: str) -> None:
    migrate(store_url)
    following = Step(LATEST + 1, "idempotency records keep the request's method",
                     add_method_column)

    first, again = migrate(store_url, [*STEPS, following]), migrate(store_url, [*STEPS, following])

    assert (first, again) == ([following], [])
    assert [(v, d) for v, d, _ in schema_versions(store_url)] == [
        *((step.version, step.description) for step in STEPS),
        (LATEST + 1, "idempotency records keep the request's method")]
    assert columns(store_url, "grantledger_idempotency")[-1] == "method"


def half_done(migration: Migration) -> None:
    migration.execute("CREATE TABLE half_done (x INTEGER)")
    migration.execute("ALTER TABLE no_such_table ADD COLUMN y TEXT")


def test_a_step_that_fails_leaves_the_store_as_it_was_and_says_which_version(
        store_url: str) -> None:
    migrate(store_url)

    with pytest.raises(StoreError, match=rf"cannot migrate the store .* to version {LATEST + 1}"
                                         r": .*no_such_table"):
        migrate(store_url, [*STEPS, Step(LATEST + 1, "fails half way", half_done)])

    assert (tables(store_url), [v for v, _, _ in schema_versions(store_url)]) == (
        every_table(store_url), [step.version for step in STEPS])


def test_eight_migrations_started_at_once_on_a_fresh_store_apply_each_version_once(
        store_url: str) -> None:
    results: list[list[int] | BaseException] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        try:
            results.append([step.version for step in migrate(store_url)])
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every_version = [step.version for step in STEPS]
    assert (results.count(every_version), results.count([]), len(results)) == (1, 7, 8)
    assert tables(store_url) == every_table(store_url)


def test_the_migrate_command_applies_each_version_then_says_the_store_is_current(
        sqlite_url: str) -> None:
    def command() -> str:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", "migrate"], capture_output=True, text=True,
            env={**os.environ, "GRANTLEDGER_DATABASE_URL": sqlite_url},
            check=True, timeout=60).stdout

    first, second = command(), command()

    current = f"{sqlite_url}: at schema version {LATEST} (this grantledger's latest: {LATEST})\n"
    assert first == "".join(f"{sqlite_url}: applied version {step.version}: "
                            f"{step.description}\n" for step in STEPS) + current
    assert second == current


def test_version_5_gives_a_postgresql_store_its_write_functions_and_a_store_at_3_the_rest(
        store_url: str) -> None:
    migrate(store_url, [step for step in STEPS if step.version <= 3])

    applied = migrate(store_url)

    functions = [] if store_url.startswith("sqlite") else [row[0] for row in run_sql(
        store_url, "SELECT proname FROM pg_proc WHERE proname LIKE 'grantledger%%' "
                   "ORDER BY proname")]
    assert [step.version for step in applied] == [s.version for s in STEPS if s.version > 3]
    assert 5 in [step.version for step in applied]
    assert functions == ([] if store_url.startswith("sqlite")
                         else ["grantledger_fill", "grantledger_write"])


def test_version_4_indexes_the_portfolio_of_a_store_with_views_of_version_3(
        store_url: str) -> None:
    """A store as version 3 left it (views rendered, no index) is upgraded by `migrate` and
    the projector: its portfolio pages come from the index, with totals, the same rows."""
    application = open_ledger(make_settings(store_url))
    try:
        load_demo(application, say=lambda _: None)
        Projector(application).catch_up()
    finally:
        application.close()
    for statement in ("DROP TABLE grantledger_portfolio_flags", "DROP TABLE grantledger_portfolio",
                      "DROP TABLE grantledger_portfolio_sums",
                      "DELETE FROM grantledger_schema_version WHERE version IN (4, 6)",
                      "UPDATE grantledger_tracking SET position = 3 WHERE name = 'views-format'"):
        run_sql(store_url, statement)

    applied = migrate(store_url)
    app = create_app(make_settings(store_url))
    try:
        before = app.test_client().get("/api/v1/portfolio", headers=auth("viewer")).get_json()
        Projector(app.extensions["grantledger"]).run_once()
        after = app.test_client().get("/api/v1/portfolio", headers=auth("viewer")).get_json()
    finally:
        app.extensions["grantledger"].close()

    indexed = run_sql(store_url, "SELECT COUNT(*) FROM grantledger_portfolio")[0][0]
    assert ([step.version for step in applied], before["totals"], indexed) == ([4, 6], None, 2)
    assert (after["projects"], after["totals"]["projects"]) == (before["projects"], 2)


def kept_sums(url: str) -> list[tuple[object, ...]]:
    """The kept sums by key, but those at nought (a question no project answers now)."""
    return [tuple(row) for row in run_sql(url, "SELECT * FROM grantledger_portfolio_sums "
                                              "ORDER BY key") if any(row[1:])]


def test_version_6_sums_the_metrics_figures_of_a_store_the_projector_indexed_at_5(
        store_url: str) -> None:
    """The kept sums of a store at version 5 gain /metrics' columns, summed from the index's
    rows: the same sums the projector keeps on a store that had them from the start."""
    application = open_ledger(make_settings(store_url))
    try:
        load_demo(application, say=lambda _: None)
        Projector(application).catch_up()
    finally:
        application.close()
    kept_by_projector = kept_sums(store_url)
    for statement in ("DELETE FROM grantledger_schema_version WHERE version = 6",
                      "DELETE FROM grantledger_portfolio_sums",
                      *(f"ALTER TABLE grantledger_portfolio_sums DROP COLUMN {name}"
                        for name in ADDED_IN_6)):
        run_sql(store_url, statement)

    applied = migrate(store_url)

    assert [step.version for step in applied] == [6]
    assert kept_sums(store_url) == kept_by_projector
    assert {row[0] for row in kept_by_projector} >= {
        "all", "overdue:false", "status:after_realisation:error"}

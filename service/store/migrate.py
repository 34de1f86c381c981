"""`grantledger migrate`: creates or upgrades the store's tables, once, under a lock.

Every process that writes (`serve`'s gunicorn master, `projector`, `demo`, `copy`) migrates
before it opens the store, so any number may start at once on a fresh database: on
PostgreSQL they queue on an advisory lock, on SQLite on the database's write lock, and the
first applies what is missing while the others then find nothing to do. The processes
themselves open the store with the library's table creation off: several processes creating
tables at once race (EVENTSOURCING-NOTES.md, pitfall 3).

`grantledger_schema_version` records each version applied: its number, what it did and when.
An upgrade is a new `Step` at the end of STEPS (say version 2, changing the idempotency
table); a released step never changes, because stores out there have run it. All pending
steps run in one transaction (PostgreSQL and SQLite both have transactional DDL): a step
that fails leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from service.store.access import CREATE_INDEX, CREATE_TABLE
from service.store.database import (
    APPLICATION_NAME,
    StoreError,
    StoreUrl,
    eventsourcing_env,
    one_line,
    postgres_connection,
    sqlite_transaction,
)
from service.store.portfolio import ADDED_IN_6, RESUM_STATEMENTS
from service.store.portfolio import CREATE_STATEMENTS as CREATE_PORTFOLIO
from service.store.viewstore import SUMS_TABLE
from service.store.write_function import CREATE_FILL, CREATE_WRITE

SCHEMA_TABLE = "grantledger_schema_version"
# pg_advisory_xact_lock's key for migrations: any fixed number the ledger uses for nothing
# else (the project write locks are keyed by project ids' first 64 bits).
LOCK_KEY = 0x6772616E746C6467  # "grantldg"
SQLITE_LOCK_WAIT_SECONDS = 60
log = logging.getLogger(__name__)


class Migration:
    """What a step works with: the one transaction of the store being migrated.

    Statements use `%s` placeholders on both backends."""

    def __init__(self, store: StoreUrl, cursor: Any) -> None:
        self.store = store
        self.cursor = cursor

    @property
    def postgres(self) -> bool:
        return self.store.is_postgres

    @property
    def blob_type(self) -> str:
        return "BYTEA" if self.postgres else "BLOB"

    def execute(self, statement: Any, params: Sequence[Any] = ()) -> None:
        if self.postgres:
            self.cursor.execute(statement, params or None)
        else:
            self.cursor.execute(statement.replace("%s", "?"), tuple(params))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.execute(statement, params)
        return [tuple(row) for row in self.cursor.fetchall()]

    def columns(self, table: str) -> list[str]:
        """The columns a table has now, in order."""
        if self.postgres:
            return [row[0] for row in self.rows(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s "
                "ORDER BY ordinal_position", [table])]
        return [row[1] for row in self.rows(f"PRAGMA table_info({table})")]

    def create_library_tables(self) -> None:
        """The eventsourcing library's own tables (events with their notification index,
        snapshots) and, on PostgreSQL, the composite types and function its recorders use,
        with the statements of the installed library."""
        for statement in _library_statements(self.store):
            if self.postgres and "CREATE TYPE" in statement.as_string():
                # No IF NOT EXISTS for types: tried in a savepoint, a store made before
                # migrations existed already has them.
                import psycopg

                with contextlib.suppress(psycopg.errors.DuplicateObject), \
                        self.cursor.connection.transaction():
                    self.execute(statement)
            else:
                self.execute(statement)


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    apply: Callable[[Migration], None]


def _version_1(migration: Migration) -> None:
    migration.create_library_tables()
    blob = migration.blob_type
    for statement in (
        "CREATE TABLE IF NOT EXISTS grantledger_idempotency ("
        "scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
        "status INTEGER, body TEXT, location TEXT, started_ms BIGINT NOT NULL, "
        "PRIMARY KEY (scope, key))",
        "CREATE TABLE IF NOT EXISTS grantledger_views ("
        "project_id TEXT NOT NULL, view TEXT NOT NULL, position BIGINT NOT NULL, "
        "on_date TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (project_id, view))",
        "CREATE TABLE IF NOT EXISTS grantledger_tracking ("
        "name TEXT PRIMARY KEY, position BIGINT NOT NULL, heartbeat_at TEXT)",
        "CREATE TABLE IF NOT EXISTS grantledger_checkpoints ("
        "project_id TEXT NOT NULL, version BIGINT NOT NULL, position BIGINT NOT NULL, "
        f"recorded_at TEXT NOT NULL, state {blob} NOT NULL, "
        "PRIMARY KEY (project_id, version))",
    ):
        migration.execute(statement)
    if "heartbeat_at" not in migration.columns("grantledger_tracking"):  # made before it was
        migration.execute("ALTER TABLE grantledger_tracking ADD COLUMN heartbeat_at TEXT")
    if migration.postgres:
        # The registrations in log order (the project list and the portfolio): without it
        # each listing scanned the whole log, 23 ms at 100,000 events. A partial index on
        # version 1 holds one small entry per project.
        migration.execute(
            "CREATE INDEX IF NOT EXISTS ledgerapplication_events_registered_idx "
            "ON ledgerapplication_events (notification_id) WHERE originator_version = 1")


def _version_2(migration: Migration) -> None:
    """Idempotency records are written in their events' transaction, answer and all
    (service.store.writes): a record without an answer (a request in flight under the old
    protocol, whose outcome its retry now finds by itself) is dropped, `status` and `body`
    are required, `started_ms` goes. SQLite cannot change a column's constraint in place, so
    the table is rebuilt on both backends."""
    migration.execute(
        "CREATE TABLE grantledger_idempotency_v2 ("
        "scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
        "status INTEGER NOT NULL, body TEXT NOT NULL, location TEXT, "
        "PRIMARY KEY (scope, key))")
    migration.execute(
        "INSERT INTO grantledger_idempotency_v2 "
        "(scope, key, fingerprint, status, body, location) "
        "SELECT scope, key, fingerprint, status, body, location FROM grantledger_idempotency "
        "WHERE status IS NOT NULL AND body IS NOT NULL")
    migration.execute("DROP TABLE grantledger_idempotency")
    migration.execute("ALTER TABLE grantledger_idempotency_v2 RENAME TO grantledger_idempotency")
    if migration.postgres:
        migration.execute("ALTER TABLE grantledger_idempotency RENAME CONSTRAINT "
                          "grantledger_idempotency_v2_pkey TO grantledger_idempotency_pkey")


def _version_3(migration: Migration) -> None:
    """The grants in force (service.store.access); none existed before version 1.2."""
    migration.execute(CREATE_TABLE)
    migration.execute(CREATE_INDEX)


def _version_4(migration: Migration) -> None:
    """The portfolio's index (service.store.portfolio), empty: the projector fills it when it
    next renders every project, which it does on finding views of an older shape
    (service.reads.rendering.VIEWS_FORMAT 4)."""
    for statement in CREATE_PORTFOLIO:
        migration.execute(statement)


def _version_5(migration: Migration) -> None:
    """A project's write as one call (service.store.write_function); SQLite has no server
    functions and keeps writing in one transaction of its own, so its step does nothing."""
    if migration.postgres:
        migration.execute(CREATE_FILL)
        migration.execute(CREATE_WRITE)


def _version_6(migration: Migration) -> None:
    """The kept sums carry /metrics' figures too (service.store.portfolio): their columns
    added and every sum made again from the index's rows, so that a scrape reads a few sums
    instead of summing every project's row (at 100,000 projects, a fifth of a second)."""
    for name in ADDED_IN_6:
        migration.execute(f"ALTER TABLE {SUMS_TABLE} ADD COLUMN {name} BIGINT NOT NULL "
                          "DEFAULT 0")
    for statement in RESUM_STATEMENTS:
        migration.execute(statement)


STEPS: list[Step] = [
    Step(1, "event store, snapshots, idempotency records, views, tracking, checkpoints",
         _version_1),
    Step(2, "idempotency records written with their events: an answer required, no "
            "in-flight records", _version_2),
    Step(3, "the grants of access to projects in force", _version_3),
    Step(4, "the portfolio's index: paging, filters and totals", _version_4),
    Step(5, "a project's write as one call to the server (grantledger_write)", _version_5),
    Step(6, "the portfolio's kept sums carry the metrics' figures", _version_6),
]
LATEST = STEPS[-1].version


def migrate(database_url: str, steps: Sequence[Step] = STEPS) -> list[Step]:
    """Applies the steps the store has not had yet; answers them (none: it was current)."""
    store = StoreUrl(database_url)
    with _locked_transaction(store) as cursor:
        migration = Migration(store, cursor)
        done = _applied_versions(migration)
        latest = max(step.version for step in steps)
        if done and max(done) > latest:
            log.warning("the store %s is at schema version %s, newer than this grantledger "
                        "(%s): it applies nothing", store.masked, max(done), latest)
        pending = [step for step in steps if step.version not in done]
        for step in pending:
            try:
                step.apply(migration)
            except Exception as error:
                raise StoreError(f"cannot migrate the store {store.masked} to version "
                                 f"{step.version}: {one_line(error)}") from error
            migration.execute(f"INSERT INTO {SCHEMA_TABLE} (version, description, applied_at) "
                              "VALUES (%s, %s, %s)",
                              [step.version, step.description, datetime.now(UTC).isoformat()])
    return pending


def schema_versions(database_url: str) -> list[tuple[int, str, str]]:
    """What the store's version table records: (version, description, applied at)."""
    store = StoreUrl(database_url)
    with _locked_transaction(store, lock=False) as cursor:
        migration = Migration(store, cursor)
        if not _has_version_table(migration):
            return []
        return [(int(v), str(d), str(a)) for v, d, a in migration.rows(
            f"SELECT version, description, applied_at FROM {SCHEMA_TABLE} ORDER BY version")]


def _applied_versions(migration: Migration) -> set[int]:
    if not _has_version_table(migration):
        migration.execute(f"CREATE TABLE {SCHEMA_TABLE} (version INTEGER PRIMARY KEY, "
                          "description TEXT NOT NULL, applied_at TEXT NOT NULL)")
        return set()
    return {int(row[0]) for row in migration.rows(f"SELECT version FROM {SCHEMA_TABLE}")}


def _has_version_table(migration: Migration) -> bool:
    """Looked up rather than `CREATE TABLE IF NOT EXISTS`, so that migrating a current store
    needs no right to create tables (a service's database user may lack it)."""
    if migration.postgres:
        return bool(migration.rows("SELECT to_regclass(%s) IS NOT NULL", [SCHEMA_TABLE])[0][0])
    return bool(migration.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                               "AND name = %s", [SCHEMA_TABLE]))


@contextlib.contextmanager
def _locked_transaction(store: StoreUrl, *, lock: bool = True) -> Iterator[Any]:
    """One transaction on the store, holding the migration lock when `lock`: PostgreSQL's
    advisory lock (released at commit), SQLite's write lock (BEGIN IMMEDIATE)."""
    if store.is_postgres:
        with postgres_connection(store) as connection, connection.transaction(), \
                connection.cursor() as cursor:
            if lock:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            yield cursor
        return
    store.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite_transaction(store, doing="migrate", begin="BEGIN IMMEDIATE" if lock else "BEGIN",
                            timeout=SQLITE_LOCK_WAIT_SECONDS) as connection:
        yield connection.cursor()


def _library_statements(store: StoreUrl) -> list[Any]:
    """The create statements of the library's recorders, as its factory would build them for
    the application (table names from its name), without creating anything."""
    env = {**eventsourcing_env(store.url), "POSTGRES_POOL_SIZE": "1",
           "POSTGRES_MAX_OVERFLOW": "0"}
    factory = InfrastructureFactory.construct(Environment(APPLICATION_NAME, env))
    try:
        recorders = [factory.application_recorder(), factory.aggregate_recorder("snapshots")]
        if store.is_postgres:
            return [statement for recorder in recorders
                    for statement in recorder.sql_create_statements]  # type: ignore[attr-defined]
        return [statement for recorder in recorders
                for statement in recorder.construct_create_table_statements()]  # type: ignore[attr-defined]
    finally:
        factory.close()

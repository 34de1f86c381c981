"""Writing to a project: one transaction that holds the project's lock, catches the writer's
copy up, appends the decided events and the idempotency records of the requests that decided
them — all or nothing.

A write is a few round trips to PostgreSQL, each pipelined:

1. BEGIN, the project's transaction-scoped advisory lock, the project's events after the
   version the writer holds (none, when its cached copy is current) and the idempotency
   records of the keys in hand;
2. (the writer decides, in Python) the events table's EXCLUSIVE lock (so positions follow
   commit order), NOTIFY to wake the projector, INSERT … RETURNING the positions;
3. INSERT of the idempotency records (their answers carry the positions) and COMMIT.

The locks die with the transaction: a writer killed mid-way holds nothing, and a retry of
its request simply runs. Writers to one project queue on its lock rather than racing to a
version conflict. SQLite does the same in one `BEGIN IMMEDIATE` transaction (its write lock
is the project lock). A connection lost during COMMIT leaves the outcome unknown:
`stored_positions` reads it back.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from psycopg.sql import SQL, Identifier

from service.store.access import ACCESS_CHANNEL, AccessChange

IDEMPOTENCY_TABLE = "grantledger_idempotency"
RECORD_COLUMNS = "scope, key, fingerprint, status, body, location"

Key = tuple[str, str]
"""An idempotency key: (scope, key), the scope being the principal's name."""


@dataclass(frozen=True)
class IdempotencyRecord:
    """The answer a request with an Idempotency-Key got, replayed to its retries."""

    scope: str
    key: str
    fingerprint: str
    status: int
    body: str
    location: str | None = None

    @property
    def id(self) -> Key:
        return self.scope, self.key

    def values(self) -> tuple[Any, ...]:
        return (self.scope, self.key, self.fingerprint, self.status, self.body, self.location)


@dataclass
class ProjectWrite:
    """What a write finds when it holds the project's lock, and how it records."""

    newer: list[StoredEvent]
    """The project's events after the version the writer holds, in version order."""
    records: dict[Key, IdempotencyRecord] = field(default_factory=dict)
    """The records already stored for the keys the writer asked about."""
    appended: bool = False

    def append(self, events: Sequence[StoredEvent]) -> list[int]:
        """Inserts the events; answers their positions."""
        raise NotImplementedError

    def remember(self, records: Sequence[IdempotencyRecord]) -> None:
        """Inserts idempotency records, committed with the events."""
        raise NotImplementedError

    def record_access(self, changes: Sequence[AccessChange]) -> None:
        """Applies the events' changes to the grants in force, committed with the events."""
        raise NotImplementedError


def _record(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(row["scope"], row["key"], row["fingerprint"], int(row["status"]),
                             row["body"], row["location"])


def _keys_clause(keys: Sequence[Key]) -> tuple[str, list[str]]:
    pairs = ", ".join(["(%s, %s)"] * len(keys))
    return (f"SELECT {RECORD_COLUMNS} FROM {IDEMPOTENCY_TABLE} WHERE (scope, key) IN ({pairs})",
            [part for key in keys for part in key])


class PostgresWrites:
    """The write unit on PostgreSQL (mixed into the ledger's recorder)."""

    datastore: Any
    events_table_name: str
    channel_name: str
    insert_events_statement: Any

    if TYPE_CHECKING:  # the library's recorder's
        def construct_pg_stored_event(self, *args: Any) -> Any: ...

    @cached_property
    def _write_statements(self) -> _WriteStatements:
        table = Identifier(self.events_table_name)
        return _WriteStatements(
            newer=SQL("SELECT originator_id, originator_version, topic, state FROM {0} "
                      "WHERE originator_id = %s AND originator_version > %s "
                      "ORDER BY originator_version").format(table).as_string(None),
            lock_table=SQL("LOCK TABLE {0} IN EXCLUSIVE MODE").format(table).as_string(None),
            notify=SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_string(None))

    @contextmanager
    def project_write(self, project_id: UUID, after_version: int,
                      keys: Sequence[Key] = ()) -> Iterator[ProjectWrite]:
        # BEGIN and COMMIT are sent by hand: psycopg's transaction() nests pipelines in
        # pipeline mode, which adds a round trip at each end.
        with self.datastore.get_connection() as conn:
            try:
                with conn.pipeline() as pipeline, conn.cursor() as cursor:
                    write = self._begin(conn, cursor, pipeline, project_id, after_version,
                                        keys)
                    yield write
                    cursor.execute("COMMIT")
            except BaseException:
                _roll_back(conn)
                raise

    def _begin(self, conn: Any, cursor: Any, pipeline: Any, project_id: UUID,
               after_version: int, keys: Sequence[Key]) -> _PostgresWrite:
        """BEGIN, the project's lock, its newer events and the keys' records: one round
        trip."""
        newer, records = conn.cursor(), conn.cursor()
        cursor.execute("BEGIN")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(project_id)])
        newer.execute(self._write_statements.newer, [project_id, after_version])
        if keys:
            statement, params = _keys_clause(keys)
            records.execute(statement, params)
        pipeline.sync()
        write = _PostgresWrite([_stored(row) for row in newer.fetchall()], conn=conn,
                               pipeline=pipeline, recorder=self)
        if keys:
            write.records = {r.id: r for r in map(_record, records.fetchall())}
        return write

    def _append(self, conn: Any, pipeline: Any, events: Sequence[StoredEvent]) -> list[int]:
        statements = self._write_statements
        with conn.cursor() as cursor:
            cursor.execute(statements.lock_table)
            cursor.execute(statements.notify)
            cursor.execute(self.insert_events_statement, [[
                self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic,
                                               e.state) for e in events]])
            pipeline.sync()
            return [row["notification_id"] for row in cursor.fetchall()]


class _PostgresWrite(ProjectWrite):
    def __init__(self, newer: list[StoredEvent], *, conn: Any, pipeline: Any,
                 recorder: PostgresWrites) -> None:
        super().__init__(newer)
        self._conn, self._pipeline, self._recorder = conn, pipeline, recorder

    def append(self, events: Sequence[StoredEvent]) -> list[int]:
        self.appended = True
        return self._recorder._append(self._conn, self._pipeline, events)

    def remember(self, records: Sequence[IdempotencyRecord]) -> None:
        if records:
            with self._conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {IDEMPOTENCY_TABLE} ({RECORD_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s)", [r.values() for r in records])

    def record_access(self, changes: Sequence[AccessChange]) -> None:
        if not changes:
            return
        with self._conn.cursor() as cursor:
            for change in changes:
                cursor.execute(*change.statement())
            # Every web process forgets the subjects' grants it holds (service.reads.access).
            for subject in dict.fromkeys(change.subject for change in changes):
                cursor.execute("SELECT pg_notify(%s, %s)", [ACCESS_CHANNEL, subject])


@dataclass(frozen=True)
class _WriteStatements:
    """The write unit's statements for the recorder's tables, composed once."""

    newer: str
    lock_table: str
    notify: str


def _roll_back(conn: Any) -> None:
    """Ends a failed write's transaction, unless its connection is gone (the server rolls
    back what it never saw committed)."""
    if not conn.closed and not conn.broken:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(originator_id=row["originator_id"],
                       originator_version=row["originator_version"], topic=row["topic"],
                       state=bytes(row["state"]))


def _lock_key(project_id: UUID) -> int:
    """The project's advisory lock: its id's first 64 bits, signed."""
    return int.from_bytes(project_id.bytes[:8], "big", signed=True)


class SQLiteWrites:
    """The write unit on SQLite: `BEGIN IMMEDIATE` takes the database's write lock, which
    serialises every writer anyway (mixed into the ledger's recorder)."""

    datastore: Any
    events_table_name: str

    @contextmanager
    def project_write(self, project_id: UUID, after_version: int,
                      keys: Sequence[Key] = ()) -> Iterator[ProjectWrite]:
        with self.datastore.get_connection(commit=True) as conn, sqlite_errors():
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.execute(
                    f"SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table_name} WHERE originator_id = ? "
                    "AND originator_version > ? ORDER BY originator_version",
                    [project_id.hex, after_version])
                newer = [StoredEvent(UUID(row["originator_id"]), row["originator_version"],
                                     row["topic"], row["state"]) for row in cursor.fetchall()]
                write = _SQLiteWrite(newer, cursor=cursor, table=self.events_table_name)
                if keys:
                    statement, params = _keys_clause(keys)
                    cursor.execute(statement.replace("%s", "?"), params)
                    write.records = {r.id: r for r in map(_record, cursor.fetchall())}
                yield write
                conn.commit()
            except BaseException:
                conn.rollback()
                raise


class _SQLiteWrite(ProjectWrite):
    def __init__(self, newer: list[StoredEvent], *, cursor: Any, table: str) -> None:
        super().__init__(newer)
        self._cursor, self._table = cursor, table

    def append(self, events: Sequence[StoredEvent]) -> list[int]:
        self.appended = True
        positions = []
        for e in events:
            self._cursor.execute(f"INSERT INTO {self._table} VALUES (?, ?, ?, ?)",
                                 [UUID(str(e.originator_id)).hex, e.originator_version, e.topic,
                                  e.state])
            positions.append(int(self._cursor.lastrowid))
        return positions

    def remember(self, records: Sequence[IdempotencyRecord]) -> None:
        self._cursor.executemany(
            f"INSERT INTO {IDEMPOTENCY_TABLE} ({RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            [r.values() for r in records])

    def record_access(self, changes: Sequence[AccessChange]) -> None:
        for change in changes:
            statement, params = change.statement()
            self._cursor.execute(statement.replace("%s", "?"), params)


@contextmanager
def sqlite_errors() -> Iterator[None]:
    """sqlite3's errors as the library's, so that callers handle one family."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise IntegrityError(str(error)) from error
    except sqlite3.OperationalError as error:
        raise OperationalError(str(error)) from error
    except sqlite3.InterfaceError as error:
        raise InterfaceError(str(error)) from error
    except sqlite3.Error as error:
        raise PersistenceError(str(error)) from error

"""The library's application recorders, extended with the queries and tables the ledger needs.

Both backends get the same extras: a project's events with their global positions (the
library's `select_events` does not return positions), the list of registered projects, the
idempotency records (kept in the event store's own database so a retried request is
recognised after a restart) and the materialised views (service.store.viewstore). The SQL is
written once with `%s` placeholders; SQLite gets `?`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL

from service.store.access import AccessQueries
from service.store.connections import install_idle_check
from service.store.portfolio import PortfolioQueries
from service.store.viewstore import (
    VIEWS_CHANNEL,
    VIEWS_TABLE,
    StoredView,
    ViewStoreQueries,
)
from service.store.writes import (
    IDEMPOTENCY_TABLE,
    RECORD_COLUMNS,
    IdempotencyRecord,
    PostgresWrites,
    SQLiteWrites,
    Write,
    Written,
)

PositionedStoredEvent = tuple[int, StoredEvent]


class LedgerQueries:
    """The ledger's own statements, shared by both backends."""

    events_table_name: str

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        """A cursor in a transaction committed at the end; `commit=False` is for reads of one
        statement (PostgreSQL runs them without a transaction block)."""
        raise NotImplementedError

    def _sql(self, statement: str) -> Any:
        return statement

    def _position_column(self) -> str:
        raise NotImplementedError

    def _id_param(self, originator_id: UUID) -> Any:
        return originator_id

    def _stored_event(self, row: Any) -> StoredEvent:
        raise NotImplementedError

    def _rowcount(self, cursor: Any) -> int:
        return int(cursor.rowcount)

    def select_positioned_events(self, originator_id: UUID, *, after_version: int = 0,
                                 limit: int | None = None) -> list[PositionedStoredEvent]:
        """A project's events in version order, each with its global position."""
        pos = self._position_column()
        statement = (f"SELECT {pos} AS position, originator_id, originator_version, topic, state "
                     f"FROM {self.events_table_name} "
                     "WHERE originator_id = %s AND originator_version > %s "
                     "ORDER BY originator_version")
        params: list[Any] = [self._id_param(originator_id), after_version]
        if limit is not None:
            statement += " LIMIT %s"
            params.append(limit)
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            return [(row["position"], self._stored_event(row)) for row in cursor.fetchall()]

    def _events_after(self, cursor: Any, originator_id: UUID,
                      version: int) -> list[StoredEvent]:
        """A project's events after `version`, in version order, read with `cursor`: in the
        caller's transaction (a write reads them under the project's lock)."""
        statement = (f"SELECT originator_id, originator_version, topic, state "
                     f"FROM {self.events_table_name} "
                     "WHERE originator_id = %s AND originator_version > %s "
                     "ORDER BY originator_version")
        cursor.execute(self._sql(statement), [self._id_param(originator_id), version])
        return [self._stored_event(row) for row in cursor.fetchall()]

    def select_events_of(self, originator_ids: Collection[UUID], after: int,
                         limit: int) -> list[PositionedStoredEvent]:
        """The events of some projects in global order, after a position."""
        if not originator_ids:
            return []
        pos = self._position_column()
        marks = ", ".join(["%s"] * len(originator_ids))
        statement = (f"SELECT {pos} AS position, originator_id, originator_version, topic, state "
                     f"FROM {self.events_table_name} WHERE originator_id IN ({marks}) "
                     f"AND {pos} > %s ORDER BY {pos} LIMIT %s")
        params = [*map(self._id_param, originator_ids), after, limit]
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            return [(row["position"], self._stored_event(row)) for row in cursor.fetchall()]

    def last_position_of(self, originator_id: UUID) -> int | None:
        """The global position of a project's latest event (None: no such project).

        Its last version holds its highest position (a project's events are appended in
        version order), and that row is one step down the primary key; `MAX(position)` was
        planned on PostgreSQL as a backward scan of the whole log's position index, filtered
        by project, which cost a read 1.5 ms per 10,000 later events of other projects."""
        statement = (f"SELECT {self._position_column()} AS position "
                     f"FROM {self.events_table_name} WHERE originator_id = %s "
                     "ORDER BY originator_version DESC LIMIT 1")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [self._id_param(originator_id)])
            row = cursor.fetchone()
        return row["position"] if row else None

    def select_project_ids(self) -> list[UUID]:
        """Every registered project, in the order of registration."""
        statement = (f"SELECT originator_id FROM {self.events_table_name} "
                     f"WHERE originator_version = 1 ORDER BY {self._position_column()}")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [])
            return [self._stored_event_id(row["originator_id"]) for row in cursor.fetchall()]

    def projects_changed_after(self, position: int) -> set[UUID]:
        """The projects with events after a position (those a projection has yet to apply)."""
        statement = (f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                     f"WHERE {self._position_column()} > %s")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [position])
            return {self._stored_event_id(row["originator_id"]) for row in cursor.fetchall()}

    def last_positions_after(self, position: int) -> dict[UUID, int]:
        """Each project with events after a position, and its last event's position."""
        pos = self._position_column()
        statement = (f"SELECT originator_id, MAX({pos}) AS position "
                     f"FROM {self.events_table_name} WHERE {pos} > %s GROUP BY originator_id")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [position])
            return {self._stored_event_id(row["originator_id"]): int(row["position"])
                    for row in cursor.fetchall()}

    def current_view(self, originator_id: UUID, view: str) -> tuple[int | None,
                                                                   StoredView | None]:
        """The project's last position (as `last_position_of`) and the projector's rendering
        of one of its views, in one statement: a live read is then one transaction (three
        round trips to PostgreSQL, BEGIN, SELECT, ROLLBACK) instead of two."""
        statement = (f"SELECT e.position, v.position AS view_position, v.on_date, v.body "
                     f"FROM (SELECT {self._position_column()} AS position "
                     f"FROM {self.events_table_name} WHERE originator_id = %s "
                     "ORDER BY originator_version DESC LIMIT 1) AS e "
                     f"LEFT JOIN {VIEWS_TABLE} AS v ON v.project_id = %s AND v.view = %s")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement),
                           [self._id_param(originator_id), str(originator_id), view])
            row = cursor.fetchone()
        if row is None:
            return None, None
        stored = None
        if row["view_position"] is not None:
            stored = StoredView(int(row["view_position"]), date.fromisoformat(row["on_date"]),
                                row["body"])
        return row["position"], stored

    def _stored_event_id(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(str(value))

    def stored_positions(self, originator_id: UUID, first_version: int,
                         states: Sequence[bytes]) -> list[int] | None:
        """The positions of a project's events from `first_version` on, if the store holds
        exactly these events there (a write whose COMMIT was cut off may or may not have
        committed); None if it does not."""
        statement = (f"SELECT {self._position_column()} AS position, state "
                     f"FROM {self.events_table_name} WHERE originator_id = %s "
                     "AND originator_version >= %s AND originator_version < %s "
                     "ORDER BY originator_version")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [self._id_param(originator_id), first_version,
                                                  first_version + len(states)])
            rows = cursor.fetchall()
        if [bytes(row["state"]) for row in rows] != list(states):
            return None
        return [int(row["position"]) for row in rows]

    def insert_snapshot(self, table: str, stored: StoredEvent) -> None:
        """Stores an aggregate snapshot unless another projector stored that version first:
        ON CONFLICT, not a caught duplicate-key error, which PostgreSQL would log as an ERROR
        at every `projections rebuild` beside a live projector."""
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(
                f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"),
                [self._id_param(UUID(str(stored.originator_id))), stored.originator_version,
                 stored.topic, stored.state])

    # ---- idempotency records ------------------------------------------------------------

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The answer stored for a key, if any."""
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(f"SELECT {RECORD_COLUMNS} FROM {IDEMPOTENCY_TABLE} "
                                     "WHERE scope = %s AND key = %s"), [scope, key])
            row = cursor.fetchone()
        return IdempotencyRecord(*(row[c] for c in RECORD_COLUMNS.split(", "))) if row else None

    def remember_refusal(self, record: IdempotencyRecord) -> IdempotencyRecord:
        """Stores the answer of a refused command (it recorded no events, so it has a
        transaction of its own); answers the record that holds the key afterwards — another
        request's, if one stored it first."""
        with self._cursor(commit=True) as cursor:
            cursor.execute(self._sql(
                f"INSERT INTO {IDEMPOTENCY_TABLE} ({RECORD_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"), record.values())
            stored = self._rowcount(cursor) == 1
        return record if stored else (self.idempotency_record(record.scope, record.key)
                                      or record)


class LedgerStore(LedgerQueries, PortfolioQueries, ViewStoreQueries, AccessQueries):
    """Every extra statement of the ledger's store, whatever the backend."""

    if TYPE_CHECKING:  # the library's, and the backend's write unit (service.store.writes)
        def select_events(self, originator_id: UUID | str, *, gt: int | None = None,
                          lte: int | None = None, desc: bool = False,
                          limit: int | None = None) -> Sequence[StoredEvent]: ...

        def commit_write(self, write: Write) -> Written: ...

        def commit_in_turn(self, project_id: UUID, version: int,
                           prepare: Callable[[list[StoredEvent]], Write]) -> Written: ...


class SQLiteLedgerRecorder(SQLiteWrites, LedgerStore, SQLiteApplicationRecorder):
    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _sql(self, statement: str) -> str:
        return statement.replace("%s", "?")

    def _position_column(self) -> str:
        return "rowid"

    def _rowcount(self, cursor: Any) -> int:
        return int(cursor.sqlite_cursor.rowcount)

    def _id_param(self, originator_id: UUID) -> str:
        return originator_id.hex

    def _stored_event(self, row: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=self.convert_originator_id(row["originator_id"]),
            originator_version=row["originator_version"], topic=row["topic"], state=row["state"],
        )


class PostgresLedgerRecorder(PostgresWrites, LedgerStore, PostgresApplicationRecorder):
    # The library retries these reads 10 times, 0.2 s apart, when the server cannot be
    # reached: a request then waited ten connection timeouts (up to a minute, past gunicorn's
    # worker timeout) for its 503. Unwrapped, a request fails once and the client retries;
    # the projector and the view feed retry on their own.
    max_notification_id = PostgresApplicationRecorder.max_notification_id.__wrapped__
    select_notifications = PostgresApplicationRecorder.select_notifications.__wrapped__
    select_events = PostgresApplicationRecorder.select_events.__wrapped__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install_idle_check(self.datastore.pool)

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        if not commit:
            # Every read here is one statement, atomic and consistent on its own on the pool's
            # autocommit connections: without BEGIN and ROLLBACK around it, it is one round
            # trip to the server instead of three.
            with self.datastore.cursor() as cursor:
                yield cursor
            return
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _sql(self, statement: str) -> Any:
        return SQL(statement)

    @contextmanager
    def project_write_lock(self, originator_id: UUID) -> Iterator[None]:
        # A session-level advisory lock on a connection of the pool, keyed by the project
        # (its id's first 64 bits, signed); two round trips per save, where a conflict cost
        # a failed save, a reload and a back-off.
        key = int.from_bytes(originator_id.bytes[:8], "big", signed=True)
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [key])
            try:
                yield
            finally:
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", [key])
                except Exception:
                    conn.close()  # the pool drops it, and the server frees its lock
                    raise

    def _announce(self, cursor: Any, payload: str) -> None:
        cursor.execute(SQL("SELECT pg_notify(%s, %s)"), [VIEWS_CHANNEL, payload])

    def _among(self, column: str, ids: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [list(ids)]

    def _position_column(self) -> str:
        return "notification_id"

    def _stored_event(self, row: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=row["originator_id"], originator_version=row["originator_version"],
            topic=row["topic"], state=bytes(row["state"]),
        )


class PostgresSnapshotRecorder(PostgresAggregateRecorder):
    """The aggregate snapshots' table. A writer that lost its copy of a project loads it from
    here on a request's path, which therefore fails once, as above: the library's ten
    retries, each failing fast while an outage is known, held the request for two seconds
    and past the return of the server."""

    select_events = PostgresAggregateRecorder.select_events.__wrapped__


__all__: Sequence[str] = ["PostgresLedgerRecorder", "PostgresSnapshotRecorder",
                          "SQLiteLedgerRecorder"]

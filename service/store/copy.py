"""`grantledger copy`: a whole ledger moved from one store to another (the demo's SQLite file
to PostgreSQL, a PostgreSQL database to a SQLite file for an auditor).

Every event goes across as it is stored — originator id, version, topic and state bytes, at
the same global position — so each project's hash chain still verifies and every position a
client kept (a read-your-writes `min_position`, an event-feed cursor) means the same event.
The idempotency records and the grants in force go across with whatever columns both stores'
tables have. The source
is read in one snapshot; the target, migrated first, is written in one transaction that holds
the library's write lock on its events, and must hold no event and no idempotency record.
Snapshots, views and checkpoints are derived: the caller rebuilds them on the target.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from service.store.access import ACCESS_TABLE
from service.store.database import (
    StoreError,
    StoreUrl,
    check_reachable,
    events_table,
    one_line,
    postgres_connection,
    sqlite_transaction,
)
from service.store.migrate import migrate
from service.store.writes import IDEMPOTENCY_TABLE

PAGE = 1000
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Copied:
    events: int
    idempotency_records: int
    grants: int = 0


class _Side:
    """One store's connection, in one transaction, with its dialect."""

    def __init__(self, store: StoreUrl, connection: Any) -> None:
        self.store, self.connection = store, connection
        self.events = events_table(store)
        self.position = "notification_id" if store.is_postgres else "rowid"

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        if self.store.is_postgres:
            return self.connection.execute(statement, params or None)
        return self.connection.execute(statement.replace("%s", "?"), tuple(params))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in self.execute(statement, params).fetchall()]

    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.store.is_postgres:
            with self.connection.cursor() as cursor:
                cursor.executemany(statement, rows)
        else:
            self.connection.executemany(statement.replace("%s", "?"), rows)

    def columns(self, table: str) -> list[str]:
        if self.store.is_postgres:
            return [row[0] for row in self.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = %s ORDER BY ordinal_position", [table])]
        return [row[1] for row in self.rows(f"PRAGMA table_info({table})")]

    def originator(self, value: Any) -> Any:
        """An originator id as this store keeps it (SQLite: 32 hex digits; PostgreSQL: uuid)."""
        uuid = value if isinstance(value, UUID) else UUID(str(value))
        return uuid if self.store.is_postgres else uuid.hex


def copy_ledger(source_url: str, target_url: str,
                progress: Callable[[int, int], None] = lambda done, total: None) -> Copied:
    """Copies the events and idempotency records; `progress(events done, events in all)`."""
    source, target = StoreUrl(source_url), StoreUrl(target_url)
    if source.url == target.url:
        raise StoreError("--from and --to name the same store")
    check_reachable(source, must_exist=True)
    check_reachable(target)
    migrate(target.url)
    with ExitStack() as stack:
        reading = stack.enter_context(_snapshot(source))
        writing = stack.enter_context(_transaction(target))
        _refuse_non_empty(writing)
        events = _copy_events(reading, writing, progress)
        records = _copy_table(reading, writing, IDEMPOTENCY_TABLE)
        grants = _copy_table(reading, writing, ACCESS_TABLE)
    return Copied(events, records, grants)


def _refuse_non_empty(target: _Side) -> None:
    if target.store.is_postgres:  # writers wait for the copy; the copy for writers in flight
        target.execute(f"LOCK TABLE {target.events} IN EXCLUSIVE MODE")
    [(events,)] = target.rows(f"SELECT COUNT(*) FROM {target.events}")
    [(records,)] = target.rows(f"SELECT COUNT(*) FROM {IDEMPOTENCY_TABLE}")
    if events or records:
        raise StoreError(f"the target {target.store.masked} is not empty ({events} events, "
                         f"{records} idempotency records): copy only into an empty store")


def _copy_events(source: _Side, target: _Side, progress: Callable[[int, int], None]) -> int:
    [(total,)] = source.rows(f"SELECT COUNT(*) FROM {source.events}")
    insert = (f"INSERT INTO {target.events} ({target.position}, originator_id, "
              "originator_version, topic, state) VALUES (%s, %s, %s, %s, %s)")
    done, last = 0, 0
    while page := source.rows(
            f"SELECT {source.position}, originator_id, originator_version, topic, state "
            f"FROM {source.events} WHERE {source.position} > %s "
            f"ORDER BY {source.position} LIMIT {PAGE}", [last]):
        target.write(insert, [(position, target.originator(originator), version, topic,
                               bytes(state)) for position, originator, version, topic, state
                              in page])
        done, last = done + len(page), page[-1][0]
        progress(done, total)
    if target.store.is_postgres and done:  # the next event is numbered after the last copied
        target.execute(f"SELECT setval(pg_get_serial_sequence('{target.events}', "
                       "'notification_id'), %s)", [last])
    return done


def _copy_table(source: _Side, target: _Side, table: str) -> int:
    """A table's rows, by the columns both stores' tables have (a source of an older
    version may lack some, or the whole table)."""
    wanted = set(target.columns(table))
    columns = [name for name in source.columns(table) if name in wanted]
    if not columns:
        return 0
    names = ", ".join(columns)
    rows = source.rows(f"SELECT {names} FROM {table}")
    if rows:
        target.write(f"INSERT INTO {table} ({names}) "
                     f"VALUES ({', '.join(['%s'] * len(columns))})",
                     [[bytes(value) if isinstance(value, memoryview) else value
                       for value in row] for row in rows])
    return len(rows)


@contextmanager
def _snapshot(store: StoreUrl) -> Iterator[_Side]:
    """The source, read in one consistent snapshot (it may be in use meanwhile)."""
    if store.is_postgres:
        from psycopg import IsolationLevel

        with postgres_connection(store) as connection:
            connection.isolation_level = IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            with connection.transaction():
                yield _Side(store, connection)
        return
    connection = sqlite3.connect(f"file:{store.sqlite_path}?mode=ro", uri=True,
                                 isolation_level=None)
    try:
        connection.execute("BEGIN")
        yield _Side(store, connection)
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        raise StoreError(f"cannot read the SQLite store {store.sqlite_path}: {error}") from None
    finally:
        connection.close()


@contextmanager
def _transaction(store: StoreUrl) -> Iterator[_Side]:
    """The target, written in one transaction: all of the ledger or nothing."""
    if store.is_postgres:
        import psycopg

        try:
            with postgres_connection(store) as connection, connection.transaction():
                yield _Side(store, connection)
        except psycopg.Error as error:
            raise StoreError(f"cannot write to {store.masked}: {one_line(error)}") from None
        return
    with sqlite_transaction(store, doing="write to") as connection:
        yield _Side(store, connection)

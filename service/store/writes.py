"""Writing to a project: one transaction that checks the project is still at the version
the writer decided on, appends the decided events and the idempotency records of the requests
that decided them, and applies the grants they change — all or nothing.

On PostgreSQL that is one round trip: a call of the server's `grantledger_write`
(service.store.write_function), one statement and so its own transaction. The function takes
the project's transaction-scoped advisory lock, so writers to one project queue rather than
race; finding the project moved on, or an answer already stored for a key in hand, it records
nothing and answers what the writer lacked (`Written.positions` None), and the writer decides
again. SQLite does the same in one `BEGIN IMMEDIATE` transaction (its write lock is the project
lock). The locks die with the transaction: a writer killed mid-way holds nothing, and a retry
of its request simply runs.

A project that writers in two processes contend for is written in turn instead
(`commit_in_turn`): the lock first, then the events the writer lacks, its decision on them
while the lock is held, and the same call, in one transaction of five round trips; so neither
decides in vain on a state the other is replacing.

A connection lost during the commit leaves the outcome unknown: `stored_positions` reads it
back.

An answer carries its events' positions, which only the insert knows: it is rendered with
stand-ins (`Marks`) that the store replaces by the positions as it stores the answer.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID
from weakref import WeakKeyDictionary

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)

from service.store.access import AccessChange
from service.store.write_function import CALL_WRITE, MARK_INDEX_DIGITS

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


@dataclass(frozen=True)
class Marks:
    """Stand-ins for the positions of a write's events, to render answers before the insert
    gives the positions: `mark` and the event's index in six digits, read as one negative
    number. The mark is random, so no text of a client's can hold it."""

    mark: str

    @classmethod
    def new(cls) -> Marks:
        return cls(f"-{secrets.randbelow(9 * 10 ** 11) + 10 ** 11}")

    def positions(self, count: int) -> list[int]:
        return [int(f"{self.mark}{index:0{MARK_INDEX_DIGITS}d}") for index in range(count)]

    def fill(self, text: str | None, positions: Sequence[int]) -> str | None:
        """The text with each stand-in replaced by its event's position."""
        if text is None or self.mark not in text:
            return text
        first, *parts = text.split(self.mark)
        return first + "".join(str(positions[int(part[:MARK_INDEX_DIGITS])])
                               + part[MARK_INDEX_DIGITS:] for part in parts)


@dataclass
class Write:
    """What a writer decided, to be stored if the project is still at `expected`."""

    project_id: UUID
    expected: int
    """The version of the project the commands were decided on (0: none yet)."""
    keys: Sequence[Key] = ()
    """Every request key in hand: an answer stored for one means deciding again."""
    events: Sequence[StoredEvent] = ()
    records: Sequence[IdempotencyRecord] = ()
    """The answers of the requests that recorded events, positions as `marks`' stand-ins."""
    access: Sequence[AccessChange] = ()
    registration_number: str = ""
    marks: Marks = field(default_factory=Marks.new)
    sent: bool = False
    """Set once the events may have reached the store: an error after it is ambiguous."""


@dataclass
class Written:
    """What a write found: the events' positions, or (positions None) why nothing was
    recorded — the project's newer events, the answers stored for keys in hand, and its
    latest version."""

    positions: list[int] | None
    newer: list[StoredEvent] = field(default_factory=list)
    newer_at: int = 0
    """The position of the last of `newer` (0 where the store does not say)."""
    records: dict[Key, IdempotencyRecord] = field(default_factory=dict)
    latest: int = 0


def _record(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(row["scope"], row["key"], row["fingerprint"], int(row["status"]),
                             row["body"], row["location"])


def _keys_clause(keys: Sequence[Key]) -> tuple[str, list[str]]:
    pairs = ", ".join(["(%s, %s)"] * len(keys))
    return (f"SELECT {RECORD_COLUMNS} FROM {IDEMPOTENCY_TABLE} WHERE (scope, key) IN ({pairs})",
            [part for key in keys for part in key])


class _WriteUnit:
    """What a write unit uses of the recorder it is mixed into."""

    datastore: Any

    if TYPE_CHECKING:  # service.store.recorders.LedgerQueries'
        def _events_after(self, cursor: Any, originator_id: UUID,
                          version: int) -> list[StoredEvent]: ...


class PostgresWrites(_WriteUnit):
    """The write unit on PostgreSQL (mixed into the ledger's recorder)."""

    def commit_write(self, write: Write) -> Written:
        """One round trip: the call of `grantledger_write(…)` as one statement on the pool's
        autocommit connection, which makes it a transaction of its own, committed before the
        server answers it (an error at its commit is the call's error). No BEGIN and COMMIT
        around it, no pipeline: psycopg's pipeline mode cost more of the client's CPU than
        the call itself. Whatever fails, the server rolls the statement back itself."""
        params = _call_params(write)
        with self.datastore.get_connection() as conn:
            cursor = _kept_cursor(conn)
            write.sent = bool(write.events)  # from here a lost answer may hide a commit
            written = _written(write.project_id, cursor.execute(CALL_WRITE, params).fetchall())
            if written.newer:  # a cursor holds its last answer: these states may be many
                _drop_cursor(conn)
            return written

    def commit_in_turn(self, project_id: UUID, version: int,
                       prepare: Callable[[list[StoredEvent]], Write]) -> Written:
        """The write of a contended project: in one transaction, the project's lock, then its
        events after `version`, on which `prepare` decides while the lock is held, then the
        call that stores the decision (it takes the lock again, which this transaction
        holds). An error at the COMMIT is ambiguous, as in `commit_write`."""
        with self.datastore.get_connection() as conn:
            cursor = _kept_cursor(conn)
            with conn.transaction():
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(project_id)])
                # A statement of its own: its snapshot is taken after the lock was granted.
                newer = self._events_after(cursor, project_id, version)
                write = prepare(newer)
                write.sent = bool(write.events)
                written = _written(project_id,
                                   cursor.execute(CALL_WRITE, _call_params(write)).fetchall())
            if newer or written.newer:
                _drop_cursor(conn)
            return written


# Each pooled connection's cursor for the call, kept with it: a cursor remembers the adapters
# it found for the call's parameters and columns, which a new one looks up again every time.
_CURSORS: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()
_CURSORS_LOCK = threading.Lock()


def _kept_cursor(conn: Any) -> Any:
    with _CURSORS_LOCK:
        cursor = _CURSORS.get(conn)
        if cursor is None or cursor.closed:
            cursor = _CURSORS[conn] = conn.cursor()
        return cursor


def _drop_cursor(conn: Any) -> None:
    with _CURSORS_LOCK:
        cursor = _CURSORS.pop(conn, None)
    if cursor is not None:
        cursor.close()


def _call_params(write: Write) -> list[Any]:
    events = write.events
    return [
        write.project_id, _lock_key(write.project_id), write.expected,
        [e.originator_version for e in events], [e.topic for e in events],
        [e.state for e in events],
        json.dumps(write.keys), json.dumps([r.values() for r in write.records]),
        write.marks.mark,
        json.dumps([(c.event, c.subject, c.role, c.name) for c in write.access]),
        write.registration_number]


def _written(project_id: UUID, rows: Sequence[Any]) -> Written:
    written = Written(positions=[])
    for row in rows:
        kind = row["kind"]
        if kind == "appended":
            assert written.positions is not None
            written.positions.append(int(row["at"]))
        elif kind == "record":
            record = _record(row)
            written.records[record.id] = record
        elif kind == "newer":
            written.newer.append(StoredEvent(project_id, int(row["version"]), row["topic"],
                                             bytes(row["state"])))
            written.newer_at = max(written.newer_at, int(row["at"]))
        else:  # "latest": nothing was recorded
            written.positions, written.latest = None, int(row["version"])
    return written


def _lock_key(project_id: UUID) -> int:
    """The project's advisory lock: its id's first 64 bits, signed."""
    return int.from_bytes(project_id.bytes[:8], "big", signed=True)


class SQLiteWrites(_WriteUnit):
    """The write unit on SQLite: `BEGIN IMMEDIATE` takes the database's write lock, which
    serialises every writer anyway (mixed into the ledger's recorder)."""

    events_table_name: str

    def commit_write(self, write: Write) -> Written:
        return self._commit(lambda cursor: write)

    def commit_in_turn(self, project_id: UUID, version: int,
                       prepare: Callable[[list[StoredEvent]], Write]) -> Written:
        """As on PostgreSQL: the newer events read and decided on under the write lock."""
        return self._commit(
            lambda cursor: prepare(self._events_after(cursor, project_id, version)))

    def _commit(self, prepare: Callable[[Any], Write]) -> Written:
        with self.datastore.get_connection(commit=True) as conn, sqlite_errors():
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                write = prepare(cursor)
                written = self._checked(cursor, write)
                if written.positions is None or not write.events:
                    conn.rollback()
                    return written
                write.sent = True
                written.positions = self._append(cursor, write)
                conn.commit()
                return written
            except BaseException:
                conn.rollback()
                raise

    def _checked(self, cursor: Any, write: Write) -> Written:
        """What the write lacks: the answers stored for its keys, the project's newer events
        (positions None when either is there)."""
        written = Written(positions=[])
        if write.keys:
            statement, params = _keys_clause(write.keys)
            cursor.execute(statement.replace("%s", "?"), params)
            written.records = {r.id: r for r in map(_record, cursor.fetchall())}
        cursor.execute(f"SELECT MAX(originator_version) AS latest FROM {self.events_table_name} "
                       "WHERE originator_id = ?", [write.project_id.hex])
        written.latest = int(cursor.fetchone()["latest"] or 0)
        if written.records or written.latest != write.expected:
            written.newer = self._events_after(cursor, write.project_id, write.expected)
            written.positions = None
        return written

    def _append(self, cursor: Any, write: Write) -> list[int]:
        positions = []
        for e in write.events:
            cursor.execute(f"INSERT INTO {self.events_table_name} VALUES (?, ?, ?, ?)",
                           [UUID(str(e.originator_id)).hex, e.originator_version, e.topic,
                            e.state])
            positions.append(int(cursor.lastrowid))
        fill = write.marks.fill
        cursor.executemany(
            f"INSERT INTO {IDEMPOTENCY_TABLE} ({RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            [(r.scope, r.key, r.fingerprint, r.status, fill(r.body, positions),
              fill(r.location, positions)) for r in write.records])
        for change in write.access:
            statement, params = change.statement(positions)
            cursor.execute(statement.replace("%s", "?"), params)
        return positions


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

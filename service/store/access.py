"""The grants in force, as a table: who holds which role on which project now.

The events `AccessGranted` / `AccessRevoked` are the record; this table is their current
state, written in the same transaction as the events (service.store.writes), so a request is
never let in by a grant revoked before it, whatever the projector is doing. A web process
keeps each subject's grants in memory (service.reads.access) and forgets them when the
transaction that changes them NOTIFYs `grantledger_access` with the subject (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

ACCESS_TABLE = "grantledger_access"
ACCESS_CHANNEL = "grantledger_access"
ACCESS_COLUMNS = "project_id, subject, role, name, registration_number, position"
UPSERT = (f"INSERT INTO {ACCESS_TABLE} ({ACCESS_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) "
          "ON CONFLICT (project_id, subject) DO UPDATE SET role = excluded.role, "
          "name = excluded.name, position = excluded.position")
DELETE = f"DELETE FROM {ACCESS_TABLE} WHERE project_id = %s AND subject = %s"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {ACCESS_TABLE} ("
    "project_id TEXT NOT NULL, subject TEXT NOT NULL, role TEXT NOT NULL, "
    "name TEXT NOT NULL, registration_number TEXT NOT NULL, position BIGINT NOT NULL, "
    "PRIMARY KEY (project_id, subject))")
CREATE_INDEX = (f"CREATE INDEX IF NOT EXISTS {ACCESS_TABLE}_subject_idx "
                f"ON {ACCESS_TABLE} (subject)")


@dataclass(frozen=True)
class Grant:
    """A subject's role on a project, in force now."""

    project_id: UUID
    subject: str
    role: str
    name: str
    registration_number: str
    position: int


@dataclass(frozen=True)
class AccessChange:
    """What an event of a write did to the grants: `role` None for a revocation; `event` is
    the event's index among the write's (its position is known once they are inserted)."""

    project_id: UUID
    subject: str
    role: str | None
    name: str
    registration_number: str
    event: int

    def statement(self, positions: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        if self.role is None:
            return DELETE, (str(self.project_id), self.subject)
        return UPSERT, (str(self.project_id), self.subject, self.role, self.name,
                        self.registration_number, positions[self.event])


def access_changes(project: Any, events: Sequence[Any]) -> list[AccessChange]:
    """The changes to the grants that a write's events make, in order."""
    changes = []
    for index, event in enumerate(events):
        kind = type(event).__name__
        if kind == "AccessGranted":
            changes.append(AccessChange(project.id, event.subject, event.role, event.name,
                                        project.registration_number, index))
        elif kind == "AccessRevoked":
            changes.append(AccessChange(project.id, event.subject, None, "",
                                        project.registration_number, index))
    return changes


def grant_from_row(row: Any) -> Grant:
    return Grant(UUID(str(row["project_id"])), row["subject"], row["role"], row["name"],
                 row["registration_number"], int(row["position"]))


class AccessQueries:
    """The grants' reads (mixed into the ledger's recorder)."""

    def _cursor(self, *, commit: bool) -> Any:
        raise NotImplementedError

    def _sql(self, statement: str) -> Any:
        return statement

    def grants_of(self, subject: str) -> list[Grant]:
        """Every grant a subject holds, by project registration."""
        statement = (f"SELECT {ACCESS_COLUMNS} FROM {ACCESS_TABLE} WHERE subject = %s "
                     "ORDER BY registration_number")
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), [subject])
            return [grant_from_row(row) for row in cursor.fetchall()]

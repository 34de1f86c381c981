"""Each web process's copy of the grants in force, by subject.

A request under a project needs the principal's grant there; reading it from the database on
every request would cost a round trip that a dashboard's poll, answered from memory, does not
otherwise pay. So a process keeps each subject's grants once read, and forgets them when the
transaction that changes them announces it (NOTIFY `grantledger_access` with the subject,
service.store.writes): a revocation reaches every process with the database's notification,
before the revoking request is even answered in practice, and a command is checked again
under the project's lock (service.application), so none is ever recorded under a revoked grant.

Without a live notification connection (SQLite, which cannot push, or the connection lost)
nothing is kept: every request reads the table, which is then the only truth.

Grants are read, and listened for, on the store itself even with a read replica
(service.reads.replica): a standby refuses LISTEN, and a revocation reaches the checks
without any replication lag.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cachetools import LRUCache

from service.reads.view_feed import Listener
from service.store.access import ACCESS_CHANNEL, Grant

SUBJECTS_KEPT = 10_000


class AccessDirectory:
    def __init__(self, queries: Any) -> None:
        self._queries = queries
        self._kept: LRUCache[str, dict[UUID, Grant]] = LRUCache(maxsize=SUBJECTS_KEPT)
        self._lock = threading.Lock()
        self._generation = 0
        self.live = False

    def grants(self, subject: str) -> Mapping[UUID, Grant]:
        """The subject's grants in force, by project."""
        with self._lock:
            kept = self._kept.get(subject) if self.live else None
            generation = self._generation
        if kept is not None:
            return kept
        read = {grant.project_id: grant for grant in self._queries.grants_of(subject)}
        with self._lock:
            # Kept only if nothing was forgotten while it was read (it may be older).
            if self.live and generation == self._generation:
                self._kept[subject] = read
        return read

    def role_on(self, subject: str, project_id: UUID) -> str | None:
        grant = self.grants(subject).get(project_id)
        return grant.role if grant is not None else None

    def forget(self, subjects: list[str]) -> None:
        with self._lock:
            self._generation += 1
            for subject in subjects:
                self._kept.pop(subject, None)

    def connected(self) -> None:
        with self._lock:
            self._generation += 1
            self._kept.clear()
            self.live = True

    def lost(self) -> None:
        with self._lock:
            self._generation += 1
            self.live = False
            self._kept.clear()


def follow_grants(directory: AccessDirectory, application: Any) -> Listener:
    """A listener that keeps `directory` current (PostgreSQL); start it, stop it at close."""
    return Listener(application.recorder.datastore, ACCESS_CHANNEL,
                    notified=lambda notes: directory.forget([payload for _, payload in notes]),
                    connected=directory.connected, lost=directory.lost)

"""Group commit: commands for one project that arrive while another is being saved are saved
together with it, in one transaction.

Every command on a project must see the one before it, so writes to a project are serial; a
save costs a round trip to the database and a commit. Instead of each waiting thread paying them in
turn, the thread that gets the project's lock takes every command queued for the project,
lets the aggregate decide each in order (a refused one records nothing and does not stop the
others) and saves all their events at once. Each caller gets its own outcome or refusal.

A caller waits for the lock no longer than its request's deadline for the store
(service.store.connections.answering_within): one still queued then is taken out of the queue
— nothing of it is saved — and answered 503, the project busy (`ProjectBusyError`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import OperationalError

from service.store.connections import patience_left

T = TypeVar("T")


class ProjectBusyError(OperationalError):
    """The project's earlier commands were still being saved when a request's wait for the
    store ended: nothing of the request was saved, and a retry may be. The store's error
    class, so that it is handled as the store's (never remembered for an Idempotency-Key)."""


@dataclass
class Queued(Generic[T]):
    """One caller's command, and then its result or its refusal."""

    command: Any
    result: T | None = None
    error: BaseException | None = None
    done: bool = field(default=False, repr=False)


class GroupCommit(Generic[T]):
    def __init__(self, stripes: int = 64) -> None:
        self._locks = tuple(threading.Lock() for _ in range(stripes))
        self._queued: dict[UUID, list[Queued[T]]] = {}
        self._queue_lock = threading.Lock()

    def run(self, project_id: UUID, command: Any,
            commit: Callable[[list[Queued[T]]], None]) -> T:
        """Queues `command` and waits for the project's lock; whoever holds it first commits
        every queued command through `commit`, which sets each one's result or error."""
        mine: Queued[T] = Queued(command)
        with self._queue_lock:
            self._queued.setdefault(project_id, []).append(mine)
        lock = self._locks[hash(project_id) % len(self._locks)]
        self._acquire(lock, project_id, mine)
        try:
            if not mine.done:
                with self._queue_lock:
                    group = self._queued.pop(project_id)
                self._commit(group, commit)
        finally:
            lock.release()
        if mine.error is not None:
            raise mine.error
        assert mine.result is not None
        return mine.result

    def _acquire(self, lock: threading.Lock, project_id: UUID, mine: Queued[T]) -> None:
        left = patience_left()
        if lock.acquire(timeout=-1 if left is None else left):
            return
        if self._withdraw(project_id, mine):
            raise ProjectBusyError("the project's earlier commands were still being saved "
                                   "when this request's wait for the store ended")
        # Already taken into a group being saved: its outcome comes within the deadline of
        # the caller saving it.
        lock.acquire()

    def _withdraw(self, project_id: UUID, mine: Queued[T]) -> bool:
        """Takes `mine` out of the queue if no group has taken it yet."""
        with self._queue_lock:
            queue = self._queued.get(project_id, [])
            kept = [queued for queued in queue if queued is not mine]
            if len(kept) == len(queue):
                return False
            if kept:
                self._queued[project_id] = kept
            else:
                del self._queued[project_id]
            return True

    @staticmethod
    def _commit(group: list[Queued[T]], commit: Callable[[list[Queued[T]]], None]) -> None:
        try:
            commit(group)
        except BaseException as error:  # the whole group failed: each caller learns why
            # Also a caller whose outcome was decided before the commit failed: its events
            # may not be stored (a COMMIT cut off and the store unreadable after it), and a
            # refusal may rest on another's events that are not. Its retry with its key
            # finds what was stored.
            for queued in group:
                # Nothing of the transaction was stored: not an outcome decided before it
                # failed, nor a replay of a key first answered in it. A refusal retried is
                # refused again, so it too may answer the failure.
                queued.result, queued.error = None, error
        finally:
            for queued in group:
                queued.done = True

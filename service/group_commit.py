"""Group commit: commands for one project that arrive while another is being saved are saved
together with it, in one transaction.

Every command on a project must see the one before it, so writes to a project are serial; a
save costs a round trip to the database and a commit. Instead of each waiting thread paying them in
turn, the thread that gets the project's lock takes every command queued for the project,
lets the aggregate decide each in order (a refused one records nothing and does not stop the
others) and saves all their events at once. Each caller gets its own outcome or refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

T = TypeVar("T")


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
        with self._locks[hash(project_id) % len(self._locks)]:
            if not mine.done:
                with self._queue_lock:
                    group = self._queued.pop(project_id)
                self._commit(group, commit)
        if mine.error is not None:
            raise mine.error
        assert mine.result is not None
        return mine.result

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

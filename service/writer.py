"""How the application writes to a project: exactly once, whatever fails in between.

Each process keeps the last committed state of the projects it writes (`ProjectWriter`).
Commands to one project that arrive while a write is under way queue and are decided
together (group commit). The writer lets the project it holds decide each queued command in
order, then stores the events with the idempotency records of the requests that decided them
in one transaction (service.store.writes), which holds the project's lock and records nothing
if the project moved on since the state held or a key in hand has an answer stored: the writer
then catches up with what it was answered and decides again. So a command is only ever
recorded as decided against the project's current state, a crash leaves events and records
both or neither, and a retry of a request whose answer is stored is answered from it, never
decided again.

Two processes writing to one project at once would mostly take turns that way, each deciding
now and then on a state the other was replacing (one write in five, under a stream of POSTs
from both). Deciding a batch of 500 again costs tens of milliseconds; so once a write to a
project has lost such a race, the process's large writes to it (IN_TURN_COMMANDS) for the next
CONTENDED_SECONDS go in turn instead (`commit_in_turn`): the store's lock on the project is
taken first, and the commands are decided once, on the events read under it. A write in turn
that read another process's events keeps the project contended. Any write goes in turn after
losing twice.

When the connection breaks after the events were sent (during COMMIT), nobody knows whether
they committed: the outcome is read back from the store — the events at the versions they
were given, byte for byte — and a command is never decided again against a state that
already holds its own events.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast
from uuid import UUID

from cachetools import LRUCache
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
    StoredEvent,
)

from domain.project import GrantProject
from domain.records import Stamp
from service.clock import prague_today, utc_now
from service.group_commit import GroupCommit, Queued
from service.metrics import CONFLICTS_RETRIED, DECIDED_AGAIN, EVENTS_APPENDED, WRITES_IN_TURN
from service.principals import Actor
from service.store.access import access_changes
from service.store.recorders import LedgerStore
from service.store.writes import IdempotencyRecord, Key, Write, Written

MAX_ATTEMPTS = 50
# After a write to a project lost a race to another process, its writes go in turn for this
# long (see above) ...
CONTENDED_SECONDS = 1.0
# ... those of groups of at least this many commands: a batch's decision is worth the four
# round trips more that a turn costs; a few single commands are not, and are decided again
# instead (measured: in turn, 500-expense batches cost 22 % less CPU and none waited past the
# store's patience; single POSTs lost about 4 % of their rate).
IN_TURN_COMMANDS = 50
T = TypeVar("T")
Answer = tuple[int, str, str | None]
"""What a request is answered: status, JSON body, Location (or None)."""
Decide = Callable[[GrantProject | None, Stamp], GrantProject]
"""Lets a project (None before its registration) decide a command; answers the project."""


class ProjectNotFoundError(LookupError):
    """No project has this id."""


@dataclass(frozen=True)
class Outcome:
    """What a command did: the project after it and the global positions of the events it
    recorded (none for a dry run)."""

    project: GrantProject
    positions: tuple[int, ...]

    @property
    def position(self) -> int:
        """The position of the command's last event."""
        return self.positions[-1]


@dataclass(frozen=True)
class IdempotentRequest(Generic[T]):
    """A request that carried an Idempotency-Key: its answer (rendered from what the command
    did) is stored with its events."""

    scope: str
    key: str
    fingerprint: str
    answer: Callable[[T], Answer]

    @property
    def id(self) -> Key:
        return self.scope, self.key

    def record(self, done: T) -> IdempotencyRecord:
        return IdempotencyRecord(self.scope, self.key, self.fingerprint, *self.answer(done))

    def adapted(self, convert: Callable[[Outcome], T]) -> IdempotentRequest[Outcome]:
        """The same request, answered from an Outcome converted first."""
        return IdempotentRequest(self.scope, self.key, self.fingerprint,
                                 lambda outcome: self.answer(convert(outcome)))


class AnsweredBeforeError(Exception):
    """A request with this Idempotency-Key was answered before: the answer is `record`."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(f"Idempotency-Key {record.key!r} was answered before")
        self.record = record


@dataclass(frozen=True)
class Order:
    """One caller's command, queued for a project."""

    by: Actor
    decide: Decide
    request: IdempotentRequest[Outcome] | None = None
    commands: int = 1
    """How many commands it decides (a batch's expenses): what deciding it again would cost."""


class Store(Protocol):
    """What the writer needs of the application."""

    mapper: Mapper[UUID]

    @property
    def queries(self) -> LedgerStore: ...

    def load(self, project_id: UUID) -> GrantProject: ...


class ProjectWriter:
    def __init__(self, store: Store, cache_size: int) -> None:
        self._store = store
        self._committed: LRUCache[UUID, GrantProject] = LRUCache(maxsize=cache_size)
        self._lock = threading.Lock()
        self._group_commit: GroupCommit[Outcome] = GroupCommit()
        # Told of each commit, with the position of the project's last event (the view cache:
        # reads here reflect at least it).
        self.committed: list[Callable[[UUID, int], None]] = []
        # The last position this process wrote (what a read replica must have replayed,
        # service.reads.replica).
        self.last_written = 0
        # The position of each held state's last event where known, and the last position an
        # append of the project was heard at (any process's, from the view feed): a state
        # behind what was heard is caught up before deciding on it (`_fresh`).
        self._held_at: dict[UUID, int] = {}
        self._heard_at: dict[UUID, int] = {}
        # When another process's write to each project last came between this one's state
        # and its write: a lost race, or newer events read in turn (monotonic).
        self._contended_at: LRUCache[UUID, float] = LRUCache(maxsize=cache_size)

    def write(self, project_id: UUID, order: Order) -> Outcome:
        """Decides and saves one order, together with those queued for the project."""
        return self._group_commit.run(project_id, order,
                                      lambda group: self._commit(project_id, group))

    def heard(self, heads: Mapping[UUID, int]) -> None:
        """Projects' last positions, as their appends were heard of; those of projects this
        process holds no state of are not kept."""
        for project_id, position in heads.items():
            if project_id in self._held_at:
                self._heard_at[project_id] = position

    def current(self, project_id: UUID, since: GrantProject | None = None) -> GrantProject:
        """The project as the store holds it now (a copy the caller may change), caught up
        from `since` (an earlier state of it) if given, else from the one held or loaded."""
        base = since if since is not None else self._cached(project_id)
        newer = self._store.queries.select_events(project_id, gt=base.version if base else 0)
        project = self._caught_up(base, newer)
        if project is None:
            raise ProjectNotFoundError(str(project_id))
        return project

    # ---- one transaction ----------------------------------------------------------------

    def _commit(self, project_id: UUID, group: list[Queued[Outcome]]) -> None:
        records: dict[Key, IdempotencyRecord] = {}
        pause = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if pause:
                _pause(attempt)
            try:
                in_turn = self._in_turn(project_id, group, attempt)
                if self._transact(project_id, group, records, in_turn=in_turn):
                    return
                pause = False  # caught up with what the store answered: decide again at once
            except IntegrityError:  # a writer that did not queue on the lock got in first
                if attempt == MAX_ATTEMPTS:
                    raise
                self._forget(project_id)
                CONFLICTS_RETRIED.inc()
                pause = True
            except _NotCommittedError:  # the connection broke during COMMIT, which failed
                if attempt == MAX_ATTEMPTS:
                    raise OperationalError("the store did not commit the write") from None
                self._forget(project_id)
                pause = True
        raise OperationalError("the project kept moving under the write")

    def _transact(self, project_id: UUID, group: list[Queued[Outcome]],
                  records: dict[Key, IdempotencyRecord], *, in_turn: bool) -> bool:
        """Decides the group and stores it if the project is still where the decision was
        made; answers False, having caught up with what the store answered, if it was not.
        Decided on the state held (one round trip), or `in_turn` on the state held caught up
        with the events read under the project's lock."""
        base = self._cached(project_id)
        if not in_turn:
            base = self._fresh(project_id, base)
        keys = [key for key in dict.fromkeys(q.command.request.id for q in group
                                             if q.command.request) if key not in records]
        attempt = _Attempt(base)

        def prepare(newer: Sequence[StoredEvent]) -> Write:
            attempt.read = list(newer)
            start = self._caught_up(base, newer)
            version = start.version if start else 0  # before the decision moves it on
            attempt.decision = decision = _decide_group(start, group, records)
            project = decision.project
            attempt.events = project.collect_events() if project is not None else []
            attempt.stored = [self._store.mapper.to_stored_event(e) for e in attempt.events]
            attempt.write = write = Write(project_id, version, keys, attempt.stored)
            if attempt.stored:
                assert project is not None
                decision.assign(project, write.marks.positions(len(attempt.stored)))
                write.records = decision.records()
                write.access = access_changes(project, attempt.events)
                write.registration_number = project.registration_number
            return write

        queries = self._store.queries
        if in_turn:
            WRITES_IN_TURN.inc()
        try:
            written = (queries.commit_in_turn(project_id, base.version if base else 0, prepare)
                       if in_turn else queries.commit_write(prepare(())))
        except (OperationalError, InterfaceError):
            if attempt.write is None or not attempt.write.sent:
                raise  # nothing was sent to commit
            written = Written(self._resolve(project_id, attempt.stored))
        if written.positions is None:
            records.update(written.records)
            self._behind(project_id, attempt, written)
            return False
        if attempt.read:  # the other process still writes: go on taking turns
            self._contend(project_id)
        project = attempt.decision.project
        if attempt.stored:
            assert project is not None
            attempt.decision.assign(project, written.positions)
            self._committed_now(project, attempt.events, written.positions[-1])
        return True

    def _in_turn(self, project_id: UUID, group: list[Queued[Outcome]], attempt: int) -> bool:
        """Whether this attempt goes in turn: a large group's to a project contended lately
        or after a lost race; any group's after two. A small group's retry decides on the
        events its lost race was answered, which are fresh."""
        if sum(queued.command.commands for queued in group) < IN_TURN_COMMANDS:
            return attempt > 2
        return attempt > 1 or self._contended(project_id)

    def _contend(self, project_id: UUID) -> None:
        with self._lock:
            self._contended_at[project_id] = time.monotonic()

    def _contended(self, project_id: UUID) -> bool:
        with self._lock:
            since = self._contended_at.get(project_id)
        return since is not None and time.monotonic() - since < CONTENDED_SECONDS

    def _behind(self, project_id: UUID, attempt: _Attempt, written: Written) -> None:
        """Keeps the state the store answered a write with (the held one and the newer
        events), or forgets a held state the store does not have."""
        base = attempt.base
        if (base.version if base else 0) > written.latest:
            self._forget(project_id)
            return
        caught_up = self._caught_up(base, [*attempt.read, *written.newer])
        if caught_up is not None:
            with self._lock:
                self._committed[project_id] = caught_up
            if written.newer:  # another process wrote first: decided again on them
                self._contend(project_id)
                DECIDED_AGAIN.inc()
                self._held(project_id, written.newer_at)

    def _fresh(self, project_id: UUID, base: GrantProject | None) -> GrantProject | None:
        """The held state, first caught up with the store when an append of the project was
        heard of since its last event: another process wrote, and a decision on the state
        held would be wasted (the write would answer the newer events, to decide again)."""
        held = self._held_at.get(project_id)
        heard = self._heard_at.get(project_id, 0)
        if base is None or held is None or heard <= held:
            return base
        rows = self._store.queries.select_positioned_events(project_id,
                                                            after_version=base.version)
        if not rows:  # the state held is the project's last: what was heard is in it
            self._held(project_id, heard)
            return base
        caught_up = self._caught_up(base, [stored for _, stored in rows])
        assert caught_up is not None
        with self._lock:
            self._committed[project_id] = caught_up
        self._held(project_id, rows[-1][0])
        return caught_up

    def _held(self, project_id: UUID, position: int) -> None:
        """Notes the position of the held state's last event (forgetting, now and then, those
        of states no longer held)."""
        with self._lock:
            self._held_at[project_id] = position
            if len(self._held_at) > 2 * self._committed.maxsize:
                for gone in [p for p in self._held_at if p not in self._committed]:
                    del self._held_at[gone]
                    self._heard_at.pop(gone, None)

    def _resolve(self, project_id: UUID, stored: list[StoredEvent]) -> list[int]:
        """The outcome of a COMMIT whose answer was lost, read back from the store: the
        events' positions; raises _NotCommittedError (decide again) when the events are not
        there, and the store's error (503 for the client, whose retry is answered from its
        key's record) when it cannot be read."""
        positions = self._store.queries.stored_positions(
            project_id, stored[0].originator_version, [event.state for event in stored])
        if positions is None:
            raise _NotCommittedError
        return positions

    def _committed_now(self, project: GrantProject, events: Sequence[Any],
                       position: int) -> None:
        with self._lock:
            self._committed[project.id] = project
            self.last_written = max(self.last_written, position)
        self._held(project.id, position)
        for tell in self.committed:
            tell(project.id, position)
        for event in events:
            EVENTS_APPENDED.labels(type(event).__name__).inc()

    # ---- the cache of committed states --------------------------------------------------

    def _cached(self, project_id: UUID) -> GrantProject | None:
        with self._lock:
            cached = self._committed.get(project_id)
        if cached is not None:
            return cached
        try:  # loaded outside the project's lock: the write catches it up under the lock
            return self._store.load(project_id)
        except AggregateNotFoundError:
            return None

    def _forget(self, project_id: UUID) -> None:
        with self._lock:
            self._committed.pop(project_id, None)
            self._held_at.pop(project_id, None)

    def _caught_up(self, base: GrantProject | None,
                   newer: Sequence[StoredEvent]) -> GrantProject | None:
        """A copy of `base` with the newer events applied (records are shared: cheap)."""
        project = copy.deepcopy(base)
        for stored in newer:
            event = cast(GrantProject.Event, self._store.mapper.to_domain_event(stored))
            project = event.mutate(project)
        return project


class _NotCommittedError(Exception):
    """A write whose COMMIT failed: none of its events are in the store."""


@dataclass
class _Attempt:
    """One attempt at a group's write: the state held it started from, the events read under
    the project's lock (in turn), and what was decided on them."""

    base: GrantProject | None
    read: list[StoredEvent] = field(default_factory=list)
    decision: _GroupDecision = field(init=False)
    events: Sequence[Any] = ()
    stored: list[StoredEvent] = field(default_factory=list)
    write: Write | None = None


@dataclass
class _GroupDecision:
    """What a group of orders decided: the project, how many events each order recorded,
    and the orders whose request repeats the key of one decided before it in the group."""

    group: list[Queued[Outcome]]
    project: GrantProject | None = None
    counts: list[int] = field(default_factory=list)
    twins: dict[int, int] = field(default_factory=dict)

    def assign(self, project: GrantProject, positions: list[int]) -> None:
        """Each order's outcome, given the positions of the events appended."""
        start = 0
        for queued, count in zip(self.group, self.counts, strict=True):
            if count:
                queued.result = Outcome(project, tuple(positions[start:start + count]))
            start += count
        for index, first in self.twins.items():  # answered like the first, as a replay
            self.group[index].error = AnsweredBeforeError(self._record(self.group[first]))

    def records(self) -> list[IdempotencyRecord]:
        """The idempotency records of the orders that recorded events."""
        return [self._record(q) for q in self.group
                if q.result is not None and q.command.request is not None]

    @staticmethod
    def _record(queued: Queued[Outcome]) -> IdempotencyRecord:
        assert queued.result is not None
        request: IdempotentRequest[Outcome] = queued.command.request
        return request.record(queued.result)


def _decide_group(project: GrantProject | None, group: list[Queued[Outcome]],
                  records: dict[Key, IdempotencyRecord]) -> _GroupDecision:
    """Lets the project decide each order in turn. A request answered before is answered
    from its record; a request with the key of one that recorded events earlier in this
    group is answered like it (a client's retry that overtook the first's answer)."""
    decision = _GroupDecision(group)
    first_with_key: dict[Key, int] = {}
    for index, queued in enumerate(group):
        order: Order = queued.command
        queued.error, queued.result = None, None
        request = order.request
        first = first_with_key.get(request.id) if request is not None else None
        count = 0
        if request is not None and request.id in records:
            queued.error = AnsweredBeforeError(records[request.id])
        elif first is not None and decision.counts[first]:
            decision.twins[index] = first
        else:
            if request is not None:
                first_with_key.setdefault(request.id, index)
            project, count = _decide(project, order, queued)
        decision.counts.append(count)
    decision.project = project
    return decision


def _decide(project: GrantProject | None, order: Order,
            queued: Queued[Outcome]) -> tuple[GrantProject | None, int]:
    before = len(project.pending_events) if project else 0
    # Moments never run backwards along a project's history, so that "as of" a moment is
    # always a prefix of it.
    now = max(utc_now(), project.modified_on) if project else utc_now()
    try:
        decided = order.decide(project, Stamp(now, order.by.name, order.by.role,
                                              prague_today(now), order.by.subject))
    except Exception as refusal:  # the refusal goes back to its caller; the others go on
        queued.error = refusal
        return project, 0
    return decided, len(decided.pending_events) - before


def _pause(attempt: int) -> None:
    """A jittered pause, growing with the attempts, before a retry after a failure."""
    time.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(attempt, 5))))

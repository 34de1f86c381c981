"""The ledger application: one method per use case, over the eventsourcing event store.

A command is a typed value (domain.commands); the application lets the project decide it
and saves what it recorded through the ProjectWriter (service.writer): exactly once, with
the request's idempotency record in the same transaction, writers to one project queueing
on its lock instead of racing.
"""

from __future__ import annotations

import copy
import itertools
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.persistence import JSONTranscoder

from domain.access import READ, acting_role
from domain.commands import ProjectCommand, RegisterProject
from domain.errors import GrantLedgerError, NotEntitledError, ProjectAlreadyRegisteredError
from domain.project import GrantProject, project_id_for
from domain.records import Stamp
from projections import LedgerState, fold_as_of
from projections.checkpoint import CheckpointError, load_state
from service.clock import prague_today, utc_now
from service.principals import Actor
from service.store.recorders import LedgerStore
from service.store.transcodings import register_ledger_transcodings
from service.writer import (
    IdempotentRequest,
    Order,
    Outcome,
    ProjectNotFoundError,
    ProjectWriter,
)

log = logging.getLogger(__name__)
EVENTS_PAGE = 1000
WRITER_CACHE_SIZE = "AGGREGATE_CACHE_MAXSIZE"

__all__ = ["BatchOutcome", "BatchRefusedError", "LedgerApplication", "Outcome",
           "ProjectNotFoundError", "prague_today", "utc_now"]


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did: the project after it, and each command's outcome in order."""

    project: GrantProject
    outcomes: list[Outcome]


class BatchRefusedError(Exception):
    """Commands of a batch were refused (by their index in the batch); nothing was recorded."""

    def __init__(self, refusals: dict[int, GrantLedgerError]) -> None:
        super().__init__(f"{len(refusals)} command(s) of the batch were refused")
        self.refusals = refusals


class LedgerApplication(Application[UUID]):
    """The use cases of the grant ledger."""

    # A snapshot bounds a cold load (warm loads come from the writer's cache). The projector
    # takes them (service.reads.projector), not the save: a project of 10,000 expenses is a
    # 6 MB snapshot, which held up the request that happened to record its 500th event.
    is_snapshotting_enabled = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer = ProjectWriter(self, int(self.env.get(WRITER_CACHE_SIZE) or 1000))
        self._on_close: list[Callable[[], None]] = []

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, for cold loads only: the writer keeps the committed
        states it needs, and catches them up with what its writes are answered."""
        return Repository(event_store=self.events, snapshot_store=self.snapshots)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Runs `callback` (stopping a thread that uses the store) when the store closes."""
        self._on_close.append(callback)

    def close(self) -> None:
        for callback in self._on_close:
            callback()
        super().close()

    @property
    def store_patience(self) -> float | None:
        """How long a request may wait for the store (PostgreSQL's connect timeout; SQLite
        waits on its own lock timeout instead)."""
        return getattr(self.factory, "answer_timeout", None)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_ledger_transcodings(transcoder)

    @property
    def queries(self) -> LedgerStore:
        recorder = self.recorder
        assert isinstance(recorder, LedgerStore)
        return recorder

    def on_written(self, callback: Callable[[UUID, int], None]) -> None:
        """Tells `callback` of every write this process commits: the project and its last
        event's position (reads here reflect at least it)."""
        self.writer.committed.append(callback)

    def load(self, project_id: UUID) -> GrantProject:
        """The project from its latest snapshot and the events after it."""
        project: GrantProject = self.repository.get(project_id)
        return project

    # ---- commands -----------------------------------------------------------------------

    def register(self, command: RegisterProject, by: Actor,
                 request: IdempotentRequest[Outcome] | None = None) -> Outcome:
        number = command.registration["registration_number"]

        def decide(project: GrantProject | None, stamp: Stamp) -> GrantProject:
            if project is not None:
                raise ProjectAlreadyRegisteredError(f"project {number} is already registered")
            return GrantProject.register(stamp, **command.registration)

        return self.writer.write(project_id_for(number), Order(by, decide, request))

    def handle(self, command: ProjectCommand, by: Actor,
               request: IdempotentRequest[Outcome] | None = None) -> Outcome:
        """Lets the project decide the command and saves what it recorded."""

        def decide(project: GrantProject | None, stamp: Stamp) -> GrantProject:
            project = _entitled(_registered(project, command.project_id), by)
            command.decide(project, stamp)
            return project

        return self.writer.write(command.project_id, Order(by, decide, request))

    def handle_batch(self, commands: Sequence[ProjectCommand], by: Actor, *,
                     dry_run: bool = False,
                     request: IdempotentRequest[BatchOutcome] | None = None) -> BatchOutcome:
        """Lets one project decide every command in order against one state and saves all
        their events in one transaction, or none when any is refused (BatchRefusedError names
        every refused one). A dry run decides and saves nothing."""
        project_ids = {command.project_id for command in commands}
        if len(project_ids) != 1:
            raise ValueError("a batch holds commands to one project")
        project_id = project_ids.pop()
        if dry_run:
            project = _entitled(self.writer.current(project_id), by)
            now = utc_now()
            _decide_all(project, Stamp(now, by.name, by.role, prague_today(now), by.subject),
                        commands)
            return BatchOutcome(project, [Outcome(project, ()) for _ in commands])
        counts: list[int] = []

        def decide(project: GrantProject | None, stamp: Stamp) -> GrantProject:
            project = _entitled(_registered(project, project_id), by)
            counts[:] = _decide_all(project, stamp, commands)
            return project

        def batch(outcome: Outcome) -> BatchOutcome:
            return BatchOutcome(outcome.project, _split(outcome, counts))

        adapted = request.adapted(batch) if request is not None else None
        return batch(self.writer.write(project_id, Order(by, decide, adapted, len(commands))))

    def snapshot(self, project_id: UUID, since: GrantProject | None = None) -> GrantProject:
        """Snapshots the project as it stands, caught up from `since` (an earlier state of it
        the caller kept) if given; answers the project snapshotted. Another projector may
        have stored that version already."""
        project = self.writer.current(project_id, since)
        assert self.snapshots is not None  # is_snapshotting_enabled
        stored = self.snapshots.mapper.to_stored_event(GrantProject.Snapshot.take(project))
        table = self.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
        self.queries.insert_snapshot(table, stored)
        return project

    # ---- reads --------------------------------------------------------------------------

    def project_exists(self, project_id: UUID) -> bool:
        return self.queries.last_position_of(project_id) is not None

    def positioned_events(self, project_id: UUID, *, after_version: int = 0,
                          limit: int | None = None) -> list[tuple[int, Any]]:
        """A project's events with their global positions, in version order."""
        rows = self.queries.select_positioned_events(project_id, after_version=after_version,
                                                     limit=limit)
        return [(position, self.mapper.to_domain_event(stored)) for position, stored in rows]

    def project_state(self, project_id: UUID, *, as_of: datetime | None = None,
                      up_to_position: int | None = None) -> LedgerState:
        """A project's read model, folded from its latest usable checkpoint (see the
        projector) and the events after it: everything, or as of a moment, or up to a
        global position."""
        checkpoint = self.queries.latest_checkpoint(project_id, recorded_by=as_of,
                                                    position_at_most=up_to_position)
        start = _checkpoint_state(checkpoint.state) if checkpoint else None
        pairs: Iterable[tuple[int, Any]] = self._paged_events(
            project_id, after_version=start.version if start else 0)
        if up_to_position is not None:  # a project's positions grow with its versions
            pairs = itertools.takewhile(lambda pair: pair[0] <= up_to_position, pairs)
        return fold_as_of(pairs, as_of, start)

    def _paged_events(self, project_id: UUID, *, after_version: int) -> Iterator[tuple[int, Any]]:
        """`positioned_events`, read and decoded a page at a time: a fold that stops early
        (as of a moment in the middle of a long history) reads no further."""
        while True:
            page = self.positioned_events(project_id, after_version=after_version,
                                          limit=EVENTS_PAGE)
            yield from page
            if len(page) < EVENTS_PAGE:
                return
            after_version = page[-1][1].originator_version

    def global_events(self, after: int, limit: int,
                      only: Collection[UUID] | None = None) -> list[tuple[int, Any]]:
        """Every project's events in global order, after a position; `only` those of some
        projects."""
        if only is not None:
            rows = self.queries.select_events_of(only, after, limit)
            return [(position, self.mapper.to_domain_event(stored)) for position, stored in rows]
        notifications = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]

    def project_ids(self) -> list[UUID]:
        return self.queries.select_project_ids()

    @staticmethod
    def id_for(registration_number: str) -> UUID:
        return project_id_for(registration_number)


def _registered(project: GrantProject | None, project_id: UUID) -> GrantProject:
    if project is None:
        raise ProjectNotFoundError(str(project_id))
    return project


def _entitled(project: GrantProject, by: Actor) -> GrantProject:
    """The project, if `by` still holds the role it acts under there: checked against the
    state the write confirms current under the project's lock, so no command is recorded
    under a grant revoked before it was decided.
    A principal left with no role on the project is told the project is unknown to it."""
    if by.acts_globally or project.role_of(by.subject) == by.role:
        return project
    grant = project.role_of(by.subject)
    if acting_role(READ, grant, by.principal.global_roles) is None:
        raise ProjectNotFoundError(str(project.id))
    raise NotEntitledError(f"the role {by.role!r} on this project is no longer granted to "
                           f"{by.name}; it holds {grant or 'no grant'} there now")


def _decide_all(project: GrantProject, stamp: Stamp,
                commands: Sequence[ProjectCommand]) -> list[int]:
    """Lets the project decide each command in order; answers how many events each recorded.
    All or nothing: when any is refused, the project is left as it was."""
    trial = copy.deepcopy(project)  # containers copied, records shared: cheap
    refusals: dict[int, GrantLedgerError] = {}
    counts = []
    for index, command in enumerate(commands):
        before = len(trial.pending_events)
        try:
            command.decide(trial, stamp)
        except GrantLedgerError as refusal:
            refusals[index] = refusal
        counts.append(len(trial.pending_events) - before)
    if refusals:
        raise BatchRefusedError(refusals)
    project.__dict__.update(trial.__dict__)
    return counts


def _split(outcome: Outcome, counts: list[int]) -> list[Outcome]:
    """A batch's outcome, as each command's."""
    outcomes, start = [], 0
    for count in counts:
        outcomes.append(Outcome(outcome.project, outcome.positions[start:start + count]))
        start += count
    return outcomes


def _checkpoint_state(blob: bytes) -> LedgerState | None:
    """A checkpoint's state; None (so: replay from the start) if it cannot be trusted."""
    try:
        return load_state(blob)
    except CheckpointError as error:
        log.warning("ignoring a checkpoint: %s", error)
        return None


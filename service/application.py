"""The ledger application: one method per use case, over the eventsourcing event store.

Each command loads the project, lets the aggregate decide, and saves its event; a concurrent
change to the same project (a version conflict) is retried with jittered back-off on a fresh
copy, so concurrent accountants never see an error and never lose an expense.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, OperationalError

from domain.commands import ProjectCommand, RegisterProject
from domain.errors import GrantLedgerError, ProjectAlreadyRegisteredError
from domain.project import GrantProject, project_id_for
from domain.records import Stamp
from projections import LedgerState, fold_as_of
from projections.checkpoint import CheckpointError, load_state
from service.config import Principal
from service.group_commit import GroupCommit, Queued
from service.metrics import CONFLICTS_RETRIED, EVENTS_APPENDED
from service.store.recorders import LedgerStore
from service.store.transcodings import register_ledger_transcodings

PRAGUE = ZoneInfo("Europe/Prague")
log = logging.getLogger(__name__)
MAX_ATTEMPTS = 50
EVENTS_PAGE = 1000


class ProjectNotFoundError(LookupError):
    """No project has this id."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def prague_today(moment: datetime) -> date:
    return moment.astimezone(PRAGUE).date()


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

    # A snapshot bounds a cold load (warm loads come from the aggregate cache). The projector
    # takes them (service.reads.projector), not the save: a project of 10,000 expenses is a 6 MB
    # snapshot, which held up the request that happened to record its 500th event.
    is_snapshotting_enabled = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Threads of one process writing to the same project do not race (a race ends in a
        # version conflict and a retry for all but one): they queue, and each save takes
        # every command queued by then. Other processes wait on the project's write lock
        # (PostgreSQL); a conflict that still happens is retried.
        self._group_commit: GroupCommit[Outcome] = GroupCommit()
        # Each project's last event written by this process: reads here reflect at least it.
        self.written: dict[UUID, int] = {}
        self._on_close: list[Callable[[], None]] = []

    def on_close(self, callback: Callable[[], None]) -> None:
        """Runs `callback` (stopping a thread that uses the store) when the store closes."""
        self._on_close.append(callback)

    def close(self) -> None:
        for callback in self._on_close:
            callback()
        super().close()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_ledger_transcodings(transcoder)

    @property
    def queries(self) -> LedgerStore:
        recorder = self.recorder
        assert isinstance(recorder, LedgerStore)
        return recorder

    # ---- commands -----------------------------------------------------------------------

    def register(self, command: RegisterProject, by: Principal) -> Outcome:
        now = utc_now()
        stamp = Stamp(now, by.name, by.role, prague_today(now))
        project = GrantProject.register(stamp, **command.registration)
        try:
            recordings = self._save(project)
        except IntegrityError:
            raise ProjectAlreadyRegisteredError(
                f"project {project.registration_number} is already registered") from None
        return Outcome(project, (recordings[-1].notification.id,))

    def handle(self, command: ProjectCommand, by: Principal) -> Outcome:
        """Lets the project decide the command and saves what it recorded."""
        return self._update(command.project_id, by, command.decide)

    def handle_batch(self, commands: Sequence[ProjectCommand], by: Principal, *,
                     dry_run: bool = False) -> BatchOutcome:
        """Lets one project decide every command in order against one state and saves all
        their events in one transaction, or none when any is refused (BatchRefusedError names
        every refused one). A dry run decides and saves nothing."""
        project_ids = {command.project_id for command in commands}
        if len(project_ids) != 1:
            raise ValueError("a batch holds commands to one project")
        project_id = project_ids.pop()
        if dry_run:
            project = self._project(project_id)
            now = utc_now()
            _decide_all(project, Stamp(now, by.name, by.role, prague_today(now)), commands)
            return BatchOutcome(project, [Outcome(project, ()) for _ in commands])
        counts: list[int] = []

        def decide(project: GrantProject, stamp: Stamp) -> None:
            counts[:] = _decide_all(project, stamp, commands)

        outcome = self._update(project_id, by, decide)
        return BatchOutcome(outcome.project, _split(outcome, counts))

    def _update(self, project_id: UUID, principal: Principal,
                decide: Callable[[GrantProject, Stamp], None]) -> Outcome:
        """Load → decide → save, again on a fresh copy while another writer got in first;
        saved together with the commands other threads have queued for the project."""
        return self._group_commit.run(project_id, (principal, decide),
                                      lambda group: self._commit_group(project_id, group))

    def _commit_group(self, project_id: UUID, group: list[Queued[Outcome]]) -> None:
        with self.queries.project_write_lock(project_id):
            self._commit_group_locked(project_id, group)

    def _commit_group_locked(self, project_id: UUID, group: list[Queued[Outcome]]) -> None:
        for attempt in _attempts():
            project = self._project(project_id)
            counts = [self._decide(project, queued) for queued in group]
            if not project.pending_events:
                return
            try:
                recordings = self._save(project)
            except (IntegrityError, OperationalError):
                if attempt == MAX_ATTEMPTS:
                    raise
                CONFLICTS_RETRIED.inc()
                continue
            positions = [recording.notification.id for recording in recordings]
            recorded = 0
            for queued, count in zip(group, counts, strict=True):
                if count:
                    queued.result = Outcome(project,
                                            tuple(positions[recorded:recorded + count]))
                recorded += count
            return

    @staticmethod
    def _decide(project: GrantProject, queued: Queued[Outcome]) -> int:
        """Lets the project decide one queued command; answers how many events it recorded
        (none when it was refused: the refusal is kept for its caller)."""
        principal, decide = queued.command
        before = len(project.pending_events)
        # Moments never run backwards along a project's history, so that "as of" a moment
        # is always a prefix of it, even when a retry loses a race.
        now = max(utc_now(), project.modified_on)
        queued.error = None
        try:
            decide(project, Stamp(now, principal.name, principal.role, prague_today(now)))
        except Exception as refusal:
            queued.error = refusal
        return len(project.pending_events) - before

    def _save(self, project: GrantProject) -> list[Any]:
        pending = [type(event).__name__ for event in project.pending_events]
        recordings = self.save(project)
        for name in pending:
            EVENTS_APPENDED.labels(name).inc()
        self.written[project.id] = recordings[-1].notification.id
        return recordings

    def _project(self, project_id: UUID) -> GrantProject:
        try:
            project: GrantProject = self.repository.get(project_id)
        except AggregateNotFoundError:
            raise ProjectNotFoundError(str(project_id)) from None
        return project

    def snapshot(self, project_id: UUID) -> int:
        """Snapshots the project as it stands (loaded from the aggregate cache); answers the
        version snapshotted. Another projector may have stored that one already."""
        project = self._project(project_id)
        assert self.snapshots is not None  # is_snapshotting_enabled
        with contextlib.suppress(IntegrityError):
            self.snapshots.put([GrantProject.Snapshot.take(project)])
        return project.version

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

    def global_events(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """Every project's events in global order, after a position."""
        notifications = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]

    def project_ids(self) -> list[UUID]:
        return self.queries.select_project_ids()

    @staticmethod
    def id_for(registration_number: str) -> UUID:
        return project_id_for(registration_number)


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


def _attempts() -> Iterator[int]:
    """Attempt numbers, sleeping a jittered, growing pause before each retry."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if attempt > 1:
            time.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(attempt, 5))))
        yield attempt

"""The projector: follows the global event log and keeps every project's views current.

On PostgreSQL it is woken by the library's NOTIFY on every append (and looks anyway once a
second, should a notification be lost while reconnecting); on SQLite, which cannot push, it
polls the log every few milliseconds. It folds each batch into the touched projects' states
with the same functions the `as_of` replays use, renders their views and stores them with
the position reached in one transaction. A batch that finds the position moved by another
projector is dropped and the states reloaded: exactly once, and a second projector is
harmless. It also takes the projects' aggregate snapshots, which the web workers load.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder

from domain.project import GrantProject
from projections import LedgerState
from projections.checkpoint import dump_state
from projections.ledger import Pair
from projections.materialise import CHECKPOINT_EVERY, ProjectFolds, rendered
from service.application import LedgerApplication, prague_today, utc_now
from service.reads.cadence import Cadence
from service.reads.rendering import VIEWS_FORMAT, render
from service.reads.view_feed import Listener
from service.store.connections import STORE_UNAVAILABLE
from service.store.portfolio import PortfolioEntry
from service.store.viewstore import Checkpoint, RenderedView, TrackingConflictError
from service.watchdog import Notifier

NAME = "views"
BATCH = 1000
IDLE_SLEEP = 0.005
# With LISTEN, an idle projector looks at the log this often anyway (and at the date).
LISTENING_IDLE_SLEEP = 1.0
STOP_CHECK = 0.1
# Under a steady stream of events, a batch starts at most this often: each batch renders its
# projects' views anew (a pass over every expense of each), so batching the events of 50 ms
# renders a busy project's views 20 times a second instead of once or twice per event. A
# lone event still waits only IDLE_SLEEP.
COALESCE_SECONDS = 0.05
# Versions between a small project's aggregate snapshots (projections.interval_crossed).
SNAPSHOT_EVERY = 500
# ... and when a batch takes long (a project of thousands of expenses renders for tens of
# milliseconds), the pause after it is long enough to keep the projector's share of a core
# under a steady stream at most this: the web workers, on the same cores, keep the rest,
# and the views lag by a few batches' time at most. The share is of CPU time the batch used:
# a batch that took long on the clock because the process was stopped or the network held
# its bytes did no work, and is followed by no longer a pause (the wall clock's twice a stall
# kept the views frozen for twice as long again after it ended).
BUSY_SHARE = 1 / 3
# ... and the pause never exceeds this, whatever a batch cost: well within the heartbeat's
# interval, so a paused projector is never taken for a stalled one.
MAX_PAUSE = 1.0
# An idle projector records that it is alive this often (readiness and the heartbeat metric
# read it; a batch records it too).
HEARTBEAT_SECONDS = 2.0
# A new day's views are rendered and stored this many projects at a time: few enough that the
# announcement names them (service.store.viewstore.MAX_PAYLOAD), so the web workers' caches
# refresh what they hold of them instead of starting afresh. A chunk stored before a crash is
# rendered again after it (the stored views are then not all for one day).
RERENDER_CHUNK = 150
# A project's checkpoints and snapshots are at least this far apart (service.reads.cadence).
SPACING_SECONDS = 10.0
# After a failed batch (the store away, say), the projector tries again this soon.
RETRY_SECONDS = 0.5
log = logging.getLogger(__name__)


class Projector:
    def __init__(self, application: LedgerApplication, *, batch: int = BATCH,
                 today: Callable[[], date] = lambda: prague_today(utc_now()),
                 snapshot_every: int = SNAPSHOT_EVERY, spacing: float = SPACING_SECONDS,
                 clock: Callable[[], datetime] = utc_now,
                 alive: Callable[[], None] = lambda: None) -> None:
        self.application = application
        # Called as the loop turns (and through long work): a sign of life for a watchdog.
        self.alive = alive
        self.clock = clock
        self.heartbeat_at: datetime | None = None
        self.checkpoints = Cadence(CHECKPOINT_EVERY, spacing)
        self.snapshots = Cadence(snapshot_every, spacing)
        # The project snapshotted last, from which its next snapshot is caught up: loading it
        # again (its snapshot decoded, the events since replayed) cost more than taking it.
        self.last_snapshot: GrantProject | None = None
        self.store = application.queries
        self.batch = batch
        self.today = today
        self.folds = ProjectFolds(self._load_state)
        self.position = self.store.tracked_position(NAME)
        # A (re)started projector renders every project for the day only if the stored views
        # are not all for today already: on a large store that took seconds to minutes.
        self.rendered_on: date | None = self._rendered_on()

    def run_once(self) -> int:
        """Applies the next batch of the log; answers how many events it applied."""
        on = self.today()
        if on != self.rendered_on and self.position > 0:
            self._rerender_all(on)
        notifications = self.application.recorder.select_notifications(
            self.position, self.batch, inclusive_of_start=False)
        if not notifications:
            self._beat()
            return 0
        pairs: list[Pair] = [(n.id, cast(Any, self.application.mapper.to_domain_event(n)))
                             for n in notifications]
        reached = pairs[-1][0]
        try:
            versions_before = self.folds.apply(pairs, self.position)
            self._save(reached, versions_before, on)
        except TrackingConflictError:
            self._resync()
            return 0
        except Exception:
            self._resync()
            raise
        self.position = reached
        self.folds.settle()
        return len(pairs)

    def run_forever(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        """Runs batches until `stop`; idle, it waits for `wake` (set on every append) if
        given, else polls."""
        while not stop.is_set():
            started, worked = time.monotonic(), time.thread_time()
            if wake is not None:
                wake.clear()  # an append from now on wakes the wait below
            applied = self.run_once()
            self.alive()
            if applied == 0 and wake is not None:
                _wait_for_append(wake, stop)
            elif applied == 0:
                stop.wait(IDLE_SLEEP)
            elif applied < self.batch:  # a full batch: more is waiting, at full speed
                stop.wait(pause_after(time.monotonic() - started, time.thread_time() - worked))

    def catch_up(self, report: Callable[[int, int], None] = lambda done, total: None) -> int:
        """Applies the log up to its end as it is now; answers the events applied."""
        target = self.application.recorder.max_notification_id() or 0
        done = 0
        while self.position < target:
            applied = self.run_once()
            done += applied
            report(done, target)
        return done

    def _beat(self) -> None:
        """Records that the projector is alive and has applied the log as far as it saw it,
        every HEARTBEAT_SECONDS while idle (a stored batch records it too)."""
        now = self.clock()
        if self.heartbeat_at is None or (now - self.heartbeat_at).total_seconds() >= (
                HEARTBEAT_SECONDS):
            self.store.record_heartbeat(NAME, now)
            self.heartbeat_at = now

    def _save(self, reached: int, versions_before: dict[UUID, int], on: date) -> None:
        views: list[RenderedView] = []
        checkpoints: list[tuple[Checkpoint, float]] = []  # each with the CPU it took
        for project_id, version_before in versions_before.items():
            state = self.folds.state(project_id, self.position)
            views += _rendered_views(project_id, state, on)
            if self.checkpoints.due(project_id, version_before, state.version):
                assert state.last_recorded_at is not None
                started = time.thread_time()
                checkpoint = Checkpoint(project_id, state.version, state.position,
                                        state.last_recorded_at, dump_state(state))
                checkpoints.append((checkpoint, time.thread_time() - started))
        self.heartbeat_at = self.clock()
        self.store.save_projection_batch(NAME, self.position, reached, views,
                                         [checkpoint for checkpoint, _ in checkpoints],
                                         self.heartbeat_at, self._entries(views))
        for checkpoint, cost in checkpoints:
            self.checkpoints.took(checkpoint.project_id, checkpoint.version, cost)
        self.rendered_on = on
        self._take_snapshots(versions_before)

    def _take_snapshots(self, versions_before: dict[UUID, int]) -> None:
        """Takes the aggregate snapshots that fell due in the batch, off the request path.
        Each is of the project as it stands, which in a catch-up is ahead of the batch: the
        next is due an interval after that version, not after the batch's."""
        for project_id, version_before in versions_before.items():
            version = self.folds.state(project_id, self.position).version
            if not self.snapshots.due(project_id, version_before, version):
                continue
            last = self.last_snapshot
            started = time.thread_time()
            try:
                project = self.application.snapshot(
                    project_id, last if last is not None and last.id == project_id else None)
            except Exception:  # the views are stored; a snapshot only speeds up loading
                log.exception("could not take a snapshot of project %s", project_id)
                continue
            self.snapshots.took(project_id, project.version, time.thread_time() - started)
            self.last_snapshot = project

    def _rerender_all(self, on: date) -> None:
        """A new day changes statuses and flags: every project's views are rendered again, a
        chunk of projects at a time (the states of a chunk only are kept while it renders)."""
        project_ids = self.application.project_ids()
        for start in range(0, max(len(project_ids), 1), RERENDER_CHUNK):
            views = []
            for project_id in project_ids[start:start + RERENDER_CHUNK]:
                self.alive()
                state = self.folds.state(project_id, self.position)
                if state.is_registered:
                    views += _rendered_views(project_id, state, on)
            entries = self._entries(views)  # the chunk's states still at hand
            self.folds.settle()
            try:
                self.store.save_projection_batch(NAME, self.position, self.position, views, [],
                                                 self.clock(), entries)
            except TrackingConflictError:
                self._resync()
                return
        self.store.save_views_format(VIEWS_FORMAT)
        self.rendered_on = on

    def _entries(self, views: list[RenderedView]) -> list[PortfolioEntry]:
        """The portfolio index rows of the batch's portfolio rows."""
        return [PortfolioEntry.of(view.body, view.on, self._beneficiary_ico(view.project_id))
                for view in views if view.view == "portfolio"]

    def _beneficiary_ico(self, project_id: UUID) -> str | None:
        ico = self.folds.state(project_id, self.position).project.beneficiary.get("ico")
        return str(ico) if ico else None

    def _resync(self) -> None:
        self.folds.forget()
        self.position = self.store.tracked_position(NAME)
        self.rendered_on = self._rendered_on()

    def _rendered_on(self) -> date | None:
        """The day every stored view is for; None when they are not all for one day, or are of
        another shape (VIEWS_FORMAT: e.g. rendered before an upgrade), so that the next batch
        renders every project again."""
        if self.store.views_format() == VIEWS_FORMAT:
            return self.store.views_rendered_on()
        if self.position == 0:  # nothing rendered yet: whatever comes is of this shape
            self.store.save_views_format(VIEWS_FORMAT)
        return None

    def _load_state(self, project_id: UUID, position: int) -> LedgerState:
        return self.application.project_state(project_id, up_to_position=position)


def pause_after(took: float, worked: float) -> float:
    """The pause after a batch that took `took` seconds on the clock and `worked` seconds of
    this thread's CPU time: batches start at most every COALESCE_SECONDS, the projector's
    share of a core stays at most BUSY_SHARE, and no pause exceeds MAX_PAUSE."""
    return min(MAX_PAUSE, max(COALESCE_SECONDS - took, worked * (1 / BUSY_SHARE - 1), 0.0))


def _wait_for_append(wake: threading.Event, stop: threading.Event) -> None:
    deadline = time.monotonic() + LISTENING_IDLE_SLEEP
    while not (wake.wait(STOP_CHECK) or stop.is_set() or time.monotonic() >= deadline):
        pass


def _rendered_views(project_id: UUID, state: LedgerState, on: date) -> list[RenderedView]:
    return [RenderedView(project_id, name, state.position, on, render(name, document))
            for name, document in rendered(state, on).items()]


def run_projector(application: LedgerApplication, stop: threading.Event | None = None,
                  batch: int = BATCH) -> None:
    """The projector process's loop; stops on `stop` (or runs until killed)."""
    notifier = Notifier()
    projector = Projector(application, batch=batch, alive=notifier.alive)
    stop = stop or threading.Event()
    wake, listener = _appends_listener(application)
    log.info("projector starting at position %s (%s)", projector.position,
             "woken by NOTIFY" if listener else "polling")
    notifier.ready()
    try:
        while True:
            try:
                projector.run_forever(stop, wake)
                return
            except STORE_UNAVAILABLE:  # the store's outage is logged where it is seen
                pass
            except Exception:  # a failed batch was not applied; try again after a pause
                log.exception("projector batch failed; retrying")
            notifier.alive()
            stop.wait(RETRY_SECONDS)
    finally:
        notifier.stopping()
        if listener is not None:
            listener.stop()
        log.info("projector stopped at position %s", projector.position)


def _appends_listener(application: LedgerApplication) -> tuple[threading.Event | None,
                                                              Listener | None]:
    """On PostgreSQL, an event set whenever events are appended (the library's channel)."""
    recorder = application.recorder
    if not isinstance(recorder, PostgresApplicationRecorder):
        return None, None
    wake = threading.Event()
    listener = Listener(recorder.datastore, recorder.channel_name,
                        notified=lambda notes: wake.set(), lost=wake.set)
    return wake, listener.start()

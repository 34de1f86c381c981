"""PostgreSQL LISTEN/NOTIFY: what wakes the projector, and what keeps each web process's view
cache current.

Every transaction that appends events NOTIFYs the library's channel (the ledger's write
function with the project and its last position as the payload); the projector listens there
instead of polling the log every few milliseconds, and each web process learns from it how far
each project's events have gone. The projector in
turn NOTIFYs `grantledger_views` in every transaction that stores views, with the position
reached and the projects whose views changed (service.store.viewstore.announcement); each web
process listens there and copies those of the views its ViewCache holds. SQLite cannot push: there
the projector polls and the web processes read the views from the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from psycopg.sql import SQL, Identifier

from service.reads.view_cache import CACHED_VIEWS, ViewCache
from service.store.connections import STORE_UNAVAILABLE
from service.store.viewstore import VIEWS_CHANNEL, parse_announcement
from service.store.write_function import parse_append

RECONNECT_SECONDS = 0.5
log = logging.getLogger(__name__)


class Listener:
    """A thread that LISTENs on channels on a connection of the application's pool.

    `connected` runs each time it (re)connects, before any notification is handed on;
    `notified` gets the notifications that arrived together, as (channel, payload) pairs;
    `lost` runs when the connection fails, after which it connects again after a pause.
    """

    def __init__(self, datastore: Any, channel: str | Sequence[str], *,
                 notified: Callable[[list[tuple[str, str]]], None],
                 connected: Callable[[], None] = lambda: None,
                 lost: Callable[[], None] = lambda: None) -> None:
        self.datastore = datastore
        self.channels = [channel] if isinstance(channel, str) else list(channel)
        self.notified, self.connected, self.lost = notified, connected, lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen-{self.channels[0]}",
                                        daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except STORE_UNAVAILABLE:  # the store's outage is logged once, where it is seen
                self.lost()
            except Exception:
                log.exception("lost the LISTEN connection on %s; connecting again",
                              ", ".join(self.channels))
                self.lost()
            self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with self.datastore.get_connection() as conn:
            for channel in self.channels:
                conn.execute(SQL("LISTEN {0}").format(Identifier(channel)))
            try:
                self.connected()
                while not self._stop.is_set():
                    notes = list(conn.notifies(timeout=0.5, stop_after=1))
                    if notes:
                        # Whatever arrived meanwhile is handled in the same go.
                        notes += conn.notifies(timeout=0)
                        self.notified([(note.channel, note.payload) for note in notes])
            finally:
                conn.execute(SQL("UNLISTEN *"))


class ViewFeed:
    """Keeps the views a ViewCache holds equal to the stored views, from the projector's
    announcements, and tells it how far each project's events have gone, from the appends'
    notifications: a view the projector has not yet brought up to a project's last event
    heard of is not served from the cache (another process's acknowledged write included).
    Connecting reads no view: the cache starts empty and reads each from the store when
    first asked for it. It listens and reads on the store even with a read replica (a
    standby refuses LISTEN, and may not have replayed an announced batch yet); `heard` is the
    fence of the replica's reads."""

    def __init__(self, application: Any, cache: ViewCache, projection: str) -> None:
        self.application = application
        self.cache = cache
        self.projection = projection
        self.appends = application.recorder.channel_name
        self.heard = 0  # the log's position up to which appends are in cache.heads
        self.listener = Listener(application.recorder.datastore, [self.appends, VIEWS_CHANNEL],
                                 connected=self._start, notified=self._apply,
                                 lost=cache.forget)

    def _start(self) -> None:
        queries = self.application.queries
        projected = queries.projection_position(self.projection)  # read first: views ≥ it
        heads = queries.last_positions_after(projected)
        # Before the cache is live again: a read replica's reads follow `heard` from then on.
        self.heard = max([projected, *heads.values()])
        self.cache.reset(projected, heads)

    def _apply(self, notes: list[tuple[str, str]]) -> None:
        appends = [payload for channel, payload in notes if channel == self.appends]
        if appends:
            heads = _named_heads(appends)
            if heads is None:  # an append that does not say what it appended: read it
                heads = self.application.queries.last_positions_after(self.heard)
            self.application.writer.heard(heads)
            self.cache.appended(heads)
            self.heard = max([self.heard, *heads.values()])
        payloads = [payload for channel, payload in notes if channel == VIEWS_CHANNEL]
        if not payloads:
            return
        announced = [parse_announcement(payload) for payload in payloads]
        reached = max(position for position, _ in announced)
        if any(ids is None for _, ids in announced):
            self._start()
            return
        wanted = self.cache.wanted(set().union(*(ids for _, ids in announced if ids)))
        views = self.application.queries.views_of(wanted, CACHED_VIEWS) if wanted else []
        self.cache.update(views, reached)


def _named_heads(payloads: list[str]) -> dict[UUID, int] | None:
    """Each project's last position, from appends' notifications that all name theirs (the
    write function's: they arrive in commit order, which is the positions' order); None if
    one does not."""
    heads: dict[UUID, int] = {}
    for payload in payloads:
        named = parse_append(payload)
        if named is None:
            return None
        project_id, position = named
        heads[project_id] = max(position, heads.get(project_id, 0))
    return heads

"""Each web process's cache of the hot projects' materialised views, kept current by the
projector's notifications, so that a dashboard's poll is answered from memory: no database
round trip.

The cache is bounded (GRANTLEDGER_VIEW_CACHE_MB, by the views' size, the least recently read
dropped first): a view not held is read from the stored views by its key, with the project's
last position, in one indexed query, and kept if it is current. Connecting loads nothing.

The projector announces every batch it commits (PostgreSQL NOTIFY, see service.reads.view_feed)
with the position reached and the projects whose views changed; the feed reads the views of
those it holds and puts them here. A view is served from here only while the feed is
connected, when it was rendered for the reference day asked for, and when it reflects every
event of the project the feed has heard of: the library NOTIFYs every append, and the feed
then reads each project's last position (`heads`), so a write another process acknowledged is
reflected once its notification is in (milliseconds), and this process's own writes at once
(`wrote`: a client reads its own writes without `min_position`). A view the projector has
not brought that far — it is stopped, or behind — goes to the database as before, which
answers from the stored view if current, else from the events: the cache can only make a read
faster, never staler.

What is known of a project's position is kept only while its views are held or being read
(`heads`, `_loading`; a dropped project's until the next announcement): a project not held is
read from the database, which knows more. A read
from the database that a notification or a reconnection overtook keeps what it read only if it
is no older than what the cache has heard of since.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from cachetools import LRUCache

from service.store.viewstore import RenderedView, StoredView

DEFAULT_MEGABYTES = 32
# What a held view costs besides its body and ETag: its key, record, and the cache's order.
ENTRY_BYTES = 480
# The views a web process serves from the cache (the portfolio is read page by page from
# the store).
CACHED_VIEWS = frozenset({"budget", "subsidy", "schedule", "indicators"})

Loader = Callable[[UUID, str], tuple[int | None, StoredView | None]]
"""A project's last position and its stored view (LedgerStore.current_view)."""


def view_etag(*parts: object) -> str:
    """An ETag for a view, derived from everything the view is a function of."""
    return '"' + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32] + '"'


@dataclass(frozen=True, slots=True)
class CachedView:
    position: int
    on: date
    body: str
    etag: str


def footprint(view: CachedView) -> int:
    """About the bytes a held view takes."""
    return sys.getsizeof(view.body) + sys.getsizeof(view.etag) + ENTRY_BYTES


class _Views(LRUCache[tuple[UUID, str], CachedView]):
    """The held views, the least recently read dropped first; counts each project's."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(maxsize=max_bytes, getsizeof=footprint)
        self.held: dict[UUID, int] = {}  # how many views of each project are held

    def __setitem__(self, key: tuple[UUID, str], value: CachedView, *args: Any) -> None:
        if key in self:  # replaced as new: making room must not drop the key it counted
            del self[key]
        super().__setitem__(key, value)
        self.held[key[0]] = self.held.get(key[0], 0) + 1

    def __delitem__(self, key: tuple[UUID, str], *args: Any) -> None:
        super().__delitem__(key)
        left = self.held[key[0]] - 1
        if left:
            self.held[key[0]] = left
        else:
            del self.held[key[0]]

    def clear(self) -> None:
        super().clear()
        self.held.clear()


class ViewCache:
    def __init__(self, max_bytes: int = DEFAULT_MEGABYTES << 20,
                 load: Loader | None = None) -> None:
        self.max_bytes = max_bytes
        self._load = load
        self._lock = threading.Lock()
        self._views = _Views(max_bytes)
        self.live = False
        # Where the projector had got to when it last announced a batch.
        self.projected = 0
        # Each held (or loading) project's last position heard of, where past `projected`.
        self._heads: dict[UUID, int] = {}
        self._loading: dict[UUID, int] = {}  # reads from the store under way, by project
        self._epoch = 0  # moves on every reset: a read begun before it keeps nothing

    def reset(self, projected: int, heads: dict[UUID, int] | None = None) -> None:
        """Starts afresh (on connecting, or when told to): nothing held, the projector at
        `projected`, and these projects' last positions past it."""
        with self._lock:
            self._clear()
            self.projected = projected
            self._note_heads(heads or {})
            self.live = True

    def appended(self, heads: dict[UUID, int]) -> None:
        """Events were appended: each project's last position now."""
        with self._lock:
            self._note_heads(heads)

    def wrote(self, project_id: UUID, position: int) -> None:
        """This process committed the project's events up to `position`."""
        self.appended({project_id: position})

    def wanted(self, project_ids: Iterable[UUID]) -> set[UUID]:
        """Those of the projects whose views are held or being read (the feed reads theirs)."""
        with self._lock:
            return {p for p in project_ids if p in self._views.held or p in self._loading}

    def update(self, views: Iterable[RenderedView], projected: int) -> None:
        """The projector stored these views and got to `projected`."""
        with self._lock:
            for view in views:
                if view.view in CACHED_VIEWS and (view.project_id in self._views.held
                                                  or view.project_id in self._loading):
                    self._keep(view.project_id, view.view, _cached(view))
            self.projected = max(self.projected, projected)
            # Every view held of a project with no event past `projected` reflects them all;
            # and a project neither held nor being read is read from the store when asked for.
            self._heads = {p: h for p, h in self._heads.items()
                           if h > self.projected and self._follows(p)}

    def forget(self) -> None:
        """The feed lost its connection: nothing here can be trusted to be current."""
        with self._lock:
            self.live = False
            self._clear()

    def current(self, project_id: UUID, view: str, on: date,
                min_position: int | None) -> CachedView | None:
        """The view if it can be served as it is: rendered for `on`, reflecting every event of
        the project heard of (this process's writes included) and `min_position`; read from
        the stored views if not held."""
        if not self.live or view not in CACHED_VIEWS or (
                min_position is not None and self.projected < min_position):
            return None
        with self._lock:
            held = self._views.get((project_id, view))
            if held is not None:
                return held if self._serves(project_id, held, on) else None
        return self._read(project_id, view, on)

    def __len__(self) -> int:
        return len(self._views)

    @property
    def size(self) -> int:
        """About the bytes the held views take."""
        return int(self._views.currsize)

    def known(self) -> int:
        """How many projects' positions are kept (those held or being read, and those dropped
        since the last announcement)."""
        return len(self._heads)

    # ---- under the lock ------------------------------------------------------------------

    def _serves(self, project_id: UUID, held: CachedView, on: date) -> bool:
        return held.on == on and held.position >= self._heads.get(project_id, 0)

    def _keep(self, project_id: UUID, view: str, cached: CachedView) -> None:
        key = (project_id, view)
        held = self._views.get(key)
        # Never back: a rebuild from the start of the log announces older renderings of views
        # this copy holds newer ones of (a new day renders the same position).
        if held is not None and (cached.position, cached.on) < (held.position, held.on):
            return
        if footprint(cached) <= self.max_bytes:
            self._views[key] = cached

    def _follows(self, project_id: UUID) -> bool:
        """Whether the project's views are held or being read (its position is then kept)."""
        return project_id in self._views.held or project_id in self._loading

    def _note_heads(self, heads: dict[UUID, int]) -> None:
        for project_id, position in heads.items():
            if position > self.projected and self._follows(project_id):
                self._heads[project_id] = max(position, self._heads.get(project_id, 0))

    def _clear(self) -> None:
        self._epoch += 1
        self._views.clear()
        self._heads.clear()

    # ---- a read from the store -------------------------------------------------------------

    def _read(self, project_id: UUID, view: str, on: date) -> CachedView | None:
        """The stored view, kept if it reflects the project's last event; served if it is
        current by the rules above (a notification may have overtaken the read)."""
        if self._load is None or not self.max_bytes:  # nothing would be kept: the API reads
            return None
        with self._lock:
            epoch = self._epoch
            self._loading[project_id] = self._loading.get(project_id, 0) + 1
        try:
            position, stored = self._load(project_id, view)
        except BaseException:
            with self._lock:
                self._loaded(project_id)
            raise
        with self._lock:  # kept and no longer loading at once: no notification between
            if stored is not None and stored.position == position and epoch == self._epoch:
                self._keep(project_id, view, _cached(RenderedView(
                    project_id, view, stored.position, stored.on, stored.body)))
            self._loaded(project_id)
            held = self._views.get((project_id, view))
            return held if held is not None and self._serves(project_id, held, on) else None

    def _loaded(self, project_id: UUID) -> None:
        self._loading[project_id] -= 1
        if not self._loading[project_id]:
            del self._loading[project_id]
        if not self._follows(project_id):
            self._heads.pop(project_id, None)


def _cached(view: RenderedView) -> CachedView:
    etag = view_etag(view.view, view.project_id, view.position, view.on, None)
    return CachedView(view.position, view.on, view.body, etag)

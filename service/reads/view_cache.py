"""Each web process's copy of the materialised views, kept current by the projector's
notifications, so that a dashboard's poll is answered from memory: no database round trip.

The projector announces every batch it commits (PostgreSQL NOTIFY, see service.reads.view_feed)
with the position reached and the projects whose views changed; the feed reads those views
and puts them here. A view is served from here only while the feed is connected, when it was
rendered for the reference day asked for, and when it is not older than any write this
process has made to the project (a client reads its own writes without `min_position`).
Anything else goes to the database as before, so the cache can only make a read faster,
never staler than the projector's own view.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from service.store.viewstore import RenderedView


def view_etag(*parts: object) -> str:
    """An ETag for a view, derived from everything the view is a function of."""
    return '"' + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class CachedView:
    position: int
    on: date
    body: str
    etag: str


class ViewCache:
    def __init__(self) -> None:
        self._views: dict[tuple[UUID, str], CachedView] = {}
        self._lock = threading.Lock()
        self._order: list[UUID] = []  # the projects in the order of registration
        self._known: frozenset[UUID] = frozenset()  # the same, for lookups
        self.live = False
        # Where the projector had got to when it last announced a batch.
        self.projected = 0

    def replace_all(self, views: Iterable[RenderedView], projected: int,
                    order: list[UUID]) -> None:
        """Starts afresh from every stored view (on connecting, or when told to)."""
        fresh = {(view.project_id, view.view): _cached(view) for view in views}
        with self._lock:
            self._views = fresh
            self._set_order(order)
            self.projected = projected
            self.live = True

    def update(self, views: Iterable[RenderedView], projected: int,
               order: list[UUID] | None = None) -> None:
        with self._lock:
            for view in views:
                key = (view.project_id, view.view)
                held = self._views.get(key)
                # Never back: a rebuild from the start of the log announces older renderings
                # of views this copy holds newer ones of (a new day renders the same position).
                if held is None or (view.position, view.on) >= (held.position, held.on):
                    self._views[key] = _cached(view)
            self.projected = max(self.projected, projected)
            if order is not None:
                self._set_order(order)

    def _set_order(self, order: list[UUID]) -> None:
        self._order, self._known = order, frozenset(order)

    def knows_all(self, project_ids: Iterable[UUID]) -> bool:
        """Whether the registration order holds these projects (else the feed reads it)."""
        return self._known.issuperset(project_ids)

    def forget(self) -> None:
        """The feed lost its connection: nothing here can be trusted to be current."""
        with self._lock:
            self.live = False
            self._views = {}

    def current(self, project_id: UUID, view: str, on: date, written: int,
                min_position: int | None) -> CachedView | None:
        """The view if it can be served as it is: rendered for `on`, reflecting at least this
        process's last write to the project (`written`) and `min_position`."""
        if not self.live or (min_position is not None and self.projected < min_position):
            return None
        cached = self._views.get((project_id, view))
        if cached is None or cached.on != on or cached.position < written:
            return None
        return cached

    def portfolio_rows(self, on: date, written: dict[UUID, int],
                       visible: set[UUID] | None = None) -> list[str] | None:
        """The portfolio rows of every project (or of those `visible`), if each can be served
        as it is; else None (also when this process wrote to a project the copy does not
        know yet, e.g. registered it: a client reads its own writes)."""
        if not self.live or not self._known.issuperset(written):
            return None
        rows = []
        for project_id in self._order:
            if visible is not None and project_id not in visible:
                continue
            cached = self._views.get((project_id, "portfolio"))
            if cached is None or cached.on != on or cached.position < written.get(project_id, 0):
                return None
            rows.append(cached.body)
        return rows


def _cached(view: RenderedView) -> CachedView:
    etag = view_etag(view.view, view.project_id, view.position, view.on, None)
    return CachedView(view.position, view.on, view.body, etag)

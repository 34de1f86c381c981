"""The web process's bounded cache of the views: when it may answer, what it reads from the
store and keeps, what it drops, and the projector's announcements that keep it current."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

from service.reads.view_cache import CachedView, ViewCache, footprint, view_etag
from service.store.viewstore import (
    MAX_PAYLOAD,
    RenderedView,
    StoredView,
    announcement,
    parse_announcement,
)

DAY = date(2026, 11, 22)
A, B = UUID(int=1), UUID(int=2)


def views(project_id: UUID, position: int, on: date = DAY) -> list[RenderedView]:
    return [RenderedView(project_id, name, position, on, f'{{"{name}":{position}}}')
            for name in ("budget", "portfolio")]


class Store:
    """The stored views a cache reads what it does not hold from; counts the reads."""

    def __init__(self, *rendered: RenderedView, heads: dict[UUID, int] | None = None) -> None:
        self.views = {(view.project_id, view.view): view for view in rendered}
        self.heads = dict(heads or {})
        self.reads: list[tuple[UUID, str]] = []
        self.during_read: Callable[[], None] = lambda: None

    def store(self, *rendered: RenderedView) -> None:
        self.views.update({(view.project_id, view.view): view for view in rendered})
        for view in rendered:
            self.heads[view.project_id] = max(view.position, self.heads.get(view.project_id, 0))

    def current_view(self, project_id: UUID, name: str) -> tuple[int | None, StoredView | None]:
        self.reads.append((project_id, name))
        view = self.views.get((project_id, name))
        answer = self.heads.get(project_id), view and StoredView(view.position, view.on,
                                                                 view.body)
        self.during_read()
        return answer


def live_cache(max_bytes: int = 1 << 20) -> tuple[ViewCache, Store]:
    store = Store()
    store.store(*views(A, 5), *views(B, 7))
    cache = ViewCache(max_bytes, load=store.current_view)
    cache.reset(7)
    return cache, store


def position(cached: CachedView | None) -> int | None:
    return cached.position if cached else None


def test_a_view_not_held_is_read_from_the_store_once_then_answered_from_memory() -> None:
    cache, store = live_cache()

    first = cache.current(A, "budget", DAY, min_position=None)
    again = cache.current(A, "budget", DAY, min_position=None)

    assert first is not None and first == again
    assert (first.position, first.body, first.etag) == (
        5, '{"budget":5}', view_etag("budget", A, 5, DAY, None))
    assert (store.reads, len(cache)) == ([(A, "budget")], 1)


def test_connecting_reads_no_view_and_the_portfolio_is_not_served() -> None:
    cache, store = live_cache()

    assert (len(cache), store.reads) == (0, [])
    assert cache.current(A, "portfolio", DAY, None) is None
    assert store.reads == []


def test_a_stored_view_behind_its_project_is_neither_served_nor_kept() -> None:
    cache, store = live_cache()
    store.heads[A] = 9  # an event the projector has not applied yet

    assert cache.current(A, "budget", DAY, None) is None
    assert len(cache) == 0


def test_the_least_recently_read_views_go_first_when_the_size_is_reached() -> None:
    one = CachedView(5, DAY, '{"budget":5}', view_etag("budget", A, 5, DAY, None))
    cache, store = live_cache(max_bytes=3 * footprint(one))
    others = [uuid4() for _ in range(3)]
    for project_id in others:
        store.store(*views(project_id, 9))
    cache.current(A, "budget", DAY, None)
    cache.current(others[0], "budget", DAY, None)
    cache.current(others[1], "budget", DAY, None)
    cache.current(A, "budget", DAY, None)  # A read again: others[0] is now the oldest

    cache.current(others[2], "budget", DAY, None)
    store.reads.clear()
    held_a, held_0 = cache.current(A, "budget", DAY, None), cache.current(
        others[0], "budget", DAY, None)

    assert (position(held_a), position(held_0)) == (5, 9)
    assert store.reads == [(others[0], "budget")]  # A was held, others[0] dropped
    assert cache.size <= 3 * footprint(one)


def test_a_view_larger_than_the_whole_cache_is_not_kept_but_left_to_the_api() -> None:
    cache, store = live_cache(max_bytes=100)

    served = cache.current(A, "budget", DAY, None)

    assert (position(served), len(cache), store.reads) == (None, 0, [(A, "budget")])


def test_the_cache_does_not_answer_before_it_is_connected_or_after_the_feed_is_lost() -> None:
    cache, store = live_cache()
    cache.current(A, "budget", DAY, None)
    never_connected = ViewCache(load=store.current_view)
    cache.forget()

    assert cache.current(A, "budget", DAY, None) is None
    assert never_connected.current(A, "budget", DAY, None) is None
    assert (len(cache), store.reads) == (0, [(A, "budget")])


def test_the_cache_does_not_answer_for_another_day_an_own_newer_write_or_a_later_position(
        ) -> None:
    cache, _ = live_cache()
    cache.current(A, "budget", DAY, None)
    cache.current(B, "budget", DAY, None)

    other_day = cache.current(A, "budget", date(2026, 11, 23), None)
    later = cache.current(A, "budget", DAY, min_position=8)
    reached = cache.current(A, "budget", DAY, min_position=7)
    cache.wrote(A, 8)
    own_write = cache.current(A, "budget", DAY, None)

    assert (other_day, later, position(reached), own_write) == (None, None, 5, None)
    assert position(cache.current(B, "budget", DAY, None)) == 7


def test_another_process_append_heard_of_stops_the_held_view_until_the_projector_has_it(
        ) -> None:
    cache, store = live_cache()
    cache.current(A, "budget", DAY, None)

    cache.appended({A: 9, B: 9})
    behind = cache.current(A, "budget", DAY, None)
    store.store(*views(A, 9))
    cache.update(views(A, 9), 9)
    caught_up = cache.current(A, "budget", DAY, None)

    assert (behind, position(caught_up)) == (None, 9)
    assert cache.known() == 0  # no position is kept for a project the cache does not hold


def test_an_update_replaces_only_the_views_held_and_moves_the_position() -> None:
    cache, _ = live_cache()
    cache.current(A, "budget", DAY, None)

    cache.update([*views(A, 9), *views(B, 9)], 9)

    assert position(cache.current(A, "budget", DAY, 9)) == 9
    assert (cache.projected, len(cache), cache.wanted({A, B})) == (9, 1, {A})


def test_an_older_rendering_does_not_replace_a_newer_one_but_a_new_day_does() -> None:
    cache, _ = live_cache()
    next_day = date(2026, 11, 23)
    cache.current(A, "budget", DAY, None)

    cache.update(views(A, 3), 3)  # a rebuild from the start of the log
    kept = cache.current(A, "budget", DAY, None)
    cache.update(views(A, 5, next_day), 7)
    renewed = cache.current(A, "budget", next_day, None)

    assert (position(kept), renewed.on if renewed else None) == (5, next_day)


def test_an_append_heard_of_during_a_read_from_the_store_stops_what_it_read() -> None:
    cache, store = live_cache()
    store.during_read = lambda: cache.appended({A: 9})

    assert cache.current(A, "budget", DAY, None) is None
    store.during_read = lambda: None
    store.store(*views(A, 9))
    cache.update(views(A, 9), 9)
    assert position(cache.current(A, "budget", DAY, None)) == 9


def test_an_announcement_during_a_read_from_the_store_is_not_undone_by_it() -> None:
    """The read began before the projector stored position 9 and answers 5; the feed, told
    of 9 meanwhile, put 9 in: the older reading does not replace it."""
    cache, store = live_cache()

    def projected_meanwhile() -> None:
        cache.appended({A: 9})
        cache.update(views(A, 9), 9)

    store.during_read = projected_meanwhile
    served = cache.current(A, "budget", DAY, None)

    assert position(served) == 9


def test_a_read_overtaken_by_a_reconnection_keeps_nothing() -> None:
    cache, store = live_cache()
    store.during_read = lambda: cache.reset(9)

    assert cache.current(A, "budget", DAY, None) is None
    assert len(cache) == 0


def test_an_announcement_names_the_position_and_the_projects() -> None:
    assert parse_announcement(announcement(42, [A, B])) == (42, {A, B})
    assert parse_announcement(announcement(42, [])) == (42, set())


def test_an_announcement_too_long_for_notify_says_every_project() -> None:
    many = [uuid4() for _ in range(MAX_PAYLOAD // 36 + 1)]

    payload = announcement(7, many)

    assert (payload, parse_announcement(payload)) == ("7:*", (7, None))


def test_a_held_view_replaced_by_a_larger_one_in_a_full_cache_is_still_held() -> None:
    one = CachedView(5, DAY, '{"budget":5}', view_etag("budget", A, 5, DAY, None))
    cache, store = live_cache(max_bytes=2 * footprint(one) + 10)
    cache.current(A, "budget", DAY, None)
    cache.current(B, "budget", DAY, None)
    larger = RenderedView(A, "budget", 9, DAY, '{"budget":9,"more":"' + "x" * 20 + '"}')
    store.store(larger)
    store.reads.clear()

    cache.update([larger], 9)  # A was the least recently read: making room drops B

    assert (position(cache.current(A, "budget", DAY, None)), store.reads) == (9, [])
    assert (len(cache), cache.wanted({A, B})) == (1, {A})


def test_the_positions_of_projects_dropped_are_forgotten_at_the_next_announcement() -> None:
    one = CachedView(5, DAY, '{"budget":5}', view_etag("budget", A, 5, DAY, None))
    cache, _ = live_cache(max_bytes=footprint(one))
    cache.current(A, "budget", DAY, None)
    cache.appended({A: 9})
    cache.current(B, "budget", DAY, None)  # drops A
    known_after_drop = cache.known()

    cache.update([], 8)

    assert (known_after_drop, cache.known(), cache.wanted({A, B})) == (1, 0, {B})


def test_a_cache_of_no_size_reads_nothing_from_the_store() -> None:
    cache, store = live_cache(max_bytes=0)

    assert (cache.current(A, "budget", DAY, None), store.reads) == (None, [])

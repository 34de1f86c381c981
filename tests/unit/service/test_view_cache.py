"""The web process's copy of the views: when it may answer, and the projector's
announcements that keep it current."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from service.reads.view_cache import ViewCache, view_etag
from service.store.viewstore import MAX_PAYLOAD, RenderedView, announcement, parse_announcement

DAY = date(2026, 11, 22)
A, B = UUID(int=1), UUID(int=2)


def views(project_id: UUID, position: int, on: date = DAY) -> list[RenderedView]:
    return [RenderedView(project_id, name, position, on, f'{{"{name}":{position}}}')
            for name in ("budget", "portfolio")]


def live_cache() -> ViewCache:
    cache = ViewCache()
    cache.replace_all([*views(A, 5), *views(B, 7)], 7, [A, B])
    return cache


def test_a_live_copy_answers_with_the_view_and_an_etag_of_its_position() -> None:
    cached = live_cache().current(A, "budget", DAY, written=0, min_position=None)

    assert cached is not None
    assert (cached.position, cached.body, cached.etag) == (
        5, '{"budget":5}', view_etag("budget", A, 5, DAY, None))


def test_the_copy_does_not_answer_before_it_is_loaded_or_after_the_feed_is_lost() -> None:
    cache = live_cache()
    never_loaded = ViewCache()
    never_loaded.update(views(A, 5), 7)
    cache.forget()

    assert cache.current(A, "budget", DAY, 0, None) is None
    assert never_loaded.current(A, "budget", DAY, 0, None) is None


def test_the_copy_does_not_answer_for_another_day_an_own_newer_write_or_a_later_position(
        ) -> None:
    cache = live_cache()

    assert cache.current(A, "budget", date(2026, 11, 23), 0, None) is None
    assert cache.current(A, "budget", DAY, written=6, min_position=None) is None
    assert cache.current(A, "budget", DAY, 0, min_position=8) is None
    assert cache.current(A, "budget", DAY, written=5, min_position=7) is not None


def test_an_update_replaces_the_announced_views_and_moves_the_position() -> None:
    cache = live_cache()

    cache.update(views(A, 9), 9)

    cached = cache.current(A, "budget", DAY, 0, 9)
    assert (cache.projected, cached.position if cached else None) == (9, 9)


def test_an_older_rendering_does_not_replace_a_newer_one_but_a_new_day_does() -> None:
    cache = live_cache()
    next_day = date(2026, 11, 23)

    cache.update(views(A, 3), 3)  # a rebuild from the start of the log
    kept = cache.current(A, "budget", DAY, 0, None)
    cache.update(views(A, 5, next_day), 7)
    renewed = cache.current(A, "budget", next_day, 0, None)

    assert (kept.position if kept else None, renewed.on if renewed else None) == (5, next_day)


def test_portfolio_rows_come_in_registration_order_only_when_every_project_has_one() -> None:
    cache = live_cache()
    newcomer = uuid4()

    assert cache.portfolio_rows(DAY, {}) == ['{"portfolio":5}', '{"portfolio":7}']
    assert cache.portfolio_rows(DAY, {B: 8}) is None
    cache.update([], 8, [A, B, newcomer])
    assert cache.portfolio_rows(DAY, {}) is None
    assert (cache.knows_all({A, B}), cache.knows_all({A, uuid4()})) == (True, False)


def test_no_portfolio_rows_while_a_project_this_process_wrote_is_not_in_the_copy() -> None:
    cache = live_cache()

    assert cache.portfolio_rows(DAY, {A: 5, uuid4(): 1}) is None


def test_an_announcement_names_the_position_and_the_projects() -> None:
    assert parse_announcement(announcement(42, [A, B])) == (42, {A, B})
    assert parse_announcement(announcement(42, [])) == (42, set())


def test_an_announcement_too_long_for_notify_says_every_project() -> None:
    many = [uuid4() for _ in range(MAX_PAYLOAD // 36 + 1)]

    payload = announcement(7, many)

    assert (payload, parse_announcement(payload)) == ("7:*", (7, None))

"""A request's deadline for the store: one for the whole request, renewed by each answer."""

from __future__ import annotations

from freezegun import freeze_time

from service.store import connections
from service.store.connections import answering_within, patience_left, waiting_at_most


def test_a_request_has_the_deadline_of_its_outermost_scope_and_none_outside() -> None:
    with freeze_time("2026-12-07 01:00:00") as clock:
        with answering_within(5.0):
            clock.tick(2)
            with answering_within(5.0):  # a page's in-process call to the API
                left = patience_left()
        outside = patience_left()
    assert (left, outside) == (3.0, None)


def test_each_answer_of_the_store_renews_the_deadline() -> None:
    with freeze_time("2026-12-07 01:00:00") as clock, answering_within(5.0):
        clock.tick(4)
        connections.renew_patience()
        clock.tick(3)
        assert patience_left() == 2.0
        clock.tick(3)
        assert patience_left() == 0.0


def test_a_wait_is_bounded_by_the_shortest_of_its_limit_a_probes_cap_and_the_deadline() -> None:
    with freeze_time("2026-12-07 01:00:00") as clock, answering_within(5.0):
        clock.tick(4.5)
        limited_by_deadline = connections._wait_limit(5.0)
        with waiting_at_most(0.25):
            limited_by_probe = connections._wait_limit(5.0)
    assert (limited_by_deadline, limited_by_probe, connections._wait_limit(5.0)) == (
        (0.5, False), (0.25, True), (5.0, False))

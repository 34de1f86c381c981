"""A project's checkpoints and snapshots: due when its versions crossed an interval since the
last one, and not sooner than the spacing after it."""

from __future__ import annotations

from uuid import uuid4

from service.reads.cadence import Cadence


def test_a_crossing_is_due_at_once_for_a_project_never_taken() -> None:
    cadence = Cadence(every=250, spacing=10, clock=lambda: 0.0)

    assert (cadence.due(uuid4(), 240, 260), cadence.due(uuid4(), 251, 499)) == (True, False)


def test_a_crossing_within_the_spacing_waits_and_is_due_after_it() -> None:
    now = [50.0]
    cadence = Cadence(every=250, spacing=10, clock=lambda: now[0])
    project = uuid4()
    cadence.took(project, 250)

    now[0] = 59.9
    waiting = cadence.due(project, 499, 510)
    now[0] = 60.0
    # The batch before this one began above 500: the crossing counts from the last taken.
    assert (waiting, cadence.due(project, 510, 520), cadence.due(project, 520, 530)) == (
        False, True, True)


def test_no_crossing_since_the_last_taken_is_not_due_however_long_ago() -> None:
    now = [0.0]
    cadence = Cadence(every=250, spacing=10, clock=lambda: now[0])
    project = uuid4()
    cadence.took(project, 500)
    now[0] = 1000.0

    assert cadence.due(project, 500, 749) is False


def test_the_spacing_grows_with_what_the_next_one_is_expected_to_cost() -> None:
    now = [100.0]
    cadence = Cadence(every=250, spacing=10, clock=lambda: now[0])
    costly, cheap = uuid4(), uuid4()
    cadence.took(costly, 250, cost=0.75)  # at 500, twice the size: 1.5 s, not within 30 s
    cadence.took(cheap, 250, cost=0.1)  # 0.2 s: 4 s, the spacing of 10 s rules

    now[0] = 110.0
    at_spacing = (cadence.due(costly, 490, 500), cadence.due(cheap, 490, 500))
    now[0] = 129.9
    before_cost = cadence.due(costly, 490, 500)
    now[0] = 130.0

    assert (at_spacing, before_cost, cadence.due(costly, 490, 500)) == (
        (False, True), False, True)


def test_a_project_grown_much_since_its_last_waits_for_the_cost_of_its_size_now() -> None:
    now = [100.0]
    cadence = Cadence(every=250, spacing=10, clock=lambda: now[0])
    project = uuid4()
    cadence.took(project, 10_000, cost=0.25)

    now[0] = 110.0
    small_growth = cadence.due(project, 11_500, 12_000)  # 0.3 s expected: the spacing rules
    # At 80,000 it holds eight times as much: 2 s expected, 40 s after the last.
    now[0] = 139.9
    before = cadence.due(project, 79_500, 80_000)
    now[0] = 140.0

    assert (small_growth, before, cadence.due(project, 79_500, 80_000)) == (True, False, True)

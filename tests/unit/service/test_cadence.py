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


def test_the_spacing_grows_with_what_the_last_one_cost() -> None:
    now = [100.0]
    cadence = Cadence(every=250, spacing=10, clock=lambda: now[0])
    costly, cheap = uuid4(), uuid4()
    cadence.took(costly, 250, cost=1.5)  # 1.5 s of CPU: not again within 30 s
    cadence.took(cheap, 250, cost=0.1)  # 2 s: the spacing of 10 s rules

    now[0] = 110.0
    at_spacing = (cadence.due(costly, 490, 510), cadence.due(cheap, 490, 510))
    now[0] = 129.9
    before_cost = cadence.due(costly, 490, 510)
    now[0] = 130.0

    assert (at_spacing, before_cost, cadence.due(costly, 490, 510)) == (
        (False, True), False, True)

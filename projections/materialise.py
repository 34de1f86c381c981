"""What a projector keeps: each project's folded state at the projection's position, and the
views rendered from it. Pure: the store and the clock are passed in."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from uuid import UUID

from projections.budget import budget_view
from projections.figures import line_figures
from projections.indicators import indicators_view
from projections.ledger import LedgerState, Pair
from projections.portfolio import portfolio_row
from projections.schedule import schedule_view
from projections.subsidy import subsidy_view

VIEWS: dict[str, Callable[[LedgerState, date], dict[str, Any]]] = {
    "budget": budget_view,
    "subsidy": subsidy_view,
    "schedule": schedule_view,
    "indicators": indicators_view,
    "portfolio": portfolio_row,
}
CHECKPOINT_EVERY = 250
"""Versions between a small project's checkpoints (see `interval_crossed`)."""

RETAINED_EVENTS = 20_000
"""How much of the folded states a projector keeps between batches, in events: those of the
projects it folded most recently (a busy project is not loaded again for every batch), and no
more, however many projects there are (but the last one folded, whatever its size)."""
REGISTRATION_EVENTS = 20
"""What a project's registration weighs in that count: a project of a few expenses takes about
23 KB, most of it its registration (budget, activities, indicators)."""

StateLoader = Callable[[UUID, int], LedgerState]
"""Folds a project's events up to a global position (the projection's)."""


class ProjectFolds:
    """Each touched project's state at the projection's position, loaded when first needed;
    between batches (`settle`) only the most recently folded are kept, up to `retained`."""

    def __init__(self, load: StateLoader, retained: int = RETAINED_EVENTS) -> None:
        self._load = load
        self._retained = retained
        self._states: OrderedDict[UUID, LedgerState] = OrderedDict()

    def apply(self, pairs: Iterable[Pair], position: int) -> dict[UUID, int]:
        """Folds a batch that follows `position`; answers each touched project's version
        before the batch (to tell which crossed a checkpoint)."""
        versions_before: dict[UUID, int] = {}
        for event_position, event in pairs:
            project_id = event.originator_id
            if event.originator_version == 1 and project_id not in self._states:
                # A project registered in this batch: nothing before it to load (in a first
                # pass over many projects, a look-up per project saved).
                self._states[project_id] = LedgerState()
            state = self.state(project_id, position)
            versions_before.setdefault(project_id, state.version)
            state.apply(event_position, event)
        return versions_before

    def state(self, project_id: UUID, position: int) -> LedgerState:
        """The project's state; loaded as at `position` if not held yet."""
        state = self._states.get(project_id)
        if state is None:
            state = self._states[project_id] = self._load(project_id, position)
        else:
            self._states.move_to_end(project_id)
        return state

    def settle(self) -> None:
        """Between batches: drops the states folded least recently beyond `retained`, but
        never the last one folded. A project heavier than the bound alone is in memory for
        each batch that touches it anyway; dropping it after each of them only made a busy
        large project cost a load (its checkpoint and the events since) per batch."""
        weight = sum(map(_weight, self._states.values()))
        while weight > self._retained and len(self._states) > 1:
            weight -= _weight(self._states.popitem(last=False)[1])

    def __len__(self) -> int:
        return len(self._states)

    def forget(self) -> None:
        """Drops every state, e.g. after another projector moved the position."""
        self._states.clear()


def _weight(state: LedgerState) -> int:
    return state.version + REGISTRATION_EVENTS


def rendered(state: LedgerState, on: date) -> dict[str, dict[str, Any]]:
    """Every materialised view of a project for the reference date `on` (the same as VIEWS
    give). The line figures and the budget's flags, a pass over every expense each, are
    computed once for the five views: on a project of 10,000 expenses they were 2/3 of a
    projector batch's time."""
    lines = line_figures(state)
    budget = budget_view(state, on, lines=lines)
    return {
        "budget": budget,
        "subsidy": subsidy_view(state, on, lines=lines),
        "schedule": schedule_view(state, on, lines=lines),
        "indicators": indicators_view(state, on),
        "portfolio": portfolio_row(state, on, lines=lines, budget_flag_list=budget["flags"]),
    }


def interval_crossed(version_before: int, version_after: int, every: int,
                     share: int = 4) -> bool:
    """Whether going from one version to another crossed a multiple of the interval at which
    a project's checkpoints (or snapshots) are taken: `every` versions while the project is
    small, then the largest power-of-two multiple of `every` not above a `share`th of its
    versions. Each one holds the whole project, so a fixed interval made a project's
    10,000th event cost far more than its 100th; growing with the project, they cost each
    event about the same, and a replay from the last one folds at most a `share`th of the
    project's events."""
    interval = every
    while interval * 2 <= version_after // share:
        interval *= 2
    return version_after // interval > version_before // interval

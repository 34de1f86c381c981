"""What a projector keeps: each project's folded state at the projection's position, and the
views rendered from it. Pure: the store and the clock are passed in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from uuid import UUID

from projections.budget import budget_view
from projections.figures import line_figures
from projections.ledger import LedgerState, Pair
from projections.portfolio import portfolio_row
from projections.schedule import schedule_view
from projections.subsidy import subsidy_view

VIEWS: dict[str, Callable[[LedgerState, date], dict[str, Any]]] = {
    "budget": budget_view,
    "subsidy": subsidy_view,
    "schedule": schedule_view,
    "portfolio": portfolio_row,
}
CHECKPOINT_EVERY = 250
"""Versions between a project's checkpoints: an `as_of` replay folds at most this many."""

StateLoader = Callable[[UUID, int], LedgerState]
"""Folds a project's events up to a global position (the projection's)."""


class ProjectFolds:
    """Each touched project's state at the projection's position, loaded when first needed."""

    def __init__(self, load: StateLoader) -> None:
        self._load = load
        self._states: dict[UUID, LedgerState] = {}

    def apply(self, pairs: Iterable[Pair], position: int) -> dict[UUID, int]:
        """Folds a batch that follows `position`; answers each touched project's version
        before the batch (to tell which crossed a checkpoint)."""
        versions_before: dict[UUID, int] = {}
        for event_position, event in pairs:
            project_id = event.originator_id
            state = self.state(project_id, position)
            versions_before.setdefault(project_id, state.version)
            state.apply(event_position, event)
        return versions_before

    def state(self, project_id: UUID, position: int) -> LedgerState:
        """The project's state; loaded as at `position` if not held yet."""
        if project_id not in self._states:
            self._states[project_id] = self._load(project_id, position)
        return self._states[project_id]

    def forget(self) -> None:
        """Drops every state, e.g. after another projector moved the position."""
        self._states.clear()


def rendered(state: LedgerState, on: date) -> dict[str, dict[str, Any]]:
    """Every materialised view of a project for the reference date `on` (the same as VIEWS
    give). The line figures and the budget's flags, a pass over every expense each, are
    computed once for the four views: on a project of 10,000 expenses they were 2/3 of a
    projector batch's time."""
    lines = line_figures(state)
    budget = budget_view(state, on, lines=lines)
    return {
        "budget": budget,
        "subsidy": subsidy_view(state, on, lines=lines),
        "schedule": schedule_view(state, on, lines=lines),
        "portfolio": portfolio_row(state, on, lines=lines, budget_flag_list=budget["flags"]),
    }


def checkpoint_due(version_before: int, version_after: int) -> bool:
    """Whether a batch carried a project across a multiple of CHECKPOINT_EVERY versions."""
    return version_after // CHECKPOINT_EVERY > version_before // CHECKPOINT_EVERY

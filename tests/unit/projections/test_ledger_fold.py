"""Folding a project's events: order, positions, the chain head, and the ledger as of a moment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from projection_builders import D, ProjectBuilder, at, line

from projections import (
    LedgerState,
    ProjectionError,
    budget_view,
    expense_state,
    fold,
    fold_as_of,
    project_detail,
)

ON = date(2018, 3, 1)


def dated_builder() -> ProjectBuilder:
    """Registered 2016-04-01, TRAVEL 100 recorded 2016-05-01, TRAVEL 20 recorded 2016-06-01."""
    builder = ProjectBuilder(registered_at=at(date(2016, 4, 1)))
    builder.expense("TRAVEL", "100.00", when=at(date(2016, 5, 1)))
    builder.expense("TRAVEL", "20.00", when=at(date(2016, 6, 1)))
    return builder


def test_every_view_states_the_position_of_the_last_folded_event() -> None:
    builder = dated_builder()
    positions = [10, 14, 37]
    pairs = [(p, e) for p, (_, e) in zip(positions, builder.pairs(), strict=True)]

    state = fold(pairs)

    assert (
        state.position,
        budget_view(state, on=ON)["position"],
        project_detail(state)["position"],
    ) == (37, 37, 37)


def test_the_state_keeps_the_version_and_hash_of_the_last_event_as_its_head() -> None:
    builder = dated_builder()
    events = [e for _, e in builder.pairs()]

    state = builder.state()

    assert (state.version, state.head) == (3, {"version": 3, "hash": events[-1].hash})


def test_applying_events_one_by_one_gives_the_same_state_as_folding_them() -> None:
    builder = dated_builder()
    state = LedgerState()

    for position, event in builder.pairs():
        state.apply(position, event)

    assert state == fold(builder.pairs())


def test_fold_as_of_includes_an_event_recorded_exactly_at_that_moment() -> None:
    state = fold_as_of(dated_builder().pairs(), at(date(2016, 5, 1)))

    assert (line(budget_view(state, on=ON), "TRAVEL")["recorded"], state.position) == (
        D("100.00"),
        2,
    )


def test_fold_as_of_ignores_events_recorded_later() -> None:
    state = fold_as_of(dated_builder().pairs(), at(date(2016, 5, 1)) - timedelta(seconds=1))

    assert (line(budget_view(state, on=ON), "TRAVEL")["recorded"], state.position) == (D("0.00"), 1)


def test_fold_as_of_shows_an_expense_active_before_its_later_reversal() -> None:
    builder = dated_builder()
    expense = builder.expense("RENT", "5.00", when=at(date(2016, 7, 1)))
    builder.project.reverse_expense(
        builder.stamp(at(date(2016, 8, 1)), "accountant"), expense, "recorded twice"
    )

    before = fold_as_of(builder.pairs(), at(date(2016, 7, 15)))
    after = fold_as_of(builder.pairs(), at(date(2016, 8, 15)))

    rows = [expense_state(s, str(expense)) for s in (before, after)]
    assert [row and row["status"] for row in rows] == ["active", "reversed"]


def test_fold_as_of_none_folds_everything() -> None:
    builder = dated_builder()

    assert fold_as_of(builder.pairs(), None) == fold(builder.pairs())


def test_fold_as_of_before_the_registration_is_an_unregistered_ledger() -> None:
    state = fold_as_of(dated_builder().pairs(), at(date(2016, 3, 1)))

    assert (state.is_registered, state.position, state.version) == (False, 0, 0)
    with pytest.raises(ProjectionError):
        budget_view(state, on=ON)


def test_an_event_before_the_registration_is_refused() -> None:
    pairs = dated_builder().pairs()

    with pytest.raises(ProjectionError, match="before the registration"):
        fold(pairs[1:])


def test_a_gap_in_the_versions_is_refused() -> None:
    pairs = dated_builder().pairs()

    with pytest.raises(ProjectionError, match="expected 2"):
        fold([pairs[0], pairs[2]])


def test_a_position_that_does_not_increase_is_refused() -> None:
    pairs = dated_builder().pairs()

    with pytest.raises(ProjectionError, match="does not follow"):
        fold([pairs[0], (1, pairs[1][1])])


def test_an_event_of_another_project_is_refused() -> None:
    ours = dated_builder().pairs()
    theirs = ProjectBuilder(registration_number="CZ.01.1.02/0.0/0.0/15_009/0009999")
    theirs.expense("TRAVEL", "1.00")

    with pytest.raises(ProjectionError, match="belongs to project"):
        fold([ours[0], (2, theirs.pairs()[1][1])])

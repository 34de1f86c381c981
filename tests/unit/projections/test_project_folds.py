"""The projector's folded states: loaded when a batch first touches a project, and between
batches only the most recently folded kept, up to a bound in events, however many projects
the log holds."""

from __future__ import annotations

from uuid import UUID

from projection_builders import ProjectBuilder

from projections import fold
from projections.ledger import LedgerState, Pair
from projections.materialise import REGISTRATION_EVENTS, ProjectFolds

A, B, C = UUID(int=1), UUID(int=2), UUID(int=3)


class Loader:
    """States of a given number of events, counting the loads."""

    def __init__(self, versions: dict[UUID, int]) -> None:
        self.versions = versions
        self.loaded: list[UUID] = []

    def __call__(self, project_id: UUID, position: int) -> LedgerState:
        self.loaded.append(project_id)
        state = LedgerState()
        state.version = self.versions[project_id]
        return state


def test_a_state_is_loaded_once_and_kept_while_within_the_bound() -> None:
    loader = Loader({A: 5, B: 5})
    folds = ProjectFolds(loader, retained=2 * (5 + REGISTRATION_EVENTS))

    first = folds.state(A, 10)
    folds.state(B, 10)
    folds.settle()

    assert (folds.state(A, 10) is first, loader.loaded, len(folds)) == (True, [A, B], 2)


def test_settling_drops_the_least_recently_folded_beyond_the_bound() -> None:
    loader = Loader({A: 5, B: 5, C: 5})
    folds = ProjectFolds(loader, retained=2 * (5 + REGISTRATION_EVENTS))
    folds.state(A, 10)
    folds.state(B, 10)
    folds.state(C, 10)  # a batch may hold more than the bound: it needs them all
    folds.state(A, 10)  # A folded again: B is now the least recent
    held_in_batch = len(folds)

    folds.settle()
    folds.state(A, 10)
    folds.state(C, 10)
    folds.state(B, 10)

    assert (held_in_batch, loader.loaded) == (3, [A, B, C, B])


def test_a_large_project_counts_by_its_events_and_is_kept_while_the_last_folded() -> None:
    loader = Loader({A: 1000, B: 5})
    folds = ProjectFolds(loader, retained=500)
    folds.state(B, 10)
    large = folds.state(A, 10)

    folds.settle()  # A alone is past the bound, but the next batch is likely A's again
    kept = (len(folds), folds.state(A, 10) is large)
    folds.state(B, 10)
    folds.settle()  # B folded after it: A is the least recent, and goes

    assert (kept, len(folds), loader.loaded) == ((1, True), 1, [B, A, B])


def test_a_project_registered_in_the_batch_is_folded_from_nothing_without_a_load() -> None:
    new = ProjectBuilder()
    new.expense("TRAVEL", "1000.00")
    known = ProjectBuilder(registration_number="CZ.01.1.02/0.0/0.0/15_009/0002301")
    known.expense("TRAVEL", "500.00")
    registration, expense = known.pairs()
    loader = FoldingLoader({known.project.id: [registration]})
    folds = ProjectFolds(loader)

    versions_before = folds.apply([*new.pairs(), (3, expense[1])], 2)

    assert (loader.loaded, versions_before,
            folds.state(new.project.id, 3).version, folds.state(known.project.id, 3).version
            ) == ([known.project.id], {new.project.id: 0, known.project.id: 1}, 2, 2)


class FoldingLoader(Loader):
    """States folded from the events stored before the batch, counting the loads."""

    def __init__(self, stored: dict[UUID, list[Pair]]) -> None:
        super().__init__({})
        self.stored = stored

    def __call__(self, project_id: UUID, position: int) -> LedgerState:
        self.loaded.append(project_id)
        return fold(self.stored[project_id])

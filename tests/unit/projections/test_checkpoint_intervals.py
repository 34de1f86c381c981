"""Checkpoints and snapshots come at a fixed interval on a small project and at one that
grows with a large one."""

from __future__ import annotations

from projections.materialise import CHECKPOINT_EVERY, interval_crossed


def crossings(every: int, last_version: int) -> list[int]:
    return [v for v in range(1, last_version + 1) if interval_crossed(v - 1, v, every)]


def test_a_small_project_is_checkpointed_every_250_versions() -> None:
    assert crossings(CHECKPOINT_EVERY, 1000) == [250, 500, 750, 1000]


def test_the_interval_doubles_as_the_project_grows_past_four_times_it() -> None:
    # 250 up to 1,999; 500 from 2,000; 1,000 from 4,000; 2,000 from 8,000 versions.
    assert crossings(250, 10_000) == [
        250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000,
        8000, 10000]


def test_a_batch_that_jumps_over_a_multiple_is_due_once() -> None:
    assert (interval_crossed(240, 260, 250), interval_crossed(251, 499, 250)) == (True, False)

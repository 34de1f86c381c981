"""Checkpoints: a folded state round-trips; a checkpoint cannot make the service run code."""

from __future__ import annotations

import os
import pickle
import zlib
from datetime import date

import pytest
from projection_builders import ProjectBuilder, nek_worked_example

from projections.budget import budget_view
from projections.checkpoint import CheckpointError, dump_state, load_state


def test_a_folded_state_reads_back_equal_from_its_checkpoint() -> None:
    state = nek_worked_example()[0].state()

    assert load_state(dump_state(state)) == state


def test_a_checkpoint_keeps_no_overrun_crossings_and_reads_as_one_written_before_them() -> None:
    builder = ProjectBuilder(lines=[("A", "Line A", "1000.00"), ("B", "Line B", "2000.00")],
                             max_subsidy="1000.00")
    builder.expense("A", "600.00")
    crossing = builder.expense("A", "600.00")
    state = builder.state()
    flags = budget_view(state, date(2018, 7, 1))["flags"]
    state.figures.revision = 7

    loaded = load_state(dump_state(state))
    figures_pickled = pickle.loads(pickle.dumps(state.figures))

    assert state.figures.crossings["A"][2][0] == str(crossing)
    assert (loaded.figures.crossings, loaded.figures.revision) == ({}, 0)
    assert vars(figures_pickled).keys() == vars(state.figures).keys()
    assert "crossings" not in state.figures.__getstate__()
    assert budget_view(loaded, date(2018, 7, 1))["flags"] == flags


def test_a_checkpoint_naming_a_function_to_call_is_refused() -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned",))

    with pytest.raises(CheckpointError, match=r"may not hold posix\.system"):
        load_state(zlib.compress(pickle.dumps(Exploit())))


def test_a_checkpoint_of_something_else_than_a_ledger_state_is_refused() -> None:
    with pytest.raises(CheckpointError, match="holds a dict"):
        load_state(zlib.compress(pickle.dumps({"position": 1})))


def test_bytes_that_are_not_a_checkpoint_are_refused() -> None:
    with pytest.raises(CheckpointError, match="unreadable checkpoint"):
        load_state(b"not a checkpoint")


def test_a_checkpoint_written_before_the_reports_were_kept_is_refused() -> None:
    state = nek_worked_example()[0].state()
    del state.__dict__["submissions"]
    assert state.registration is not None
    del state.registration.__dict__["report_plan"]

    with pytest.raises(CheckpointError) as refusal:
        load_state(dump_state(state))

    assert str(refusal.value) == (
        "a checkpoint of an older version: its LedgerState has no submissions")


def test_a_checkpoint_whose_registration_lacks_a_field_is_refused() -> None:
    state = nek_worked_example()[0].state()
    assert state.registration is not None
    del state.registration.__dict__["retention_until"]

    with pytest.raises(CheckpointError) as refusal:
        load_state(dump_state(state))

    assert str(refusal.value) == (
        "a checkpoint of an older version: its ProjectState has no retention_until")

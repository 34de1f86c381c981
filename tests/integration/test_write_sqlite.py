"""A project's write on SQLite, by two processes on one file: each decides against the state
it holds and the write records nothing when the project moved on or a key in hand has an
answer; the writer then catches up and decides again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from support import make_settings
from write_commands import ACCOUNTANT, expense, writes_counted

from domain.commands import RegisterProject
from service.application import LedgerApplication
from service.bootstrap import open_ledger
from service.demo import NEK_REGISTRATION
from service.principals import Actor
from service.writer import IN_TURN_COMMANDS, AnsweredBeforeError, IdempotentRequest, Outcome


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[LedgerApplication, LedgerApplication]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first, second = open_ledger(make_settings(url)), open_ledger(make_settings(url))
    yield first, second
    first.close()
    second.close()


def keyed(key: str) -> IdempotentRequest[Outcome]:
    return IdempotentRequest("eva", key, "fingerprint", lambda outcome: (
        201, json.dumps({"positions": list(outcome.positions)}), None))


def registered(ledger: LedgerApplication) -> UUID:
    return ledger.register(RegisterProject(NEK_REGISTRATION),
                           Actor.static("m", "manager")).project.id


def test_a_process_whose_copy_is_behind_catches_up_and_records_after_the_other(
        two: tuple[LedgerApplication, LedgerApplication]) -> None:
    first, second = two
    project_id = registered(first)
    first.handle(expense(project_id, "FV-1"), ACCOUNTANT)

    other = second.handle(expense(project_id, "FV-2"), ACCOUNTANT)
    mine = first.handle(expense(project_id, "FV-3"), ACCOUNTANT)

    assert (other.project.version, mine.project.version, mine.position - other.position) == (
        3, 4, 1)
    assert sorted(e.document_number for e in mine.project.expenses.values()) == [
        "FV-1", "FV-2", "FV-3"]


def test_after_a_lost_race_a_batch_reads_what_it_lacks_under_the_lock_and_decides_once(
        two: tuple[LedgerApplication, LedgerApplication]) -> None:
    first, second = two
    project_id = registered(first)
    first.handle(expense(project_id, "FV-1"), ACCOUNTANT)
    second.handle(expense(project_id, "FV-2"), ACCOUNTANT)
    first.handle(expense(project_id, "FV-3"), ACCOUNTANT)  # behind: loses once, decides again
    other = second.handle(expense(project_id, "FV-4"), ACCOUNTANT)
    counted = writes_counted()

    mine = first.handle_batch(
        [expense(project_id, f"FV-B{n}") for n in range(IN_TURN_COMMANDS)], ACCOUNTANT)

    assert counted() == (0, 1)
    assert (mine.project.version, mine.outcomes[0].position - other.position) == (55, 1)
    assert sorted(e.document_number for e in mine.project.expenses.values()) == sorted(
        ["FV-1", "FV-2", "FV-3", "FV-4"] + [f"FV-B{n}" for n in range(IN_TURN_COMMANDS)])


def test_a_key_answered_by_the_other_process_is_answered_from_its_record_with_its_positions(
        two: tuple[LedgerApplication, LedgerApplication]) -> None:
    first, second = two
    project_id = registered(first)
    recorded = first.handle(expense(project_id, "FV-1"), ACCOUNTANT, keyed("k"))

    with pytest.raises(AnsweredBeforeError) as answered:
        second.handle(expense(project_id, "FV-1"), ACCOUNTANT, keyed("k"))

    assert (answered.value.record.body, second.recorder.max_notification_id()) == (
        json.dumps({"positions": [recorded.position]}), recorded.position)

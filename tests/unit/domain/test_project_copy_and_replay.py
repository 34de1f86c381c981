"""An aggregate copied for one command stays independent; replaying its events rebuilds it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from builders import (
    CLAIM,
    E1,
    E2,
    E3,
    accountant,
    auditor,
    invoice,
    manager,
    nek_project_with_paid_subsidy,
    nek_project_with_submitted_claim,
    nek_registration,
    snapshot,
    state,
)

from domain.project import GrantProject

Command = Callable[[GrantProject], None]

COMMANDS: dict[str, Command] = {
    "record an expense": lambda p: p.record_expense(accountant(), **invoice(
        expense_id=E3, document_number="FV-2017-0107")),
    "correct an expense": lambda p: p.correct_expense(
        accountant(), expense_id=E1, changes={"budget_line": "PERSONNEL"}, reason="wrong line"),
    "reverse an expense": lambda p: p.reverse_expense(accountant(), expense_id=E2,
                                                      reason="duplicate"),
    "start an activity": lambda p: p.start_activity(manager(), activity="2",
                                                    started_on=date(2016, 6, 1)),
    "achieve a milestone": lambda p: p.achieve_milestone(manager(), milestone="ECEI_BRONZE",
                                                         achieved_on=date(2017, 9, 30)),
    "change the budget": lambda p: p.change_budget(
        manager(), change_id="BC-1", kind="approved",
        transfers=[{"from_line": "RENT", "to_line": "TRAVEL", "amount": Decimal("50000.00")}],
        reference="ZZ-1", reason="travel"),
    "change the end": lambda p: p.change_realisation_end(manager(), new_end=date(2018, 6, 30),
                                                         reference="ZZ-3"),
    "approve a claim": lambda p: p.approve_claim(auditor(), claim_number=CLAIM,
                                                 approved_on=date(2017, 6, 15), exclusions=[]),
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_command_on_a_deep_copy_leaves_the_original_unchanged(command: Command) -> None:
    original = nek_project_with_submitted_claim()
    before = snapshot(original)
    clone = copy.deepcopy(original)

    command(clone)

    assert (snapshot(original), clone.version) == (before, original.version + 1)


def test_a_command_on_the_original_leaves_an_earlier_deep_copy_unchanged() -> None:
    original = nek_project_with_submitted_claim()
    clone = copy.deepcopy(original)
    before = snapshot(clone)

    original.approve_claim(auditor(), claim_number=CLAIM, approved_on=date(2017, 6, 15),
                           exclusions=[])

    assert (snapshot(clone), clone.claims[CLAIM].approved) == (before, False)


def test_a_deep_copy_holds_the_same_state() -> None:
    original = nek_project_with_submitted_claim()

    clone = copy.deepcopy(original)

    assert (state(clone), clone.pending_events) == (state(original), original.pending_events)


# ---- replay ---------------------------------------------------------------------------------


def nek_project_with_full_history() -> GrantProject:
    """A project that went through every kind of event."""
    project = nek_project_with_paid_subsidy()
    project.record_expense(accountant(), **invoice(expense_id=E3, document_number="FV-2017-0107",
                                                   paid_on=None))
    project.pay_expense(accountant(), expense_id=E3, paid_on=date(2017, 5, 31))
    project.correct_expense(accountant(), expense_id=E3, changes={"budget_line": "PERSONNEL"},
                            reason="wrong line")
    project.reverse_expense(accountant(), expense_id=E3, reason="refunded")
    project.start_activity(manager(), activity="3.4", started_on=date(2017, 1, 9))
    project.complete_activity(manager(), activity="3.4", completed_on=date(2017, 9, 30))
    project.achieve_milestone(manager(), milestone="ECEI_BRONZE", achieved_on=date(2017, 9, 30))
    project.change_budget(
        manager(), change_id="BC-1", kind="approved",
        transfers=[{"from_line": "RENT", "to_line": "TRAVEL", "amount": Decimal("50000.00")}],
        reference="ZZ-1", reason="travel")
    project.change_realisation_end(manager(), new_end=date(2018, 6, 30), reference="ZZ-3")
    project.impose_correction(auditor(), correction_id="FC-1", finding="Audit 2018/07",
                              expense_ids=[E1], amount=Decimal("5000.00"),
                              decided_on=date(2018, 9, 10), reason="no tender")
    project.submit_report(manager(), "ZOR-1", date(2017, 4, 20), [])
    project.return_report(auditor(), "ZOR-1", date(2017, 5, 2), reason="no narrative")
    project.submit_report(manager(), "ZOR-1", date(2017, 5, 10), [], narrative="Centre opened")
    project.approve_report(auditor(), "ZOR-1", date(2017, 5, 20))
    return project


def replayed(events: list[Any]) -> GrantProject:
    project: GrantProject = events[0].mutate(None)
    for event in events[1:]:
        event.mutate(project)
    return project


def test_replaying_the_events_rebuilds_an_equal_project() -> None:
    project = nek_project_with_full_history()
    events = list(project.collect_events())

    rebuilt = replayed(events)

    assert (type(rebuilt), type(events[0]), rebuilt.version, state(rebuilt)) == (
        GrantProject, GrantProject.ProjectRegistered, 20, state(project))


def test_replaying_the_first_events_rebuilds_the_project_as_it_stood_then() -> None:
    project = nek_project_with_submitted_claim()
    then = state(copy.deepcopy(project))
    project.approve_claim(auditor(), claim_number=CLAIM, approved_on=date(2017, 6, 15),
                          exclusions=[])
    events = list(project.collect_events())

    rebuilt = replayed(events[:-1])

    assert state(rebuilt) == then


def test_a_recorded_event_shares_no_dict_or_list_with_the_caller() -> None:
    """A later change to what the caller passed would break the event's hash."""
    project = GrantProject.register(manager(), **nek_registration())
    fields = invoice()
    project.record_expense(accountant(), **fields)
    event = project.collect_events()[-1]
    recorded = (dict(event.supplier), [dict(a) for a in event.attachments])

    fields["supplier"]["name"] = "Someone else, s.r.o."
    fields["attachments"][0]["file_name"] = "other.pdf"
    fields["attachments"].append({"kind": "contract", "file_name": "c.pdf", "sha256": "0" * 64})

    assert (event.supplier, event.attachments) == recorded
    assert event.supplier is not fields["supplier"]

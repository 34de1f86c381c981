"""BudgetChanged: transfers between lines, the line-transfer tolerance and what is drawn."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from builders import (
    E2,
    accountant,
    invoice,
    last_event,
    manager,
    nek_project_with_expense,
    refused,
    registered_nek_project,
)

from domain import errors
from domain.events import event_data
from domain.project import GrantProject


def transfer(from_line: str, to_line: str, amount: str) -> dict[str, Any]:
    return {"from_line": from_line, "to_line": to_line, "amount": Decimal(amount)}


def change(project: GrantProject, kind: str, *transfers: dict[str, Any],
           change_id: str = "BC-1") -> None:
    project.change_budget(manager(), change_id=change_id, kind=kind, transfers=list(transfers),
                          reference="ZZ-1", reason="travel costs higher than planned")


def planned(project: GrantProject) -> dict[str, Decimal]:
    return {code: line.planned for code, line in project.lines.items()}


def nek_project_with_rent_drawn(**expense: Any) -> GrantProject:
    """NEK with 150,000.00 of its 200,000.00 rent line drawn by an eligible expense."""
    return nek_project_with_expense(**{
        "budget_line": "RENT", "activity": None, "document_number": "NAJ-2016-01",
        "description": "Office rent 2016", "amount_net": Decimal("150000.00"), **expense})


# ---- accepted -------------------------------------------------------------------------------


def test_an_approved_budget_change_moves_planned_money_between_lines() -> None:
    project = registered_nek_project()

    change(project, "approved", transfer("RENT", "TRAVEL", "50000.00"))

    event = last_event(project)
    assert (type(event), event_data(event)) == (GrantProject.BudgetChanged, {
        "change_id": "BC-1", "kind": "approved",
        "transfers": [{"from_line": "RENT", "to_line": "TRAVEL",
                       "amount": Decimal("50000.00")}],
        "reference": "ZZ-1", "reason": "travel costs higher than planned"})
    assert (project.lines["TRAVEL"].planned, project.lines["RENT"].planned) == (
        Decimal("950000.00"), Decimal("150000.00"))


def test_a_budget_change_never_changes_the_projects_total() -> None:
    project = registered_nek_project()

    change(project, "approved", transfer("RENT", "TRAVEL", "50000.00"),
           transfer("PERSONNEL", "SEMINARS_CONFERENCES", "100000.00"),
           transfer("TRAVEL", "MARKETING_PROMOTION", "20000.00"))

    assert planned(project) == {
        "PERSONNEL": Decimal("2300000.00"), "EXTERNAL_SERVICES": Decimal("2276200.00"),
        "TRAVEL": Decimal("930000.00"), "MARKETING_PROMOTION": Decimal("820000.00"),
        "SEMINARS_CONFERENCES": Decimal("1300000.00"), "RENT": Decimal("150000.00")}
    assert sum(planned(project).values()) == Decimal("7776200.00")


def test_a_notified_change_growing_a_line_exactly_by_the_tolerance_is_accepted() -> None:
    project = registered_nek_project(line_transfer_tolerance=Decimal("0.10"))

    change(project, "notified", transfer("RENT", "TRAVEL", "90000.00"))

    assert project.lines["TRAVEL"].planned == Decimal("990000.00")


def test_a_notified_change_growing_a_line_one_haler_beyond_the_tolerance_is_refused() -> None:
    project = registered_nek_project(line_transfer_tolerance=Decimal("0.10"))

    with refused(project, errors.TransferBeyondToleranceError) as refusal:
        change(project, "notified", transfer("RENT", "TRAVEL", "90000.01"))

    assert refusal.value.rule == "TRANSFER_BEYOND_TOLERANCE"


def test_an_approved_change_may_grow_a_line_beyond_the_tolerance() -> None:
    project = registered_nek_project(line_transfer_tolerance=Decimal("0.10"))

    change(project, "approved", transfer("RENT", "TRAVEL", "90000.01"))

    assert project.lines["TRAVEL"].planned == Decimal("990000.01")


def test_with_the_default_tolerance_of_zero_a_notified_change_may_not_grow_any_line() -> None:
    project = registered_nek_project()

    with refused(project, errors.TransferBeyondToleranceError) as refusal:
        change(project, "notified", transfer("RENT", "TRAVEL", "0.01"))

    assert refusal.value.rule == "TRANSFER_BEYOND_TOLERANCE"


def test_notified_changes_together_may_not_grow_a_line_beyond_the_tolerance() -> None:
    project = registered_nek_project(line_transfer_tolerance=Decimal("0.10"))
    change(project, "notified", transfer("RENT", "TRAVEL", "50000.00"), change_id="BC-1")

    with refused(project, errors.TransferBeyondToleranceError) as refusal:
        change(project, "notified", transfer("RENT", "TRAVEL", "40000.01"), change_id="BC-2")

    assert refusal.value.rule == "TRANSFER_BEYOND_TOLERANCE"


def test_a_line_may_be_lowered_to_exactly_what_is_eligible_on_it() -> None:
    project = nek_project_with_rent_drawn()

    change(project, "approved", transfer("RENT", "TRAVEL", "50000.00"))

    assert project.lines["RENT"].planned == Decimal("150000.00")


def test_a_reversed_expense_does_not_hold_its_line_up() -> None:
    project = nek_project_with_rent_drawn()
    project.reverse_expense(accountant(), expense_id=last_event(project).expense_id,
                            reason="paid by a member")

    change(project, "approved", transfer("RENT", "TRAVEL", "200000.00"))

    assert project.lines["RENT"].planned == Decimal("0.00")


def test_an_expense_outside_the_eligibility_window_does_not_hold_its_line_up() -> None:
    project = nek_project_with_rent_drawn(tax_point_date=date(2016, 3, 15))

    change(project, "approved", transfer("RENT", "TRAVEL", "200000.00"))

    assert project.lines["RENT"].planned == Decimal("0.00")


def test_the_worked_example_change_removing_the_travel_overrun_is_accepted() -> None:
    # DOMAIN.md: TRAVEL 950,000 eligible on 900,000 planned; RENT 150,000 on 200,000
    project = nek_project_with_rent_drawn()
    project.record_expense(accountant(), **invoice(expense_id=E2,
                                                   amount_net=Decimal("950000.00")))

    change(project, "approved", transfer("RENT", "TRAVEL", "50000.00"))

    assert (project.lines["TRAVEL"].planned, project.lines["RENT"].planned) == (
        Decimal("950000.00"), Decimal("150000.00"))


def test_a_change_reducing_part_of_a_lines_overrun_is_accepted() -> None:
    # TRAVEL: planned 900,000, eligible 950,000 (overrun 50,000); 20,000 more leaves 30,000
    project = nek_project_with_expense(amount_net=Decimal("950000.00"))

    change(project, "approved", transfer("RENT", "TRAVEL", "20000.00"))

    assert project.lines["TRAVEL"].planned == Decimal("920000.00")


# ---- refused --------------------------------------------------------------------------------


def test_a_change_lowering_a_line_below_what_is_eligible_on_it_is_refused() -> None:
    project = nek_project_with_rent_drawn()

    with refused(project, errors.LineBelowEligibleError) as refusal:
        change(project, "approved", transfer("RENT", "TRAVEL", "50000.01"))

    assert refusal.value.rule == "LINE_BELOW_ELIGIBLE"


def test_a_line_is_held_up_by_all_its_eligible_expenses_together() -> None:
    project = nek_project_with_rent_drawn()
    project.record_expense(accountant(), **invoice(
        expense_id=E2, budget_line="RENT", activity=None, document_number="NAJ-2016-02",
        amount_net=Decimal("30000.00")))

    with refused(project, errors.LineBelowEligibleError) as refusal:
        change(project, "approved", transfer("RENT", "TRAVEL", "20000.01"))

    assert refusal.value.rule == "LINE_BELOW_ELIGIBLE"


def test_a_budget_change_id_already_recorded_is_refused() -> None:
    project = registered_nek_project()
    change(project, "approved", transfer("RENT", "TRAVEL", "10000.00"), change_id="BC-1")

    with refused(project, errors.BudgetChangeIdTakenError) as refusal:
        change(project, "approved", transfer("RENT", "TRAVEL", "10000.00"), change_id="BC-1")

    assert refusal.value.rule == "BUDGET_CHANGE_ID_TAKEN"


def test_a_budget_change_of_an_unknown_kind_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        change(project, "agreed", transfer("RENT", "TRAVEL", "10000.00"))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "kind")


@pytest.mark.parametrize(("transfers", "field"), [
    ([transfer("CATERING", "TRAVEL", "10.00")], "transfers.0.from_line"),
    ([transfer("RENT", "TRAVEL", "10.00"), transfer("RENT", "CATERING", "10.00")],
     "transfers.1.to_line"),
], ids=["from", "to"])
def test_a_transfer_naming_an_unknown_line_is_refused(transfers: list[dict[str, Any]],
                                                      field: str) -> None:
    project = registered_nek_project()

    with refused(project, errors.UnknownReferenceError) as refusal:
        change(project, "approved", *transfers)

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", field, "CATERING")


@pytest.mark.parametrize("amount", ["0.00", "-10000.00", "10000.001"])
def test_a_transfer_of_an_amount_no_rule_could_accept_is_refused(amount: str) -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        change(project, "approved", transfer("RENT", "TRAVEL", amount))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "transfers.0.amount")


def test_a_transfer_from_a_line_to_itself_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        change(project, "approved", transfer("RENT", "RENT", "10000.00"))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "transfers.0.to_line")


def test_a_budget_change_without_transfers_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        change(project, "approved")

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "transfers")


"""PaymentClaimSubmitted, PaymentClaimApproved, SubsidyPaid and FinancialCorrectionImposed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from builders import (
    CLAIM,
    E1,
    E2,
    E3,
    accountant,
    auditor,
    expense_id,
    invoice,
    last_event,
    manager,
    nek_project_with_approved_claim,
    nek_project_with_claimable_expenses,
    nek_project_with_paid_subsidy,
    nek_project_with_submitted_claim,
    refused,
    registered_nek_project,
)

from domain import errors
from domain.events import event_data
from domain.project import GrantProject

UNKNOWN = expense_id(99)  # never recorded


def submit(project: GrantProject, *expense_ids: UUID, claim_number: str = CLAIM,
           stage: str = "1", final: bool = False) -> None:
    project.submit_claim(manager(), claim_number=claim_number, stage=stage,
                         submitted_on=date(2017, 4, 20), final=final,
                         expense_ids=list(expense_ids))


def approve(project: GrantProject, *exclusions: dict[str, Any],
            claim_number: str = CLAIM) -> None:
    project.approve_claim(auditor(), claim_number=claim_number, approved_on=date(2017, 6, 15),
                          exclusions=list(exclusions))


def exclusion(expense: UUID, amount: str) -> dict[str, Any]:
    return {"expense_id": expense, "amount": Decimal(amount), "reason": "no proof of payment"}


def pay(project: GrantProject, amount: str, claim_number: str = CLAIM) -> None:
    project.pay_subsidy(auditor(), claim_number=claim_number, amount=Decimal(amount),
                        paid_on=date(2017, 7, 3))


def correct(project: GrantProject, amount: str, correction_id: str = "FC-1",
            reason: str = "public procurement rules broken") -> None:
    project.impose_correction(auditor(), correction_id=correction_id,
                              finding="Audit 2018/07, finding 3", expense_ids=[E1],
                              amount=Decimal(amount), decided_on=date(2018, 9, 10),
                              reason=reason)


def with_third_expense(project: GrantProject, **overrides: Any) -> GrantProject:
    """Adds E3: a paid 80,000.00 seminar invoice."""
    project.record_expense(accountant(), **invoice(**{
        "expense_id": E3, "document_number": "FV-2017-0107", "budget_line":
        "SEMINARS_CONFERENCES", "activity": "1.2", "tax_point_date": date(2017, 5, 18),
        "amount_net": Decimal("80000.00"), "paid_on": date(2017, 5, 31), **overrides}))
    return project


def nek_project_with_capped_claims() -> GrantProject:
    """NEK with a max subsidy of 100,000: ZoP-1 approved for 66,666.00, E3 ready for ZoP-2."""
    project = nek_project_with_approved_claim(max_subsidy=Decimal("100000.00"))
    return with_third_expense(project)


# ---- PaymentClaimSubmitted: accepted --------------------------------------------------------


def test_a_claim_declares_its_expenses_and_requests_the_floored_subsidy() -> None:
    project = nek_project_with_claimable_expenses()
    head = last_event(project)

    submit(project, E1, E2)

    event = last_event(project)
    assert (type(event), event_data(event)) == (GrantProject.PaymentClaimSubmitted, {
        "claim_number": CLAIM, "stage": "1", "submitted_on": date(2017, 4, 20), "final": False,
        "expense_ids": [E1, E2],
        "declared_eligible": Decimal("133333.33"),
        "requested_subsidy": Decimal("66666.00"),  # floor(0.50 × 133,333.33 = 66,666.665)
        "chain_head": {"version": 3, "hash": head.hash},
    })
    assert str(event.requested_subsidy) == "66666.00"


def test_the_requested_subsidy_is_capped_at_what_max_subsidy_leaves_after_approvals() -> None:
    project = nek_project_with_capped_claims()

    submit(project, E3, claim_number="ZoP-2", stage="2")

    # min(floor(0.50 × 80,000.00), 100,000.00 − 66,666.00)
    assert (last_event(project).declared_eligible, last_event(project).requested_subsidy) == (
        Decimal("80000.00"), Decimal("33334.00"))


def test_the_final_claim_is_accepted() -> None:
    project = nek_project_with_claimable_expenses()

    submit(project, E1, E2, stage="2", final=True)

    assert (last_event(project).final, project.claims[CLAIM].final) == (True, True)


def test_claimed_expenses_are_marked_with_their_claim() -> None:
    project = nek_project_with_claimable_expenses()

    submit(project, E1)

    assert (project.expenses[str(E1)].claim, project.expenses[str(E2)].claim) == (CLAIM, None)


@pytest.mark.parametrize("tax_point_date", [date(2016, 4, 1), date(2018, 3, 31)], ids=str)
def test_an_expense_on_the_edge_of_the_eligibility_window_is_claimable(
        tax_point_date: date) -> None:
    project = with_third_expense(registered_nek_project(), tax_point_date=tax_point_date)

    submit(project, E3)

    assert last_event(project).declared_eligible == Decimal("80000.00")


def test_an_expense_after_the_original_end_is_claimable_once_the_end_is_extended() -> None:
    project = with_third_expense(registered_nek_project(), tax_point_date=date(2018, 5, 10))
    project.change_realisation_end(manager(), new_end=date(2018, 6, 30), reference="ZZ-3")

    submit(project, E3, stage="2")

    assert last_event(project).expense_ids == [E3]


def test_an_expense_before_the_start_is_claimable_when_eligibility_starts_earlier() -> None:
    project = with_third_expense(registered_nek_project(eligible_from=date(2016, 1, 1)),
                                 tax_point_date=date(2016, 2, 1))

    submit(project, E3)

    assert last_event(project).expense_ids == [E3]


# ---- PaymentClaimSubmitted: refused ---------------------------------------------------------


def test_a_claim_with_an_unknown_expense_is_refused() -> None:
    project = nek_project_with_claimable_expenses()

    with refused(project, errors.UnknownReferenceError) as refusal:
        submit(project, E1, UNKNOWN)

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "expense_ids", str(UNKNOWN))


def test_a_claim_with_a_reversed_expense_is_refused() -> None:
    project = nek_project_with_claimable_expenses()
    project.reverse_expense(accountant(), expense_id=E2, reason="duplicate")

    with refused(project, errors.ExpenseNotClaimableError) as refusal:
        submit(project, E1, E2)

    assert refusal.value.rule == "EXPENSE_NOT_CLAIMABLE"


def test_a_claim_with_an_unpaid_expense_is_refused() -> None:
    project = with_third_expense(nek_project_with_claimable_expenses(), paid_on=None)

    with refused(project, errors.ExpenseNotClaimableError) as refusal:
        submit(project, E1, E3)

    assert refusal.value.rule == "EXPENSE_NOT_CLAIMABLE"


@pytest.mark.parametrize("tax_point_date", [date(2016, 3, 31), date(2018, 4, 1)], ids=str)
def test_a_claim_with_an_expense_outside_the_eligibility_window_is_refused(
        tax_point_date: date) -> None:
    project = with_third_expense(nek_project_with_claimable_expenses(),
                                 tax_point_date=tax_point_date)

    with refused(project, errors.ExpenseNotClaimableError) as refusal:
        submit(project, E1, E3)

    assert refusal.value.rule == "EXPENSE_NOT_CLAIMABLE"


def test_a_claim_with_an_expense_already_in_another_claim_is_refused() -> None:
    project = nek_project_with_submitted_claim()
    with_third_expense(project)

    with refused(project, errors.ExpenseNotClaimableError) as refusal:
        submit(project, E3, E1, claim_number="ZoP-2", stage="2")

    assert refusal.value.rule == "EXPENSE_NOT_CLAIMABLE"


def test_a_second_final_claim_is_refused() -> None:
    project = with_third_expense(nek_project_with_claimable_expenses())
    submit(project, E1, E2, stage="2", final=True)

    with refused(project, errors.SecondFinalClaimError) as refusal:
        submit(project, E3, claim_number="ZoP-2", stage="2", final=True)

    assert refusal.value.rule == "SECOND_FINAL_CLAIM"


def test_a_claim_number_already_submitted_is_refused() -> None:
    project = with_third_expense(nek_project_with_submitted_claim())

    with refused(project, errors.ClaimNumberTakenError) as refusal:
        submit(project, E3)

    assert refusal.value.rule == "CLAIM_NUMBER_TAKEN"


def test_a_claim_for_an_unknown_stage_is_refused() -> None:
    project = nek_project_with_claimable_expenses()

    with refused(project, errors.UnknownReferenceError) as refusal:
        submit(project, E1, stage="3")

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "stage", "3")


@pytest.mark.parametrize("expense_ids", [(), (E1, E1)], ids=["none", "twice"])
def test_a_claim_needs_each_expense_once(expense_ids: tuple[UUID, ...]) -> None:
    project = nek_project_with_claimable_expenses()

    with refused(project, errors.InvalidCommandError) as refusal:
        submit(project, *expense_ids)

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "expense_ids")


# ---- PaymentClaimApproved: accepted ---------------------------------------------------------


def test_an_approval_without_exclusions_approves_the_declared_amount() -> None:
    project = nek_project_with_submitted_claim()
    head = last_event(project)

    approve(project)

    event = last_event(project)
    assert (type(event), event_data(event)) == (GrantProject.PaymentClaimApproved, {
        "claim_number": CLAIM, "approved_on": date(2017, 6, 15), "exclusions": [],
        "approved_eligible": Decimal("133333.33"), "approved_subsidy": Decimal("66666.00"),
        "chain_head": {"version": 4, "hash": head.hash},
    })
    assert (project.claims[CLAIM].approved, project.approved_subsidy) == (
        True, Decimal("66666.00"))


def test_exclusions_are_deducted_before_the_subsidy_is_floored() -> None:
    project = nek_project_with_submitted_claim()

    approve(project, exclusion(E2, "3333.33"), exclusion(E1, "0.01"))

    event = last_event(project)
    assert (event.exclusions, event.approved_eligible, event.approved_subsidy) == (
        [{"expense_id": E2, "amount": Decimal("3333.33"), "reason": "no proof of payment"},
         {"expense_id": E1, "amount": Decimal("0.01"), "reason": "no proof of payment"}],
        Decimal("129999.99"), Decimal("64999.00"))


def test_a_whole_expense_may_be_excluded() -> None:
    project = nek_project_with_submitted_claim()

    approve(project, exclusion(E2, "33333.33"))

    assert (last_event(project).approved_eligible, last_event(project).approved_subsidy) == (
        Decimal("100000.00"), Decimal("50000.00"))


def test_an_expense_reversed_after_submission_counts_as_zero_in_the_approval() -> None:
    project = nek_project_with_submitted_claim()
    project.reverse_expense(accountant(), expense_id=E2, reason="refunded by the supplier")

    approve(project)

    assert (last_event(project).approved_eligible, last_event(project).approved_subsidy) == (
        Decimal("100000.00"), Decimal("50000.00"))


def test_an_expense_moved_out_of_the_eligibility_window_after_submission_counts_as_zero() -> None:
    project = nek_project_with_submitted_claim()
    project.correct_expense(accountant(), expense_id=E2,
                            changes={"tax_point_date": date(2016, 3, 31)}, reason="DUZP typo")

    approve(project)

    assert (last_event(project).approved_eligible, last_event(project).approved_subsidy) == (
        Decimal("100000.00"), Decimal("50000.00"))

def test_the_approved_subsidy_is_capped_at_what_max_subsidy_leaves_after_approvals() -> None:
    project = nek_project_with_capped_claims()
    submit(project, E3, claim_number="ZoP-2", stage="2")

    approve(project, claim_number="ZoP-2")

    assert (last_event(project).approved_eligible, last_event(project).approved_subsidy,
            project.approved_subsidy) == (
        Decimal("80000.00"), Decimal("33334.00"), Decimal("100000.00"))


# ---- PaymentClaimApproved: refused ----------------------------------------------------------


def test_approving_a_claim_never_submitted_is_refused() -> None:
    project = nek_project_with_submitted_claim()

    with refused(project, errors.UnknownReferenceError) as refusal:
        approve(project, claim_number="ZoP-9")

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "claim_number", "ZoP-9")


def test_approving_a_claim_twice_is_refused() -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.ClaimAlreadyApprovedError) as refusal:
        approve(project)

    assert refusal.value.rule == "CLAIM_ALREADY_APPROVED"


def test_an_exclusion_larger_than_its_expense_is_refused() -> None:
    project = nek_project_with_submitted_claim()

    with refused(project, errors.ExclusionTooLargeError) as refusal:
        approve(project, exclusion(E2, "33333.34"))

    assert refusal.value.rule == "EXCLUSION_EXCEEDS_EXPENSE"


def test_exclusions_of_one_expense_larger_together_than_the_expense_are_refused() -> None:
    project = nek_project_with_submitted_claim()

    with refused(project, errors.ExclusionTooLargeError) as refusal:
        approve(project, exclusion(E2, "30000.00"), exclusion(E2, "3333.34"))

    assert refusal.value.rule == "EXCLUSION_EXCEEDS_EXPENSE"


def test_an_exclusion_of_a_reversed_expense_is_refused_as_larger_than_its_zero() -> None:
    project = nek_project_with_submitted_claim()
    project.reverse_expense(accountant(), expense_id=E2, reason="refunded by the supplier")

    with refused(project, errors.ExclusionTooLargeError) as refusal:
        approve(project, exclusion(E2, "0.01"))

    assert refusal.value.rule == "EXCLUSION_EXCEEDS_EXPENSE"


def test_an_exclusion_of_an_expense_outside_the_eligibility_window_is_refused() -> None:
    project = nek_project_with_submitted_claim()
    project.correct_expense(accountant(), expense_id=E2,
                            changes={"tax_point_date": date(2016, 3, 31)}, reason="DUZP typo")

    with refused(project, errors.ExclusionTooLargeError) as refusal:
        approve(project, exclusion(E2, "0.01"))

    assert refusal.value.rule == "EXCLUSION_EXCEEDS_EXPENSE"

def test_an_exclusion_of_an_expense_outside_the_claim_is_refused() -> None:
    project = with_third_expense(nek_project_with_submitted_claim())

    with refused(project, errors.UnknownReferenceError) as refusal:
        approve(project, exclusion(E3, "100.00"))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "exclusions.0.expense_id", str(E3))


@pytest.mark.parametrize("amount", ["0.00", "-100.00", "100.001"])
def test_an_exclusion_of_an_amount_no_rule_could_accept_is_refused(amount: str) -> None:
    project = nek_project_with_submitted_claim()

    with refused(project, errors.InvalidCommandError) as refusal:
        approve(project, exclusion(E1, amount))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "exclusions.0.amount")


# ---- SubsidyPaid ----------------------------------------------------------------------------


def test_paying_the_approved_subsidy_records_the_payout() -> None:
    project = nek_project_with_approved_claim()

    pay(project, "66666.00")

    event = last_event(project)
    assert (type(event), event_data(event), project.subsidy_paid) == (
        GrantProject.SubsidyPaid,
        {"claim_number": CLAIM, "amount": Decimal("66666.00"), "paid_on": date(2017, 7, 3)},
        Decimal("66666.00"))


def test_a_claim_may_be_paid_in_parts_up_to_what_was_approved() -> None:
    project = nek_project_with_approved_claim()
    pay(project, "60000.00")

    pay(project, "6666.00")

    assert (project.claims[CLAIM].paid, project.subsidy_paid) == (
        Decimal("66666.00"), Decimal("66666.00"))


def test_paying_a_claim_not_approved_is_refused() -> None:
    project = nek_project_with_submitted_claim()

    with refused(project, errors.ClaimNotApprovedError) as refusal:
        pay(project, "66666.00")

    assert refusal.value.rule == "CLAIM_NOT_APPROVED"


def test_paying_an_unknown_claim_is_refused() -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.UnknownReferenceError) as refusal:
        pay(project, "100.00", claim_number="ZoP-9")

    assert (refusal.value.rule, refusal.value.field) == ("UNKNOWN_REFERENCE", "claim_number")


def test_paying_more_than_was_approved_is_refused() -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.PayoutExceedsApprovedError) as refusal:
        pay(project, "66666.01")

    assert refusal.value.rule == "PAYOUT_EXCEEDS_APPROVED"


def test_payouts_exceeding_together_what_was_approved_are_refused() -> None:
    project = nek_project_with_approved_claim()
    pay(project, "60000.00")

    with refused(project, errors.PayoutExceedsApprovedError) as refusal:
        pay(project, "6666.01")

    assert refusal.value.rule == "PAYOUT_EXCEEDS_APPROVED"


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "1.001"])
def test_a_payout_of_an_amount_no_rule_could_accept_is_refused(amount: str) -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.InvalidCommandError) as refusal:
        pay(project, amount)

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "amount")


# ---- FinancialCorrectionImposed -------------------------------------------------------------


def test_a_financial_correction_records_the_finding_and_amount() -> None:
    project = nek_project_with_paid_subsidy()

    correct(project, "5000.00")

    event = last_event(project)
    assert (type(event), event_data(event), project.corrections_total) == (
        GrantProject.FinancialCorrectionImposed,
        {"correction_id": "FC-1", "finding": "Audit 2018/07, finding 3", "expense_ids": [E1],
         "amount": Decimal("5000.00"), "decided_on": date(2018, 9, 10),
         "reason": "public procurement rules broken"},
        Decimal("5000.00"))


def test_corrections_may_take_back_all_of_the_subsidy_paid() -> None:
    project = nek_project_with_paid_subsidy()
    correct(project, "60000.00", correction_id="FC-1")

    correct(project, "6666.00", correction_id="FC-2")

    assert project.corrections_total == Decimal("66666.00")


@pytest.mark.parametrize("amount", ["0.00", "-5000.00"])
def test_a_correction_not_above_zero_is_refused(amount: str) -> None:
    project = nek_project_with_paid_subsidy()

    with refused(project, errors.InvalidCommandError) as refusal:
        correct(project, amount)

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "amount")


def test_a_correction_above_the_subsidy_paid_is_refused() -> None:
    project = nek_project_with_paid_subsidy()

    with refused(project, errors.CorrectionsExceedPaidError) as refusal:
        correct(project, "66666.01")

    assert refusal.value.rule == "CORRECTIONS_EXCEED_PAID"


def test_corrections_exceeding_together_the_subsidy_paid_are_refused() -> None:
    project = nek_project_with_paid_subsidy()
    correct(project, "60000.00", correction_id="FC-1")

    with refused(project, errors.CorrectionsExceedPaidError) as refusal:
        correct(project, "6666.01", correction_id="FC-2")

    assert refusal.value.rule == "CORRECTIONS_EXCEED_PAID"


def test_a_correction_before_any_subsidy_is_paid_is_refused() -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.CorrectionsExceedPaidError) as refusal:
        correct(project, "0.01")

    assert refusal.value.rule == "CORRECTIONS_EXCEED_PAID"


def test_a_correction_id_already_recorded_is_refused() -> None:
    project = nek_project_with_paid_subsidy()
    correct(project, "1000.00", correction_id="FC-1")

    with refused(project, errors.CorrectionIdTakenError) as refusal:
        correct(project, "1000.00", correction_id="FC-1")

    assert refusal.value.rule == "CORRECTION_ID_TAKEN"


def test_a_correction_naming_an_unknown_expense_is_refused() -> None:
    project = nek_project_with_paid_subsidy()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.impose_correction(auditor(), correction_id="FC-1", finding="Audit 2018/07",
                                  expense_ids=[E1, UNKNOWN], amount=Decimal("1000.00"),
                                  decided_on=date(2018, 9, 10), reason="no tender")

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "expense_ids", str(UNKNOWN))


def test_a_correction_without_a_reason_is_refused() -> None:
    project = nek_project_with_paid_subsidy()

    with refused(project, errors.InvalidCommandError) as refusal:
        correct(project, "1000.00", reason=" ")

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "reason")


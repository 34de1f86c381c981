"""Payment claims and the money after them: a claim submitted for a stage, approved with its
exclusions, the subsidy paid out, financial corrections imposed (DOMAIN.md, "Events").

A claim records the chain head it was filed at, so what was filed can be checked against the
chain later (domain.verification).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors
from domain.money import ZERO, subsidy_for
from domain.project.checks import positive_money_field, require_reason
from domain.records import Claim, Expense, Stamp

if TYPE_CHECKING:
    from domain.project import GrantProject


def submit_claim(project: GrantProject, stamp: Stamp, claim_number: str, stage: str,
                 submitted_on: date, final: bool, expense_ids: list[UUID]) -> None:
    if claim_number in project.claims:
        raise errors.ClaimNumberTakenError(f"payment claim {claim_number} is submitted")
    if stage not in project.stages:
        raise errors.UnknownReferenceError("stage", "stage", stage)
    if final and any(c.final for c in project.claims.values()):
        raise errors.SecondFinalClaimError("the final payment claim is already submitted")
    expenses = _claimable(project, expense_ids)
    declared = sum((e.eligible_amount for e in expenses), ZERO)
    requested = min(subsidy_for(project.support_rate, declared),
                    project.max_subsidy - project.approved_subsidy)
    project.record(project.PaymentClaimSubmitted, stamp, claim_number=claim_number, stage=stage,
                   submitted_on=submitted_on, final=final, expense_ids=list(expense_ids),
                   declared_eligible=declared, requested_subsidy=requested,
                   chain_head=project.head)


def approve_claim(project: GrantProject, stamp: Stamp, claim_number: str, approved_on: date,
                  exclusions: list[dict[str, Any]]) -> None:
    claim = _claim(project, claim_number)
    if claim.approved:
        raise errors.ClaimAlreadyApprovedError(f"payment claim {claim_number} is approved")
    exclusions = _checked_exclusions(project, claim, exclusions)
    counted = [project.expenses[i] for i in claim.expense_ids
               if project.counts(project.expenses[i])]
    excluded = sum((x["amount"] for x in exclusions), ZERO)
    approved_eligible = sum((e.eligible_amount for e in counted), ZERO) - excluded
    approved_subsidy = min(subsidy_for(project.support_rate, approved_eligible),
                           project.max_subsidy - project.approved_subsidy)
    project.record(project.PaymentClaimApproved, stamp, claim_number=claim_number,
                   approved_on=approved_on, exclusions=exclusions,
                   approved_eligible=approved_eligible, approved_subsidy=approved_subsidy,
                   chain_head=project.head)


def pay_subsidy(project: GrantProject, stamp: Stamp, claim_number: str, amount: Decimal,
                paid_on: date) -> None:
    claim = _claim(project, claim_number)
    if not claim.approved:
        raise errors.ClaimNotApprovedError(f"payment claim {claim_number} is not approved")
    amount = positive_money_field(amount, "amount")
    if claim.paid + amount > claim.approved_subsidy:
        raise errors.PayoutExceedsApprovedError(
            f"paying {amount} would bring claim {claim_number} to {claim.paid + amount}, "
            f"above the {claim.approved_subsidy} approved")
    project.record(project.SubsidyPaid, stamp, claim_number=claim_number, amount=amount,
                   paid_on=paid_on)


def impose_correction(project: GrantProject, stamp: Stamp, correction_id: str, finding: str,
                      expense_ids: list[UUID], amount: Decimal, decided_on: date,
                      reason: str) -> None:
    if correction_id in project.correction_ids:
        raise errors.CorrectionIdTakenError(f"financial correction {correction_id} exists")
    for expense_id in expense_ids:
        if str(expense_id) not in project.expenses:
            raise errors.UnknownReferenceError("expense_ids", "expense", str(expense_id))
    amount = positive_money_field(amount, "amount")
    require_reason(reason)
    if project.corrections_total + amount > project.subsidy_paid:
        raise errors.CorrectionsExceedPaidError(
            f"corrections would total {project.corrections_total + amount}, more than the "
            f"{project.subsidy_paid} of subsidy paid")
    project.record(project.FinancialCorrectionImposed, stamp, correction_id=correction_id,
                   finding=finding, expense_ids=list(expense_ids), amount=amount,
                   decided_on=decided_on, reason=reason)


def _claimable(project: GrantProject, expense_ids: list[UUID]) -> list[Expense]:
    if not expense_ids:
        raise errors.InvalidCommandError("expense_ids", "a claim needs at least one expense")
    if len(set(expense_ids)) != len(expense_ids):
        raise errors.InvalidCommandError("expense_ids", "an expense is listed twice")
    expenses = []
    for expense_id in expense_ids:
        expense = project.expenses.get(str(expense_id))
        if expense is None:
            raise errors.UnknownReferenceError("expense_ids", "expense", str(expense_id))
        problem = _why_not_claimable(project, expense)
        if problem:
            raise errors.ExpenseNotClaimableError(f"expense {expense_id} {problem}")
        expenses.append(expense)
    return expenses


def _why_not_claimable(project: GrantProject, expense: Expense) -> str | None:
    if expense.reversed:
        return "has been reversed"
    if expense.paid_on is None:
        return "is not paid"
    if not project.is_time_eligible(expense.tax_point_date):
        return (f"has tax point date {expense.tax_point_date}, outside the eligibility "
                f"window {project.eligible_from} – {project.realisation_end}")
    if expense.claim is not None:
        return f"is already in payment claim {expense.claim}"
    return None


def _checked_exclusions(project: GrantProject, claim: Claim,
                        exclusions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checked, per_expense = [], dict[str, Decimal]()
    for n, exclusion in enumerate(exclusions):
        expense_id = str(exclusion["expense_id"])
        if expense_id not in claim.expense_ids:
            raise errors.UnknownReferenceError(f"exclusions.{n}.expense_id",
                                               f"expense in claim {claim.number}", expense_id)
        amount = positive_money_field(exclusion["amount"], f"exclusions.{n}.amount")
        per_expense[expense_id] = per_expense.get(expense_id, ZERO) + amount
        expense = project.expenses[expense_id]
        counted = expense.eligible_amount if project.counts(expense) else ZERO
        if per_expense[expense_id] > counted:
            raise errors.ExclusionTooLargeError(
                f"exclusions of {per_expense[expense_id]} exceed the {counted} "
                f"of expense {expense_id}")
        checked.append({"expense_id": exclusion["expense_id"], "amount": amount,
                        "reason": exclusion["reason"]})
    return checked


def _claim(project: GrantProject, claim_number: str) -> Claim:
    try:
        return project.claims[claim_number]
    except KeyError:
        raise errors.UnknownReferenceError("claim_number", "payment claim",
                                           claim_number) from None

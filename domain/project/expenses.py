"""Expenses: recorded, paid, corrected and reversed (DOMAIN.md, "Events").

An expense draws on a budget line, once per supplier's document and line (no double
financing); its eligible amount is at most its net amount for a VAT payer, net + VAT
otherwise. Once in an approved payment claim it is neither corrected nor reversed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors
from domain.project.checks import money_field, positive_money_field, require_reason
from domain.records import Expense, Stamp, document_key, supplier_key

if TYPE_CHECKING:
    from domain.project import GrantProject

CORRECTABLE_FIELDS = frozenset({
    "document_number", "document_type", "supplier", "description", "budget_line", "activity",
    "tax_point_date", "amount_net", "vat", "eligible_amount", "attachments",
})


def record_expense(project: GrantProject, stamp: Stamp, *, expense_id: UUID,
                   document_number: str, document_type: str, supplier: dict[str, Any],
                   description: str, budget_line: str, tax_point_date: date,
                   amount_net: Decimal, vat: Decimal, activity: str | None = None,
                   eligible_amount: Decimal | None = None, paid_on: date | None = None,
                   attachments: list[dict[str, Any]] | None = None) -> None:
    if str(expense_id) in project.expenses:
        raise errors.ExpenseIdTakenError(f"expense {expense_id} is already recorded")
    _check_line_and_activity(project, budget_line, activity)
    amount_net, vat = _net_and_vat(amount_net, vat)
    eligible = _checked_eligible(project, eligible_amount, amount_net, vat)
    _check_not_double_financed(
        project, document_key(supplier_key(supplier), document_number, budget_line))
    project.record(project.ExpenseRecorded, stamp, expense_id=expense_id,
                   document_number=document_number, document_type=document_type,
                   supplier=supplier, description=description, budget_line=budget_line,
                   activity=activity, tax_point_date=tax_point_date, amount_net=amount_net,
                   vat=vat, eligible_amount=eligible, paid_on=paid_on,
                   attachments=attachments or [])


def pay_expense(project: GrantProject, stamp: Stamp, expense_id: UUID, paid_on: date) -> None:
    expense = _active_expense(project, expense_id)
    if expense.paid_on is not None:
        raise errors.ExpenseAlreadyPaidError(
            f"expense {expense_id} was already paid on {expense.paid_on}")
    project.record(project.ExpensePaid, stamp, expense_id=expense_id, paid_on=paid_on)


def correct_expense(project: GrantProject, stamp: Stamp, expense_id: UUID,
                    changes: dict[str, Any], reason: str) -> None:
    expense = _unapproved_expense(project, expense_id)
    require_reason(reason)
    changes = _checked_correction(project, expense, changes)
    project.record(project.ExpenseCorrected, stamp, expense_id=expense_id, changes=changes,
                   reason=reason)


def reverse_expense(project: GrantProject, stamp: Stamp, expense_id: UUID, reason: str) -> None:
    _unapproved_expense(project, expense_id)
    require_reason(reason)
    project.record(project.ExpenseReversed, stamp, expense_id=expense_id, reason=reason)


def expense_record_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The part of a correction that the aggregate's small expense record keeps."""
    kept = {k: v for k, v in changes.items()
            if k in ("budget_line", "activity", "document_number", "tax_point_date",
                     "amount_net", "vat", "eligible_amount")}
    if "supplier" in changes:
        kept["supplier_key"] = supplier_key(changes["supplier"])
    return kept


def _expense(project: GrantProject, expense_id: UUID) -> Expense:
    try:
        return project.expenses[str(expense_id)]
    except KeyError:
        raise errors.UnknownReferenceError("expense_id", "expense", str(expense_id)) from None


def _active_expense(project: GrantProject, expense_id: UUID) -> Expense:
    expense = _expense(project, expense_id)
    if expense.reversed:
        raise errors.ExpenseReversedError(f"expense {expense_id} has been reversed")
    return expense


def _unapproved_expense(project: GrantProject, expense_id: UUID) -> Expense:
    expense = _active_expense(project, expense_id)
    if expense.approved:
        raise errors.ExpenseInApprovedClaimError(
            f"expense {expense_id} is in approved payment claim {expense.claim}")
    return expense


def _check_line_and_activity(project: GrantProject, budget_line: str,
                             activity: str | None) -> None:
    if budget_line not in project.lines:
        raise errors.UnknownReferenceError("budget_line", "budget line", budget_line,
                                           project.lines)
    if activity is not None and activity not in project.activities:
        raise errors.UnknownReferenceError("activity", "activity", activity,
                                           project.activities)


def _net_and_vat(amount_net: Decimal, vat: Decimal) -> tuple[Decimal, Decimal]:
    net, tax = money_field(amount_net, "amount_net"), money_field(vat, "vat")
    if net <= 0:
        raise errors.InvalidCommandError("amount_net", "must be greater than zero")
    if tax < 0:
        raise errors.InvalidCommandError("vat", "must not be negative")
    return net, tax


def _checked_eligible(project: GrantProject, eligible: Decimal | None, net: Decimal,
                      vat: Decimal) -> Decimal:
    """The eligible amount: given, or net for a VAT payer and net + VAT otherwise."""
    ceiling = net if project.vat_payer else net + vat
    if eligible is None:
        return ceiling
    amount = positive_money_field(eligible, "eligible_amount")
    if amount > ceiling:
        raise errors.InvalidCommandError(
            "eligible_amount",
            f"{amount} exceeds {ceiling}, the "
            + ("net amount (the beneficiary deducts VAT)" if project.vat_payer
               else "net amount plus VAT"),
        )
    return amount


def _check_not_double_financed(project: GrantProject, key: str,
                               own_id: str | None = None) -> None:
    holder = project.documents.get(key)
    if holder is not None and holder != own_id:
        raise errors.DoubleFinancingError(
            f"this supplier's document is already recorded on the same line as expense "
            f"{holder}")


def _checked_correction(project: GrantProject, expense: Expense,
                        changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - CORRECTABLE_FIELDS
    if unknown:
        raise errors.InvalidCommandError(sorted(unknown)[0], "this field cannot be corrected")
    if not changes:
        raise errors.InvalidCommandError("changes", "a correction must change something")
    checked = dict(changes)
    line = checked.get("budget_line", expense.budget_line)
    activity = checked.get("activity", expense.activity)
    _check_line_and_activity(project, line, activity)
    net, vat = _net_and_vat(checked.get("amount_net", expense.amount_net),
                            checked.get("vat", expense.vat))
    for name, value in (("amount_net", net), ("vat", vat)):
        if name in checked:
            checked[name] = value
    if {"amount_net", "vat", "eligible_amount"} & checked.keys():
        eligible = checked.get("eligible_amount", _kept_eligible(project, expense, net, vat))
        checked["eligible_amount"] = _checked_eligible(project, eligible, net, vat)
    corrected = expense.changed(**expense_record_changes(checked))
    _check_not_double_financed(project, corrected.document_key, own_id=expense.expense_id)
    return checked


def _kept_eligible(project: GrantProject, expense: Expense, net: Decimal,
                   vat: Decimal) -> Decimal:
    """The eligible amount after corrected amounts: the new default where it was the
    default, otherwise the amount chosen before, within the new ceiling."""
    old_ceiling = _checked_eligible(project, None, expense.amount_net, expense.vat)
    new_ceiling = _checked_eligible(project, None, net, vat)
    if expense.eligible_amount == old_ceiling:
        return new_ceiling
    return min(expense.eligible_amount, new_ceiling)

"""Expenses: record, pay, correct, reverse; list and read their current state."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from werkzeug.exceptions import NotFound

from domain.commands import CorrectExpense, PayExpense, RecordExpense, ReverseExpense
from projections import expense_list, expense_state
from schemas import (
    CorrectExpenseSchema,
    ExpenseListSchema,
    ExpenseQuerySchema,
    ExpenseRecordedSchema,
    ExpenseSchema,
    PayExpenseSchema,
    RecordExpenseSchema,
    ReverseExpenseSchema,
)
from service.web.api.common import (
    API,
    Blueprint,
    command_endpoint,
    page,
    project_ledger,
    project_url,
)
from service.web.auth import EXPENSES, READ, current_principal, requires
from service.web.idempotency import answered, dumps, idempotent, remembered
from service.web.state import ledger
from service.writer import Answer, Outcome

RECORDED = ExpenseRecordedSchema()
blp = Blueprint("expenses", __name__, url_prefix=f"{API}/projects/<uuid:project_id>/expenses",
                description="What the beneficiary spent, on which line and activity, and when.")


@blp.route("", methods=["POST"])
@requires(EXPENSES)
@idempotent
@blp.arguments(RecordExpenseSchema)
@blp.response(201, ExpenseRecordedSchema)
def record_expense(fields: dict[str, Any], project_id: UUID) -> Any:
    """Record an expense

    An expense outside the eligibility window is recorded and counts as ineligible.
    """
    command = RecordExpense(project_id=project_id,
                            **{**fields, "expense_id": fields.get("expense_id") or uuid4()})

    def answer(outcome: Outcome) -> Answer:
        body = {"expense_id": command.expense_id, "position": outcome.position,
                "time_eligible": outcome.project.is_time_eligible(command.tax_point_date)}
        return (201, dumps(RECORDED, body),
                project_url(project_id, "expenses", str(command.expense_id)))

    return answered(answer(ledger().handle(command, current_principal(), remembered(answer))))


@blp.route("", methods=["GET"])
@requires(READ)
@blp.arguments(ExpenseQuerySchema, location="query")
@blp.response(200, ExpenseListSchema)
def list_expenses(query: dict[str, Any], project_id: UUID) -> Any:
    """List expenses with their current state"""
    wanted = {"budget_line": query.get("line"), "activity": query.get("activity"),
              "status": query.get("status")}
    expenses = [e for e in expense_list(project_ledger(project_id))
                if all(v is None or e[k] == v for k, v in wanted.items())]
    chunk, next_cursor = page(expenses, query)
    return {"expenses": chunk, "next_cursor": next_cursor}


@blp.route("/<uuid:expense_id>", methods=["GET"])
@requires(READ)
@blp.response(200, ExpenseSchema)
def get_expense(project_id: UUID, expense_id: UUID) -> Any:
    """Read one expense's current state"""
    expense = expense_state(project_ledger(project_id), str(expense_id))
    if expense is None:
        raise NotFound(f"the project has no expense {expense_id}")
    return expense


command_endpoint(blp, "/<uuid:expense_id>/payment", PayExpense, PayExpenseSchema, EXPENSES,
                 "Record that an expense was paid")
command_endpoint(blp, "/<uuid:expense_id>/corrections", CorrectExpense, CorrectExpenseSchema,
                 EXPENSES, "Correct an expense\n\nThe changed fields and a reason; both "
                 "versions stay in the history.")
command_endpoint(blp, "/<uuid:expense_id>/reversal", ReverseExpense, ReverseExpenseSchema,
                 EXPENSES, "Reverse an expense\n\nIt stays in the history and counts as zero.")

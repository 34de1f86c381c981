"""Expenses: record, pay, correct, reverse; list and read their current state."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from flask import g
from werkzeug.exceptions import NotFound

from domain.commands import CorrectExpense, PayExpense, RecordExpense, ReverseExpense
from projections import expense_list, expense_state
from schemas import (
    BatchQuerySchema,
    BatchRecordedSchema,
    CorrectExpenseSchema,
    ExpenseListSchema,
    ExpenseQuerySchema,
    ExpenseRecordedSchema,
    ExpenseSchema,
    PayExpenseSchema,
    ProblemSchema,
    RecordExpenseSchema,
    RecordExpensesSchema,
    ReverseExpenseSchema,
)
from service.sheets.csvfile import csv_file
from service.sheets.expenses import expense_table
from service.sheets.workbook import workbook
from service.web.api.common import Blueprint, body_limit, command_endpoint, page, project_ledger
from service.web.api.expense_batch import BATCH_MAX_BODY_BYTES, decide_batch
from service.web.api.files import answer_format, answers_as_files, file_name, file_response
from service.web.auth import EXPENSES, READ, current_actor, requires
from service.web.idempotency import answered, dumps, idempotent, remembered
from service.web.state import ledger
from service.web.urls import API, project_url
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

    return answered(answer(ledger().handle(command, current_actor(), remembered(answer))))


@blp.route("/batch", methods=["POST"])
@body_limit(BATCH_MAX_BODY_BYTES)
@requires(EXPENSES)
@idempotent
@blp.arguments(BatchQuerySchema, location="query")
@blp.doc(requestBody={"required": True,
                      "content": {"application/json": {"schema": RecordExpensesSchema}}})
@blp.response(201, BatchRecordedSchema)
@blp.alt_response(200, schema=BatchRecordedSchema,
                  description="Dry run: what would be recorded; nothing is")
@blp.alt_response(409, schema=ProblemSchema, description="Items break rules of the project; "
                  "`errors` names each by its index: `{rule, detail}`; nothing is recorded")
@blp.alt_response(413, schema=ProblemSchema, description="The body is over 16 MiB")
@blp.alt_response(422, schema=ProblemSchema, description="Items have invalid fields; "
                  "`errors` names each by its index: `{field: [messages]}`, and "
                  "`rule_errors` the items that also break rules; nothing is recorded")
def record_expenses(query: dict[str, Any], project_id: UUID) -> Any:
    """Record up to 1,000 expenses at once, all or none

    The expenses are decided in order against one state of the project (double financing
    within the batch counts too) and recorded in one transaction. A refusal names every bad
    item by its index and records nothing. `dry_run=true` decides everything and records
    nothing (and is not bound to an `Idempotency-Key`); otherwise the key covers the whole
    batch. The body may be up to 16 MiB (1,000 expenses of the largest size).
    """
    if query["dry_run"]:
        g.records_nothing = True  # so its Idempotency-Key keeps no answer either
    return decide_batch(project_id, dry_run=query["dry_run"])


@blp.route("", methods=["GET"])
@requires(READ)
@blp.arguments(ExpenseQuerySchema, location="query")
@blp.response(200, ExpenseListSchema)
@answers_as_files(blp, "csv", "xlsx")
def list_expenses(query: dict[str, Any], project_id: UUID) -> Any:
    """List expenses with their current state

    As JSON a page at a time; as a CSV or XLSX file (`format=csv|xlsx`, or `Accept: text/csv`
    or the XLSX media type) every expense that matches the filters, in one file.
    """
    state = project_ledger(project_id)
    wanted = {"budget_line": query.get("line"), "activity": query.get("activity"),
              "status": query.get("status")}
    expenses = [e for e in expense_list(state)
                if all(v is None or e[k] == v for k, v in wanted.items())]
    file_format = answer_format(query.get("format"), ("json", "csv", "xlsx"))
    if file_format != "json":
        table = expense_table(expenses)
        content = (csv_file(table) if file_format == "csv" else workbook(
            [table], title=f"{state.project.acronym}: expenses", moment=state.last_recorded_at))
        return file_response(content, file_format, file_name(
            state, "expenses", f"v{state.version}", extension=file_format))
    chunk, next_cursor = page(expenses, query)
    return {"expenses": chunk, "next_cursor": next_cursor}, 200, {"Vary": "Accept"}


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

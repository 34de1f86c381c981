"""Each command body loads to exactly the keyword arguments of the domain command it feeds,
and the package exports every public schema."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import Schema

import schemas
from domain.project import GrantProject
from schemas.commands import (
    AchieveMilestoneSchema,
    ApproveClaimSchema,
    BudgetChangeSchema,
    CompleteActivitySchema,
    CorrectExpenseSchema,
    FinancialCorrectionSchema,
    PayExpenseSchema,
    PayoutSchema,
    RealisationEndSchema,
    ReverseExpenseSchema,
    StartActivitySchema,
    SubmitClaimSchema,
)

EXPENSE_ID = "5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01"


def parameters(method: Callable[..., Any], from_path: set[str]) -> set[str]:
    """A command's keyword arguments that come from the body (not the stamp or the path). The
    first parameter is the project the method is bound to (`self`, or `project` for the
    rules of a topic module)."""
    bound, *arguments = inspect.signature(method).parameters
    assert bound in ("self", "project")
    return set(arguments) - {"stamp"} - from_path


@pytest.mark.parametrize(
    ("schema", "body", "method", "from_path"),
    [
        (PayExpenseSchema, {"paid_on": "2016-06-30"}, GrantProject.pay_expense, {"expense_id"}),
        (CorrectExpenseSchema, {"vat": "0", "reason": "r"}, GrantProject.correct_expense,
         {"expense_id"}),
        (ReverseExpenseSchema, {"reason": "r"}, GrantProject.reverse_expense, {"expense_id"}),
        (StartActivitySchema, {"started_on": "2017-01-02"}, GrantProject.start_activity,
         {"activity"}),
        (CompleteActivitySchema, {"completed_on": "2017-09-30"}, GrantProject.complete_activity,
         {"activity"}),
        (AchieveMilestoneSchema, {"achieved_on": "2017-09-30"}, GrantProject.achieve_milestone,
         {"milestone"}),
        (BudgetChangeSchema, {"change_id": "1", "kind": "notified", "reference": "r",
                              "reason": "r", "transfers": [
                                  {"from_line": "A", "to_line": "B", "amount": "1"}]},
         GrantProject.change_budget, set()),
        (RealisationEndSchema, {"new_end": "2018-06-30", "reference": "r"},
         GrantProject.change_realisation_end, set()),
        (SubmitClaimSchema, {"claim_number": "1", "stage": "1", "submitted_on": "2017-04-20",
                             "expense_ids": [EXPENSE_ID]}, GrantProject.submit_claim, set()),
        (ApproveClaimSchema, {"approved_on": "2017-06-01"}, GrantProject.approve_claim,
         {"claim_number"}),
        (PayoutSchema, {"amount": "1", "paid_on": "2017-07-01"}, GrantProject.pay_subsidy,
         {"claim_number"}),
        (FinancialCorrectionSchema, {"correction_id": "1", "finding": "f", "amount": "1",
                                     "decided_on": "2019-01-15", "reason": "r"},
         GrantProject.impose_correction, set()),
    ],
)
def test_a_minimal_command_body_loads_to_the_commands_keyword_arguments(
    schema: type[Schema], body: dict[str, Any], method: Callable[..., Any], from_path: set[str]
) -> None:
    assert set(schema().load(body)) == parameters(method, from_path)


def test_every_public_schema_is_exported_from_the_package() -> None:
    exported = {name for name in schemas.__all__ if name.endswith("Schema")}

    assert {"RegisterProjectSchema", "RecordExpenseSchema", "CorrectExpenseSchema",
            "BudgetViewSchema", "SubsidyViewSchema", "ScheduleViewSchema", "PortfolioSchema",
            "ProjectSchema", "ExpenseSchema", "ClaimSchema", "EventPageSchema", "ProblemSchema",
            "ViewQuerySchema", "PageQuerySchema"} <= exported
    assert all(isinstance(getattr(schemas, name), type) for name in schemas.__all__)

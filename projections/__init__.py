"""Read models of a project, folded from its events by pure functions.

`fold` (or `fold_as_of` for a past moment) turns one project's `(position, event)` pairs into a
`LedgerState`; the view functions derive the budget, subsidy-share, schedule, indicators and
portfolio views and the current state of the project, its expenses, claims and reports from
it. Nothing here reads the clock, the web or the database: the same functions serve the live
views and the replays.
"""

from projections.access import access_view
from projections.budget import budget_view
from projections.details import (
    claim_documents,
    claim_list,
    claim_state,
    expense_list,
    expense_state,
    project_detail,
)
from projections.indicators import indicators_view
from projections.ledger import LedgerState, Pair, ProjectionError, fold, fold_as_of
from projections.portfolio import portfolio_row
from projections.reports import report_documents
from projections.schedule import schedule_view
from projections.subsidy import subsidy_view

__all__ = [
    "LedgerState",
    "Pair",
    "ProjectionError",
    "access_view",
    "budget_view",
    "claim_documents",
    "claim_list",
    "claim_state",
    "expense_list",
    "expense_state",
    "fold",
    "fold_as_of",
    "indicators_view",
    "portfolio_row",
    "project_detail",
    "report_documents",
    "schedule_view",
    "subsidy_view",
]

"""Budget changes: transfers between lines, notified within tolerance or approved."""

from __future__ import annotations

from domain.commands import ChangeBudget
from schemas import BudgetChangeSchema
from service.web.api.common import Blueprint, command_endpoint
from service.web.auth import MANAGE
from service.web.urls import API

blp = Blueprint("budget", __name__, url_prefix=f"{API}/projects/<uuid:project_id>",
                description="Changes of the budget's split between lines.")

command_endpoint(blp, "/budget-changes", ChangeBudget, BudgetChangeSchema, MANAGE,
                 "Change the budget\n\nA `notified` change may grow a line by at most the "
                 "tolerance; anything more needs an `approved` change.")

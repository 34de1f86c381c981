"""Views rendered to the JSON the API sends, once, by the projector (read many times)."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema

from schemas import BudgetViewSchema, PortfolioRowSchema, ScheduleViewSchema, SubsidyViewSchema

SCHEMAS: dict[str, Schema] = {
    "budget": BudgetViewSchema(),
    "subsidy": SubsidyViewSchema(),
    "schedule": ScheduleViewSchema(),
    "portfolio": PortfolioRowSchema(),
}


def render(view: str, document: dict[str, Any]) -> str:
    """A live view as its API body (`as_of` null); a portfolio row as the row."""
    body = document if view == "portfolio" else {**document, "as_of": None}
    return json.dumps(SCHEMAS[view].dump(body), sort_keys=True, separators=(",", ":"))

"""Views rendered to the JSON the API sends: by the projector once, read many times; and
the answers about past moments that are kept (service.reads.past_answers)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from marshmallow import Schema

from schemas import (
    BudgetViewSchema,
    IndicatorsViewSchema,
    PortfolioRowSchema,
    ScheduleViewSchema,
    SubsidyViewSchema,
)

VIEWS_FORMAT = 5
"""The shape of the rendered views; raised whenever a view's JSON changes (2: version 1.1's
reports, indicators and calendar; 3: the portfolio row's flags_by_rule; 4: the portfolio's
index beside the views, service.store.portfolio; 5: the portfolio row's beneficiary), so
that a projector finding views of another shape renders every project again instead of
leaving old bodies to be served."""

SCHEMAS: dict[str, Schema] = {
    "budget": BudgetViewSchema(),
    "subsidy": SubsidyViewSchema(),
    "schedule": ScheduleViewSchema(),
    "indicators": IndicatorsViewSchema(),
    "portfolio": PortfolioRowSchema(),
}


def render(view: str, document: dict[str, Any], as_of: datetime | None = None) -> str:
    """A view as its API body (live: `as_of` null); a portfolio row as the row."""
    body = document if view == "portfolio" else {**document, "as_of": as_of}
    return json.dumps(SCHEMAS[view].dump(body), sort_keys=True, separators=(",", ":"))

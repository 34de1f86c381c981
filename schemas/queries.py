"""Query-string arguments: the moment and date a view reflects, and paging of lists."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import BaseSchema
from schemas.fields import ICO, Code, Day, Moment, Sha256, Text

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# The rules a compliance flag may name (docs/DOMAIN.md, "Compliance flags").
FLAG_RULES = (
    "EXPENSE_OUTSIDE_PERIOD", "LINE_OVERRUN", "EXPENSE_UNPAID", "SUBSIDY_CAP_REACHED",
    "ACTIVITY_OVERDUE", "ACTIVITY_COMPLETED_LATE", "MILESTONE_OVERDUE", "MILESTONE_LATE",
    "MILESTONE_MISSED", "FINAL_CLAIM_OVERDUE", "REPORT_OVERDUE", "INDICATOR_SHORTFALL",
    "CLAIM_WITHOUT_REPORT",
)


def _lang() -> fields.String:
    return fields.String(load_default="cs", validate=validate.OneOf(["cs", "en"]),
                         metadata={"description": "the language of the headings"})


def _format(*formats: str, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(formats), metadata={
        "description": "the answer's format; without it, the `Accept` header's"}, **kwargs)


class PortfolioQuerySchema(BaseSchema):
    """`as_of`: the views as the ledger stood then; `on`: the reference date for statuses;
    `min_position`: wait until the views reflect that global position."""

    as_of = Moment()
    on = Day()
    min_position = fields.Integer(validate=validate.Range(min=0))


class PortfolioPageQuerySchema(PortfolioQuerySchema):
    """A page of the portfolio (`cursor` from the previous page's `next_cursor`, `limit` up
    to 1,000, the default), of the projects with an open flag of a rule (`flag`), of one
    beneficiary (`beneficiary_ico`), with or without an overdue report (`overdue`)."""

    cursor = Text(max_length=500)
    limit = fields.Integer(load_default=MAX_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    flag = fields.String(validate=validate.OneOf(
        FLAG_RULES, error="Not a rule of a compliance flag; choose one of: {choices}."))
    beneficiary_ico = fields.String(validate=ICO, metadata={"description": "8 digits"})
    overdue = fields.Boolean(
        truthy={"true"}, falsy={"false"},
        error_messages={"invalid": "Give true (an overdue report) or false (none)."},
        metadata={"description": "true: projects with an overdue report; false: without"})


class ViewQuerySchema(PortfolioQuerySchema):
    """A view, as the portfolio, and `format=xlsx` for it as a workbook."""

    format = _format("json", "xlsx")


class ReportQuerySchema(PortfolioQuerySchema):
    """The reports, read as a view is (`as_of`, `on`, `min_position`); JSON only (the schedule
    view's workbook lists them)."""


class SpreadsheetQuerySchema(BaseSchema):
    """A document as JSON, CSV or XLSX, with headings in Czech (default) or English."""

    format = _format("json", "csv", "xlsx")
    lang = _lang()


class TemplateQuerySchema(BaseSchema):
    """The import template as XLSX (default) or CSV, headings in Czech (default) or English."""

    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    lang = _lang()


class BatchQuerySchema(BaseSchema):
    """`dry_run=true`: decide every expense of the batch and record none."""

    dry_run = fields.Boolean(load_default=False)


class PageQuerySchema(BaseSchema):
    """An opaque `cursor` from the previous page's `next_cursor`, and a page size."""

    cursor = Text(max_length=500)
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )


class ExpenseQuerySchema(PageQuerySchema):
    """Expenses on a budget line, of an activity, active or reversed; as a CSV or XLSX file
    (`format`, or the `Accept` header), every one that matches, without paging."""

    format = _format("json", "csv", "xlsx")
    line = Code()
    activity = Code()
    status = fields.String(validate=validate.OneOf(["active", "reversed"]))


class ProjectQuerySchema(PageQuerySchema):
    """Projects, optionally the one with a registration number."""

    registration_number = Code()


class EventQuerySchema(PageQuerySchema):
    """Events in order, a page at a time."""


class VerificationQuerySchema(BaseSchema):
    """A digest saved earlier (`version` and `hash`) to check against the chain; both or none."""

    version = fields.Integer(validate=validate.Range(min=1))
    hash = Sha256()

    @validates_schema
    def _both_or_neither(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = {"version", "hash"} & data.keys()
        if len(given) == 1:
            missing = ({"version", "hash"} - given).pop()
            raise ValidationError(f"Give {missing} together with {given.pop()}.", missing)


__all__ = [
    "DEFAULT_LIMIT",
    "FLAG_RULES",
    "MAX_LIMIT",
    "BatchQuerySchema",
    "EventQuerySchema",
    "ExpenseQuerySchema",
    "PageQuerySchema",
    "PortfolioPageQuerySchema",
    "PortfolioQuerySchema",
    "ProjectQuerySchema",
    "ReportQuerySchema",
    "SpreadsheetQuerySchema",
    "TemplateQuerySchema",
    "VerificationQuerySchema",
    "ViewQuerySchema",
]

"""The views of a project (budget, subsidy share, schedule, indicators), the portfolio and the
reports.

Figures are those of DOMAIN.md: money as strings with 2 places, ratios with 4. Every view states
the global `position` it reflects and the `as_of` moment it was asked for (null when live).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from schemas.common import BaseSchema, FlagSchema, PrincipalSchema
from schemas.fields import Day, Moment, Money, Quantity, Rate, Ratio
from schemas.registration import BeneficiarySchema
from schemas.resources import (
    ActivitySchema,
    ClaimSchema,
    IndicatorSchema,
    MilestoneSchema,
    ScheduledReportSchema,
)

REPORT_STATUSES = ["pending", "overdue", "submitted", "approved", "returned"]
INDICATOR_STATUSES = ["not_reported", "in_progress", "achieved", "shortfall"]


def _flags() -> fields.Field[Any]:
    return fields.List(fields.Nested(FlagSchema), required=True)


# ---- budget -----------------------------------------------------------------------------


class BudgetFiguresSchema(BaseSchema):
    """The budget figures of a line, or of the whole project."""

    planned = Money(required=True)
    recorded = Money(required=True)
    ineligible = Money(required=True)
    eligible = Money(required=True)
    overrun = Money(required=True)
    eligible_capped = Money(required=True)
    paid = Money(required=True)
    claimed = Money(required=True)
    approved = Money(required=True)
    remaining = Money(required=True)
    utilisation = Ratio(required=True)


class BudgetLineFiguresSchema(BudgetFiguresSchema):
    """One budget line's figures."""

    code = fields.String(required=True)
    name = fields.String(required=True)


class BudgetViewSchema(BaseSchema):
    """Budget per line and in total, with the flags that concern it."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    on = Day(required=True)
    currency = fields.String(required=True)
    lines = fields.List(fields.Nested(BudgetLineFiguresSchema), required=True)
    totals = fields.Nested(BudgetFiguresSchema, required=True)
    flags = _flags()


# ---- subsidy ----------------------------------------------------------------------------


class SubsidyViewSchema(BaseSchema):
    """The subsidy the project is entitled to, and what was claimed, approved and paid."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    support_rate = Rate(required=True)
    max_subsidy = Money(required=True)
    eligible_total = Money(required=True)
    entitlement = Money(required=True)
    requested = Money(required=True)
    approved = Money(required=True)
    paid = Money(required=True)
    corrections = Money(required=True)
    net_subsidy = Money(required=True)
    own_financing = Money(required=True)
    subsidy_share = Ratio(required=True)
    cap_reached = fields.Boolean(required=True)
    claims = fields.List(fields.Nested(ClaimSchema), required=True)
    flags = _flags()


# ---- schedule ---------------------------------------------------------------------------


class ActivityStatusSchema(ActivitySchema):
    """An activity against the reference date."""

    status = fields.String(
        required=True,
        metadata={"enum": ["not_started", "due", "in_progress", "overdue", "completed",
                           "completed_late"]},
    )
    days_late = fields.Integer(required=True)


class MilestoneStatusSchema(MilestoneSchema):
    """A milestone against the reference date."""

    status = fields.String(
        required=True,
        metadata={"enum": ["pending", "achieved", "achieved_late", "overdue", "missed"]},
    )
    days_late = fields.Integer(required=True)


class ReportStatusSchema(ScheduledReportSchema):
    """A report against the reference date: its last submission and the decision on it."""

    submitted_on = Day(required=True, allow_none=True)
    decided_on = Day(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": REPORT_STATUSES})
    days_late = fields.Integer(required=True)


class ProjectScheduleSchema(BaseSchema):
    """The project as a whole: time elapsed and budget drawn, the claim deadline, the end of
    sustainability and how long documents are kept."""

    realisation_start = Day(required=True)
    realisation_end = Day(required=True)
    time_elapsed = Ratio(required=True)
    budget_drawn = Ratio(required=True)
    claim_deadline = Day(required=True)
    final_claim_submitted = fields.Boolean(required=True)
    sustainability_end = Day(required=True)
    retain_until = Day(required=True)


class ScheduleViewSchema(BaseSchema):
    """Schedule compliance on a reference date (`on`)."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    on = Day(required=True)
    activities = fields.List(fields.Nested(ActivityStatusSchema), required=True)
    milestones = fields.List(fields.Nested(MilestoneStatusSchema), required=True)
    reports = fields.List(fields.Nested(ReportStatusSchema), required=True)
    project = fields.Nested(ProjectScheduleSchema, required=True)
    flags = _flags()


# ---- indicators -------------------------------------------------------------------------


class IndicatorStatusSchema(IndicatorSchema):
    """An indicator on the reference date: its last reported value and how far it got."""

    value = Quantity(required=True, allow_none=True)
    reported_in = fields.String(required=True, allow_none=True)
    achievement = Ratio(required=True, metadata={
        "description": "(value − baseline) / (target − baseline); 0 without a value"})
    status = fields.String(required=True, metadata={"enum": INDICATOR_STATUSES})


class IndicatorsViewSchema(BaseSchema):
    """The monitoring indicators on a reference date (`on`)."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    on = Day(required=True)
    indicators = fields.List(fields.Nested(IndicatorStatusSchema), required=True)
    flags = _flags()


# ---- reports ----------------------------------------------------------------------------


class IndicatorValueSchema(BaseSchema):
    """An indicator's value as a report states it."""

    code = fields.String(required=True)
    value = Quantity(required=True)
    comment = fields.String(required=True)


class ReportDecisionSchema(BaseSchema):
    """The provider's decision on a submission."""

    decision = fields.String(required=True, metadata={"enum": ["approved", "returned"]})
    decided_on = Day(required=True)
    reason = fields.String(required=True, allow_none=True)
    recorded_by = fields.Nested(PrincipalSchema, required=True)


class ReportSubmissionSchema(BaseSchema):
    """One submission of a report, and the decision on it."""

    submitted_on = Day(required=True)
    indicator_values = fields.List(fields.Nested(IndicatorValueSchema), required=True)
    narrative = fields.String(required=True, allow_none=True)
    recorded_at = Moment(required=True)
    recorded_by = fields.Nested(PrincipalSchema, required=True)
    decision = fields.Nested(ReportDecisionSchema, required=True, allow_none=True)


class ReportSchema(ReportStatusSchema):
    """A report with its status on the reference date and every version submitted."""

    submissions = fields.List(fields.Nested(ReportSubmissionSchema), required=True)


class ReportListSchema(BaseSchema):
    """The report schedule of a project on a reference date."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    on = Day(required=True)
    reports = fields.List(fields.Nested(ReportSchema), required=True)


# ---- portfolio --------------------------------------------------------------------------


class PortfolioRowSchema(BaseSchema):
    """One project's key figures, for dashboards."""

    project_id = fields.UUID(required=True)
    registration_number = fields.String(required=True)
    acronym = fields.String(required=True)
    title = fields.String(required=True)
    beneficiary = fields.Nested(BeneficiarySchema, required=True)
    position = fields.Integer(required=True)
    version = fields.Integer(required=True)
    realisation_start = Day(required=True)
    realisation_end = Day(required=True)
    planned = Money(required=True)
    eligible_capped = Money(required=True)
    utilisation = Ratio(required=True)
    entitlement = Money(required=True)
    max_subsidy = Money(required=True)
    subsidy_paid = Money(required=True)
    net_subsidy = Money(required=True)
    cap_reached = fields.Boolean(required=True)
    time_elapsed = Ratio(required=True)
    budget_drawn = Ratio(required=True)
    activities_overdue = fields.Integer(required=True)
    milestones_late_or_missed = fields.Integer(required=True)
    reports_overdue = fields.Integer(required=True)
    indicators_shortfall = fields.Integer(required=True)
    flag_count = fields.Integer(required=True)
    errors = fields.Integer(required=True)
    warnings = fields.Integer(required=True)
    flags_by_rule = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True,
        metadata={"description": "how many open flags name each rule (only rules with a flag)"})


class PortfolioTotalsSchema(BaseSchema):
    """Sums over every project the principal may read that matches the filters, across all
    pages."""

    projects = fields.Integer(required=True)
    budget = Money(required=True, metadata={"description": "the planned budgets summed"})
    eligible = Money(required=True, metadata={"description": "eligible_capped summed"})
    entitlement = Money(required=True)
    open_flags = fields.Integer(required=True, metadata={"description": "flag_count summed"})


class PortfolioSchema(BaseSchema):
    """A page of the projects, one row each, in the order of registration."""

    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    on = Day(required=True)
    totals = fields.Nested(PortfolioTotalsSchema, required=True, allow_none=True, metadata={
        "description": "null with `as_of`, or with an `on` other than the day the stored rows "
                       "are for: summing every project as it stood then would fold every one"})
    next_cursor = fields.String(required=True, allow_none=True)
    projects = fields.List(fields.Nested(PortfolioRowSchema), required=True)


__all__ = [
    "ActivityStatusSchema",
    "BudgetFiguresSchema",
    "BudgetLineFiguresSchema",
    "BudgetViewSchema",
    "IndicatorStatusSchema",
    "IndicatorValueSchema",
    "IndicatorsViewSchema",
    "MilestoneStatusSchema",
    "PortfolioRowSchema",
    "PortfolioSchema",
    "PortfolioTotalsSchema",
    "ProjectScheduleSchema",
    "ReportDecisionSchema",
    "ReportListSchema",
    "ReportSchema",
    "ReportStatusSchema",
    "ReportSubmissionSchema",
    "ScheduleViewSchema",
    "SubsidyViewSchema",
]

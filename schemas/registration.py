"""The body of `POST /api/v1/projects`: the ProjectRegistered data of DOMAIN.md.

It loads to the keyword arguments of `GrantProject.register`. Optional fields the client leaves
out stay out of the loaded dict: the domain writes their defaults (eligible-from = start,
tolerance 0, 60 claim-deadline days, one stage over the whole period, CZK, no indicators, 5
sustainability years, retention until 2033-12-31, the default report schedule).
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from schemas.common import BaseSchema
from schemas.fields import (
    ICO,
    POSITIVE,
    Code,
    Day,
    Money,
    Quantity,
    Rate,
    StrictBoolean,
    StrictInteger,
    Title,
)

SUPPORT_RATE = validate.Range(
    min=Decimal(0), max=Decimal(1), min_inclusive=False, error="Must lie in (0, 1]."
)
FRACTION = validate.Range(min=Decimal(0), max=Decimal(1), error="Must lie in [0, 1].")
MAX_CLAIM_DEADLINE_DAYS = 3660
MAX_SUSTAINABILITY_YEARS = 30
INDICATOR_KINDS = ("to_achieve", "to_select")
REPORT_KINDS = ("implementation", "final_implementation", "sustainability",
                "final_sustainability")


class BeneficiarySchema(BaseSchema):
    """The beneficiary: name, IČO (8 digits, optional) and whether it is a VAT payer."""

    name = Title(required=True)
    ico = Code(allow_none=True, load_default=None, validate=ICO)
    vat_payer = StrictBoolean(required=True)


class BudgetLineInputSchema(BaseSchema):
    """A budget line as registered."""

    code = Code(required=True)
    name = Title(required=True)
    amount = Money(required=True, validate=POSITIVE)


class ActivityInputSchema(BaseSchema):
    """A planned activity; `parent` names the activity it belongs to."""

    code = Code(required=True)
    parent = Code(allow_none=True, load_default=None)
    title = Title(required=True)
    planned_start = Day(required=True)
    planned_end = Day(required=True)


class MilestoneInputSchema(BaseSchema):
    """A milestone, due on a date, optionally of an activity."""

    code = Code(required=True)
    title = Title(required=True)
    due = Day(required=True)
    activity = Code(allow_none=True, load_default=None)


class StageSchema(BaseSchema):
    """A stage of the realisation period; a payment claim is made after each."""

    code = Code(required=True)
    start = Day(required=True)
    end = Day(required=True)


class IndicatorInputSchema(BaseSchema):
    """A monitoring indicator: from its baseline to its target (which may lie below it).
    `to_achieve` (povinný k naplnění) must be met by the realisation end; `to_select`
    (povinný k výběru) is reported, never in shortfall."""

    code = Code(required=True)
    name = Title(required=True)
    unit = Code(required=True, metadata={"example": "partners"})
    baseline = Quantity(required=True)
    target = Quantity(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(INDICATOR_KINDS))


class ReportInputSchema(BaseSchema):
    """A report of the provider's schedule: over a period, due on a date."""

    code = Code(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REPORT_KINDS))
    period_start = Day(required=True)
    period_end = Day(required=True)
    due = Day(required=True)


class RegisterProjectSchema(BaseSchema):
    """Registers a project; loads to `GrantProject.register`'s keyword arguments."""

    registration_number = Code(required=True)
    acronym = Code(required=True)
    title = Title(required=True)
    beneficiary = fields.Nested(BeneficiarySchema, required=True)
    programme = Title(required=True)
    call = Title(required=True)
    provider = Title(required=True)
    realisation_start = Day(required=True)
    realisation_end = Day(required=True)
    eligible_from = Day()
    latest_end = Day(allow_none=True, metadata={"description": "the call's latest end date"})
    currency = fields.String(
        validate=validate.OneOf(["CZK"]), metadata={"description": "CZK (the default) only"}
    )
    support_rate = Rate(required=True, validate=SUPPORT_RATE)
    max_subsidy = Money(required=True, validate=POSITIVE)
    line_transfer_tolerance = Rate(validate=FRACTION)
    claim_deadline_days = StrictInteger(
        validate=validate.Range(min=0, max=MAX_CLAIM_DEADLINE_DAYS)
    )
    budget_lines = fields.List(
        fields.Nested(BudgetLineInputSchema), required=True, validate=validate.Length(min=1)
    )
    activities = fields.List(fields.Nested(ActivityInputSchema))
    milestones = fields.List(fields.Nested(MilestoneInputSchema))
    stages = fields.List(fields.Nested(StageSchema))
    indicators = fields.List(fields.Nested(IndicatorInputSchema))
    sustainability_years = StrictInteger(
        validate=validate.Range(min=0, max=MAX_SUSTAINABILITY_YEARS),
        metadata={"description": "years of sustainability after the realisation (default 5)"})
    retention_until = Day(metadata={"description": "the programme's document-retention date "
                                                   "(default 2033-12-31)"})
    reports = fields.List(
        fields.Nested(ReportInputSchema),
        metadata={"description": "the provider's report schedule; without it, the default "
                                 "schedule (ZOR-<stage>, ZZOR, ZOU-<k>, ZZOU) that follows "
                                 "the realisation end"})


__all__ = [
    "ActivityInputSchema",
    "BeneficiarySchema",
    "BudgetLineInputSchema",
    "IndicatorInputSchema",
    "MilestoneInputSchema",
    "RegisterProjectSchema",
    "ReportInputSchema",
    "StageSchema",
]

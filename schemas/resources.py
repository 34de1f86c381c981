"""The current state of a project, its expenses and its payment claims, as the API shows them."""

from __future__ import annotations

from marshmallow import fields

from schemas.common import (
    AttachmentSchema,
    BaseSchema,
    ChainHeadSchema,
    PrincipalSchema,
    SupplierSchema,
)
from schemas.fields import Day, Moment, Money, Quantity, Rate
from schemas.registration import (
    INDICATOR_KINDS,
    REPORT_KINDS,
    BeneficiarySchema,
    StageSchema,
)

# ---- projects ---------------------------------------------------------------------------


class BudgetLineSchema(BaseSchema):
    """A budget line: the amount registered and the amount planned after budget changes."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    registered = Money(required=True)
    planned = Money(required=True)


class ActivitySchema(BaseSchema):
    """An activity as planned, and when it started and was completed."""

    code = fields.String(required=True)
    parent = fields.String(required=True, allow_none=True)
    title = fields.String(required=True)
    planned_start = Day(required=True)
    planned_end = Day(required=True)
    started_on = Day(required=True, allow_none=True)
    completed_on = Day(required=True, allow_none=True)


class MilestoneSchema(BaseSchema):
    """A milestone as planned, and when it was achieved."""

    code = fields.String(required=True)
    title = fields.String(required=True)
    due = Day(required=True)
    activity = fields.String(required=True, allow_none=True)
    achieved_on = Day(required=True, allow_none=True)


class IndicatorSchema(BaseSchema):
    """A monitoring indicator as registered."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(INDICATOR_KINDS)})
    baseline = Quantity(required=True)
    target = Quantity(required=True)


class ScheduledReportSchema(BaseSchema):
    """A report of the provider's schedule: its period and due date."""

    code = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(REPORT_KINDS)})
    period_start = Day(required=True)
    period_end = Day(required=True)
    due = Day(required=True)


class ProjectSchema(BaseSchema):
    """A project as registered and changed since: lines, schedule, current end, version."""

    id = fields.UUID(required=True)
    registration_number = fields.String(required=True)
    acronym = fields.String(required=True)
    title = fields.String(required=True)
    beneficiary = fields.Nested(BeneficiarySchema, required=True)
    programme = fields.String(required=True)
    call = fields.String(required=True)
    provider = fields.String(required=True)
    realisation_start = Day(required=True)
    realisation_end = Day(required=True)
    original_realisation_end = Day(required=True)
    eligible_from = Day(required=True)
    latest_end = Day(required=True, allow_none=True)
    currency = fields.String(required=True)
    support_rate = Rate(required=True)
    max_subsidy = Money(required=True)
    line_transfer_tolerance = Rate(required=True)
    claim_deadline_days = fields.Integer(required=True)
    budget_lines = fields.List(fields.Nested(BudgetLineSchema), required=True)
    activities = fields.List(fields.Nested(ActivitySchema), required=True)
    milestones = fields.List(fields.Nested(MilestoneSchema), required=True)
    stages = fields.List(fields.Nested(StageSchema), required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
    sustainability_years = fields.Integer(required=True)
    retention_until = Day(required=True)
    reports = fields.List(
        fields.Nested(ScheduledReportSchema), required=True,
        metadata={"description": "the report schedule as it stands"})
    default_report_schedule = fields.Boolean(
        required=True, metadata={"description": "whether the schedule is the default one, "
                                                "which follows the realisation end"})
    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    head = fields.Nested(ChainHeadSchema, required=True)
    registered_at = Moment(required=True)
    registered_by = fields.Nested(PrincipalSchema, required=True)


class ProjectListSchema(BaseSchema):
    """A page of projects."""

    projects = fields.List(fields.Nested(ProjectSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# ---- expenses ---------------------------------------------------------------------------


class ExpenseSchema(BaseSchema):
    """An expense in its current state, after corrections (or reversal)."""

    expense_id = fields.UUID(required=True)
    document_number = fields.String(required=True)
    document_type = fields.String(required=True)
    supplier = fields.Nested(SupplierSchema, required=True)
    description = fields.String(required=True)
    budget_line = fields.String(required=True)
    activity = fields.String(required=True, allow_none=True)
    tax_point_date = Day(required=True)
    amount_net = Money(required=True)
    vat = Money(required=True)
    eligible_amount = Money(required=True)
    paid_on = Day(required=True, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    status = fields.String(required=True, metadata={"enum": ["active", "reversed"]})
    time_eligible = fields.Boolean(required=True)
    claim_number = fields.String(required=True, allow_none=True)
    approved = fields.Boolean(required=True)
    recorded_at = Moment(required=True)
    recorded_by = fields.Nested(PrincipalSchema, required=True)
    recorded_version = fields.Integer(required=True)
    last_changed_version = fields.Integer(required=True)
    corrections = fields.Integer(required=True, metadata={"description": "how many"})
    reversal_reason = fields.String(required=True, allow_none=True)


class ExpenseListSchema(BaseSchema):
    """A page of expenses."""

    expenses = fields.List(fields.Nested(ExpenseSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# ---- payment claims ---------------------------------------------------------------------


class ExclusionViewSchema(BaseSchema):
    """An exclusion the provider made when approving a claim."""

    expense_id = fields.UUID(required=True)
    amount = Money(required=True)
    reason = fields.String(required=True)


class PayoutViewSchema(BaseSchema):
    """Subsidy paid on a claim."""

    amount = Money(required=True)
    paid_on = Day(required=True)


class ClaimSchema(BaseSchema):
    """A payment claim: what was declared, requested, approved and paid, and the chain head
    recorded at submission and at approval."""

    claim_number = fields.String(required=True)
    stage = fields.String(required=True)
    final = fields.Boolean(required=True)
    submitted_on = Day(required=True)
    expense_ids = fields.List(fields.UUID(), required=True)
    declared_eligible = Money(required=True)
    requested_subsidy = Money(required=True)
    status = fields.String(required=True)
    approved_on = Day(required=True, allow_none=True)
    exclusions = fields.List(fields.Nested(ExclusionViewSchema), required=True)
    approved_eligible = Money(required=True, allow_none=True)
    approved_subsidy = Money(required=True, allow_none=True)
    paid = Money(required=True)
    payouts = fields.List(fields.Nested(PayoutViewSchema), required=True)
    submitted_head = fields.Nested(ChainHeadSchema, required=True, allow_none=True)
    approved_head = fields.Nested(ChainHeadSchema, required=True, allow_none=True)


class ClaimListSchema(BaseSchema):
    """A project's payment claims."""

    claims = fields.List(fields.Nested(ClaimSchema), required=True)


class ClaimDocumentSchema(BaseSchema):
    """A row of a claim's list of accounting documents: the expense as it stands, the eligible
    amount declared in the claim, and (once approved) what was excluded and why."""

    row = fields.Integer(required=True)
    expense_id = fields.UUID(required=True)
    document_number = fields.String(required=True)
    document_type = fields.String(required=True)
    supplier = fields.String(required=True)
    ico = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    tax_point_date = Day(required=True)
    amount_net = Money(required=True)
    vat = Money(required=True)
    eligible_declared = Money(required=True)
    excluded = Money(required=True, allow_none=True)
    exclusion_reason = fields.String(required=True, allow_none=True)
    paid_on = Day(required=True, allow_none=True)
    budget_line = fields.String(required=True)
    activity = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["active", "reversed"]})


class ClaimDocumentTotalsSchema(BaseSchema):
    """The sums of a claim's documents; `excluded` is null until the claim is approved."""

    amount_net = Money(required=True)
    vat = Money(required=True)
    eligible_declared = Money(required=True)
    excluded = Money(required=True, allow_none=True)


class ClaimDocumentsSchema(BaseSchema):
    """A payment claim's list of accounting documents (soupiska), with its totals."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    claim = fields.Nested(ClaimSchema, required=True)
    documents = fields.List(fields.Nested(ClaimDocumentSchema), required=True)
    totals = fields.Nested(ClaimDocumentTotalsSchema, required=True)


__all__ = [
    "ActivitySchema",
    "BudgetLineSchema",
    "ClaimDocumentSchema",
    "ClaimDocumentTotalsSchema",
    "ClaimDocumentsSchema",
    "ClaimListSchema",
    "ClaimSchema",
    "ExclusionViewSchema",
    "ExpenseListSchema",
    "ExpenseSchema",
    "IndicatorSchema",
    "MilestoneSchema",
    "PayoutViewSchema",
    "ProjectListSchema",
    "ProjectSchema",
    "ScheduledReportSchema",
]

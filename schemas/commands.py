"""The bodies of the commands on a registered project.

Each loads to a dict whose keys are the keyword arguments of the `GrantProject` method that
decides it (the path supplies the rest: project id, expense id, activity or milestone code,
claim number).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from schemas.common import AttachmentSchema, BaseSchema, SupplierSchema
from schemas.fast_load import FastLoading
from schemas.fields import (
    NOT_NEGATIVE,
    POSITIVE,
    Code,
    Day,
    Money,
    Quantity,
    Sha256,
    StrictBoolean,
    Text,
)

DOCUMENT_TYPES = ("invoice", "advance_invoice", "payroll", "travel", "internal")
document_type = validate.OneOf(DOCUMENT_TYPES)

# ---- expenses ---------------------------------------------------------------------------


class RecordExpenseSchema(FastLoading):
    """Records an expense; `activity`, `eligible_amount`, `paid_on` and `attachments` are
    always in the loaded dict (null or empty when left out). Without `expense_id` the server
    assigns one. Loaded the fast way (schemas.fast_load): expenses come in thousands."""

    expense_id = fields.UUID()
    document_number = Code(required=True)
    document_type = fields.String(required=True, validate=document_type)
    supplier = fields.Nested(SupplierSchema, required=True)
    description = Text(required=True)
    budget_line = Code(required=True)
    activity = Code(allow_none=True, load_default=None)
    tax_point_date = Day(required=True)
    amount_net = Money(required=True, validate=POSITIVE)
    vat = Money(load_default=Decimal("0.00"), validate=NOT_NEGATIVE)
    eligible_amount = Money(
        allow_none=True, load_default=None, validate=POSITIVE,
        metadata={"description": "default: net for a VAT payer, net + VAT otherwise"},
    )
    paid_on = Day(allow_none=True, load_default=None)
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list)


MAX_BATCH_EXPENSES = 1000
MAX_BATCH_ATTACHMENTS = 10


class BatchExpenseSchema(RecordExpenseSchema):
    """An expense of a batch: as recorded alone, with at most ten attachments, so that a
    batch of 1,000 has a size the service can bound (see service.web.api.expense_batch)."""

    attachments = fields.List(
        fields.Nested(AttachmentSchema), load_default=list,
        validate=validate.Length(
            max=MAX_BATCH_ATTACHMENTS,
            error="At most {max} attachments in a batch: record an expense with more alone."),
    )


class RecordExpensesSchema(BaseSchema):
    """Records 1 to 1,000 expenses of one project, all in one transaction or none."""

    expenses = fields.List(
        fields.Nested(BatchExpenseSchema), required=True,
        validate=validate.Length(min=1, max=MAX_BATCH_EXPENSES),
    )


class PayExpenseSchema(BaseSchema):
    """Records that an expense was paid."""

    paid_on = Day(required=True)


class CorrectExpenseSchema(BaseSchema):
    """Corrects an expense: the fields that change, and why. Loads to `{changes, reason}`;
    `changes` holds exactly the fields given (`activity` or `eligible_amount` null clears the
    activity or returns the eligible amount to its default)."""

    document_number = Code()
    document_type = fields.String(validate=document_type)
    supplier = fields.Nested(SupplierSchema)
    description = Text()
    budget_line = Code()
    activity = Code(allow_none=True)
    tax_point_date = Day()
    amount_net = Money(validate=POSITIVE)
    vat = Money(validate=NOT_NEGATIVE)
    eligible_amount = Money(allow_none=True, validate=POSITIVE)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    reason = Text(required=True)

    @validates_schema
    def _changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.keys() - {"reason"}:
            raise ValidationError(
                "A correction must change at least one field: "
                + ", ".join(sorted(set(self.load_fields) - {"reason"}))
                + "."
            )

    @post_load
    def _split(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        changes = dict(data)
        reason = changes.pop("reason")
        return {"changes": changes, "reason": reason}


class ReverseExpenseSchema(BaseSchema):
    """Reverses an expense; it stays in history and counts as zero."""

    reason = Text(required=True)


# ---- schedule ---------------------------------------------------------------------------


class StartActivitySchema(BaseSchema):
    """Records that an activity started."""

    started_on = Day(required=True)
    note = Text(allow_none=True, load_default=None)


class CompleteActivitySchema(BaseSchema):
    """Records that an activity was completed."""

    completed_on = Day(required=True)
    note = Text(allow_none=True, load_default=None)


class AchieveMilestoneSchema(BaseSchema):
    """Records that a milestone was achieved, with its evidence (text and a document digest)."""

    achieved_on = Day(required=True)
    evidence = Text(allow_none=True, load_default=None)
    evidence_sha256 = Sha256(allow_none=True, load_default=None)


class RealisationEndSchema(BaseSchema):
    """Moves the realisation end, by an approved change."""

    new_end = Day(required=True)
    reference = Text(required=True, max_length=500)


# ---- budget -----------------------------------------------------------------------------


class TransferSchema(BaseSchema):
    """An amount moved from one budget line to another."""

    from_line = Code(required=True)
    to_line = Code(required=True)
    amount = Money(required=True, validate=POSITIVE)


class BudgetChangeSchema(BaseSchema):
    """Moves money between budget lines; a `notified` change stays within the tolerance."""

    change_id = Code(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["notified", "approved"]))
    transfers = fields.List(
        fields.Nested(TransferSchema), required=True, validate=validate.Length(min=1)
    )
    reference = Text(required=True, max_length=500)
    reason = Text(required=True)


# ---- payment claims and subsidy ---------------------------------------------------------


class SubmitClaimSchema(BaseSchema):
    """Submits a payment claim for a stage's paid expenses."""

    claim_number = Code(required=True)
    stage = Code(required=True)
    submitted_on = Day(required=True)
    final = StrictBoolean(load_default=False)
    expense_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))


class ExclusionSchema(BaseSchema):
    """The part of an expense the provider does not accept, and why."""

    expense_id = fields.UUID(required=True)
    amount = Money(required=True, validate=POSITIVE)
    reason = Text(required=True)


class ApproveClaimSchema(BaseSchema):
    """Approves a payment claim, less its exclusions."""

    approved_on = Day(required=True)
    exclusions = fields.List(fields.Nested(ExclusionSchema), load_default=list)


class PayoutSchema(BaseSchema):
    """Records subsidy paid on an approved claim."""

    amount = Money(required=True, validate=POSITIVE)
    paid_on = Day(required=True)


class FinancialCorrectionSchema(BaseSchema):
    """Imposes a financial correction (a finding that takes subsidy back)."""

    correction_id = Code(required=True)
    finding = Text(required=True)
    expense_ids = fields.List(fields.UUID(), load_default=list)
    amount = Money(required=True, validate=POSITIVE)
    decided_on = Day(required=True)
    reason = Text(required=True)


# ---- reports ----------------------------------------------------------------------------


class IndicatorValueInputSchema(BaseSchema):
    """An indicator as a report states it: its value (≥ 0, also 0) and a comment."""

    code = Code(required=True)
    value = Quantity(required=True, validate=NOT_NEGATIVE)
    comment = Text(required=True)


class SubmitReportSchema(BaseSchema):
    """Submits a report: every indicator of the project once, each with a comment."""

    submitted_on = Day(required=True)
    indicator_values = fields.List(fields.Nested(IndicatorValueInputSchema), required=True)
    narrative = Text(allow_none=True, load_default=None, max_length=20000)


class ApproveReportSchema(BaseSchema):
    """Approves a submitted report."""

    decided_on = Day(required=True)


class ReturnReportSchema(BaseSchema):
    """Returns a submitted report, to be submitted again."""

    decided_on = Day(required=True)
    reason = Text(required=True)


__all__ = [
    "DOCUMENT_TYPES",
    "MAX_BATCH_ATTACHMENTS",
    "MAX_BATCH_EXPENSES",
    "AchieveMilestoneSchema",
    "ApproveClaimSchema",
    "ApproveReportSchema",
    "BatchExpenseSchema",
    "BudgetChangeSchema",
    "CompleteActivitySchema",
    "CorrectExpenseSchema",
    "ExclusionSchema",
    "FinancialCorrectionSchema",
    "IndicatorValueInputSchema",
    "PayExpenseSchema",
    "PayoutSchema",
    "RealisationEndSchema",
    "RecordExpenseSchema",
    "RecordExpensesSchema",
    "ReturnReportSchema",
    "ReverseExpenseSchema",
    "StartActivitySchema",
    "SubmitClaimSchema",
    "SubmitReportSchema",
    "TransferSchema",
]

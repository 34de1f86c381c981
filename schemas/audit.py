"""What auditors ask and are answered: chain verification, history filters, an expense's
history, and the audit bundle's arguments."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, PrincipalSchema
from schemas.events import VerificationSchema
from schemas.fields import Day, Moment, Text
from schemas.queries import EventQuerySchema
from schemas.resources import ExpenseSchema

EVENT_TYPES = (
    "ProjectRegistered", "ExpenseRecorded", "ExpensePaid", "ExpenseCorrected", "ExpenseReversed",
    "ActivityStarted", "ActivityCompleted", "MilestoneAchieved", "BudgetChanged",
    "RealisationEndChanged", "PaymentClaimSubmitted", "PaymentClaimApproved", "SubsidyPaid",
    "FinancialCorrectionImposed", "ReportSubmitted", "ReportApproved", "ReportReturned",
    "AccessGranted", "AccessRevoked",
)
"""The business names of a project's events (the domain's event classes; a test keeps the two
in step, since this package may not import the domain)."""

BREAK_REASONS = ("content changed", "link broken", "version missing", "content unreadable",
                 "claim head mismatch")


# ---- verification -----------------------------------------------------------------------


class VerifiedHeadSchema(BaseSchema):
    """The head of the chain as recomputed: the last stored version and the hash of its
    content (null when that event cannot be read)."""

    version = fields.Integer(required=True)
    hash = fields.String(required=True, allow_none=True)


class ChainBreakSchema(BaseSchema):
    """The first version at which the chain does not hold, and why."""

    version = fields.Integer(required=True)
    reason = fields.String(required=True, metadata={"enum": list(BREAK_REASONS)})
    detail = fields.String(required=True)


class DigestCheckSchema(BaseSchema):
    """A digest saved earlier, and whether it still lies on the chain."""

    version = fields.Integer(required=True)
    hash = fields.String(required=True)
    on_chain = fields.Boolean(required=True)
    detail = fields.String(required=True)


class ChainVerificationSchema(VerificationSchema):
    """The chain recomputed from the stored events. `valid` is true only when the chain holds
    and, if a digest was given, the digest lies on it."""

    project_id = fields.UUID(required=True)
    head = fields.Nested(VerifiedHeadSchema, required=True)
    first_break = fields.Nested(ChainBreakSchema, required=True, allow_none=True)
    digest = fields.Nested(DigestCheckSchema, required=True, allow_none=True)


# ---- history ----------------------------------------------------------------------------


class EventFilterQuerySchema(EventQuerySchema):
    """A project's events, only those of given types, by a principal, recorded within
    [`recorded_after`, `recorded_before`), or touching an expense."""

    type = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        metadata={"description": "repeat for several types: ?type=A&type=B"},
    )
    recorded_by = Text(max_length=200, metadata={"description": "the principal's name"})
    recorded_after = Moment(metadata={"description": "recorded at or after this moment"})
    recorded_before = Moment(metadata={"description": "recorded strictly before this moment"})
    expense_id = fields.UUID(metadata={
        "description": "events that record, pay, correct, reverse, claim, approve or impose a "
                       "financial correction on this expense"})


class FieldChangeSchema(BaseSchema):
    """One field of an expense as it was before an event and after it (JSON values, amounts
    and dates as strings; `before` is null when the event recorded the expense)."""

    field = fields.String(required=True)
    before = fields.Raw(required=True, allow_none=True)
    after = fields.Raw(required=True, allow_none=True)


class ExpenseVersionSchema(BaseSchema):
    """An event that touched the expense: who, when, what changed, why, and the expense as it
    stood after it."""

    version = fields.Integer(required=True)
    position = fields.Integer(required=True)
    type = fields.String(required=True)
    recorded_at = Moment(required=True)
    recorded_by = fields.Nested(PrincipalSchema, required=True)
    changes = fields.List(fields.Nested(FieldChangeSchema), required=True)
    reason = fields.String(required=True, allow_none=True)
    expense = fields.Nested(ExpenseSchema, required=True)


class ExpenseHistorySchema(BaseSchema):
    """An expense's versions side by side, oldest first."""

    project_id = fields.UUID(required=True)
    expense_id = fields.UUID(required=True)
    versions = fields.List(fields.Nested(ExpenseVersionSchema), required=True)


# ---- the audit bundle -------------------------------------------------------------------


class ExportQuerySchema(BaseSchema):
    """`on`: the reference date of the views in the bundle (default: the day, in Prague, of
    the last event, so that the bundle is a function of the ledger alone)."""

    on = Day()


__all__ = [
    "BREAK_REASONS",
    "EVENT_TYPES",
    "ChainBreakSchema",
    "ChainVerificationSchema",
    "DigestCheckSchema",
    "EventFilterQuerySchema",
    "ExpenseHistorySchema",
    "ExpenseVersionSchema",
    "ExportQuerySchema",
    "FieldChangeSchema",
    "VerifiedHeadSchema",
]

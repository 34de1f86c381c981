"""The obligations calendar: its query arguments and its JSON shape."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.common import BaseSchema, ReferenceSchema
from schemas.fields import Day, Text

ENTRY_KINDS = ["activity_end", "milestone_due", "claim_deadline", "final_claim_deadline",
               "report_due", "sustainability_end", "retention_end"]


class CalendarQuerySchema(BaseSchema):
    """`on`: the reference date for statuses (default today in Prague); `from` and `to`: only
    the entries dated within them (both inclusive); `min_position`: wait until the ledger has
    reached that global position, as for a view."""

    on = Day()
    from_ = Day(data_key="from")
    to = Day()
    min_position = fields.Integer(validate=validate.Range(min=0))

    @validates_schema
    def _from_not_after_to(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "from_" in data and "to" in data and data["from_"] > data["to"]:
            raise ValidationError("`from` must not be after `to`.", "from")


class FeedQuerySchema(CalendarQuerySchema):
    """The calendar query, and a feed `key` for calendar apps that cannot send a bearer token
    (grantledger feed-key)."""

    key = Text(max_length=200, metadata={"description": "a feed key, instead of a bearer token"})


class CalendarEntrySchema(BaseSchema):
    """One dated obligation: a stable `uid`, its status on the reference date, and what it
    refers to (the event that fulfilled it, if any)."""

    uid = fields.String(required=True)
    date = Day(required=True)
    kind = fields.String(required=True, metadata={"enum": ENTRY_KINDS})
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["done", "pending", "overdue"]})
    refs = fields.List(fields.Nested(ReferenceSchema), required=True)


class CalendarSchema(BaseSchema):
    """A project's obligations by date."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    on = Day(required=True)
    entries = fields.List(fields.Nested(CalendarEntrySchema), required=True)


__all__ = [
    "ENTRY_KINDS",
    "CalendarEntrySchema",
    "CalendarQuerySchema",
    "CalendarSchema",
    "FeedQuerySchema",
]

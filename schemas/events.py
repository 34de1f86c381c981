"""The recorded events, as auditors and followers read them, and the chain verification."""

from __future__ import annotations

from marshmallow import fields

from schemas.common import BaseSchema, ChainHeadSchema, PrincipalSchema
from schemas.fields import Moment


class EventSchema(BaseSchema):
    """One recorded event with its place in the hash chain. `data` is the event's body, made
    JSON-safe by the caller (amounts and dates as strings)."""

    position = fields.Integer(required=True)
    project_id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    recorded_at = Moment(required=True)
    recorded_by = fields.Nested(PrincipalSchema, required=True)
    data = fields.Dict(keys=fields.String(), required=True)
    hash = fields.String(required=True)
    previous_hash = fields.String(required=True)


class EventPageSchema(BaseSchema):
    """A page of events in order."""

    events = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class VerificationSchema(BaseSchema):
    """The result of recomputing a project's hash chain: is it intact, how many events, and
    its head."""

    valid = fields.Boolean(required=True)
    events = fields.Integer(required=True)
    head = fields.Nested(ChainHeadSchema, required=True)


__all__ = ["EventPageSchema", "EventSchema", "VerificationSchema"]

"""Who may act on a project: grants, revocations, the access view, and the caller itself."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema
from schemas.fields import Moment, Text

GRANTABLE_ROLES = ("viewer", "accountant", "manager", "auditor")
"""The roles a project grants (domain.access.GRANTABLE; a test keeps the two in step, since
this package may not import the domain)."""
ROLES = (*GRANTABLE_ROLES, "admin")
SUBJECT_LENGTH = 512


def _subject() -> Text:
    return Text(required=True, max_length=SUBJECT_LENGTH,
                metadata={"description": "`<issuer>#<sub>` of an OpenID Connect subject, or a "
                                         "static token's name"})


class GrantAccessSchema(BaseSchema):
    """Gives a subject a role on the project, replacing an earlier grant. A project's manager
    grants viewer, accountant and manager; only an admin grants auditor."""

    subject = _subject()
    role = fields.String(required=True, validate=validate.OneOf(
        GRANTABLE_ROLES, error="Must be one of: {choices} (admin is a global role only)."))
    name = Text(metadata={"description": "how events and lists show the subject; default: "
                                         "the subject"})


class RevokeAccessSchema(BaseSchema):
    """Takes a subject's grant on the project away, from its next request on."""

    subject = _subject()
    reason = Text(required=True)


class AccessQuerySchema(BaseSchema):
    """`as_of`: who held which role at that moment; `min_position`: wait until the view
    reflects that global position."""

    as_of = Moment()
    min_position = fields.Integer(validate=validate.Range(min=0))


class GrantedBySchema(BaseSchema):
    name = fields.String(required=True)
    subject = fields.String(required=True)


class GrantSchema(BaseSchema):
    subject = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    granted_by = fields.Nested(GrantedBySchema, required=True)
    granted_at = Moment(required=True)


class AccessViewSchema(BaseSchema):
    """The grants in force on the project (at `as_of`, when given), by subject."""

    project_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    as_of = Moment(required=True, allow_none=True)
    grants = fields.List(fields.Nested(GrantSchema), required=True)


class MyProjectSchema(BaseSchema):
    project_id = fields.UUID(required=True)
    registration_number = fields.String(required=True)
    role = fields.String(required=True)


class MeSchema(BaseSchema):
    """The caller: its subject, name, global roles and its grants (a global role applies to
    every project and is not repeated per project)."""

    subject = fields.String(required=True)
    name = fields.String(required=True)
    global_roles = fields.List(fields.String(), required=True)
    projects = fields.List(fields.Nested(MyProjectSchema), required=True)


class FeedKeyRequestSchema(BaseSchema):
    """No fields: the key is the caller's."""


class FeedKeySchema(BaseSchema):
    """The caller's read-only calendar feed key and the portfolio feed's URL with it."""

    key = fields.String(required=True)
    url = fields.String(required=True)


__all__ = ["GRANTABLE_ROLES", "AccessQuerySchema", "AccessViewSchema", "FeedKeyRequestSchema",
           "FeedKeySchema", "GrantAccessSchema", "MeSchema", "RevokeAccessSchema"]

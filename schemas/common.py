"""The base schema and the small shapes shared by commands, resources and views."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, pre_dump, validates_schema

from schemas.fields import COUNTRY, Code, Sha256, Text, Title


class BaseSchema(Schema):
    """Every schema of the API.

    Loading refuses unknown fields, so a misspelt field is an error rather than silently
    dropped. Dumping insists on every declared key (except `optional_keys`): a view that forgot
    a figure is a defect to see at once, not a response with a figure missing.
    """

    class Meta:
        unknown = RAISE

    optional_keys: ClassVar[frozenset[str]] = frozenset()

    @pre_dump
    def _require_every_key(self, obj: Any, **kwargs: Any) -> Any:
        if isinstance(obj, Mapping) and not obj.keys() >= self._required_keys:
            missing = self._required_keys - obj.keys()
            raise KeyError(f"{type(self).__name__} needs the keys {sorted(missing)}")
        return obj

    @cached_property
    def _required_keys(self) -> frozenset[str]:
        """Worked out once: the check runs for every item of a nested list."""
        return frozenset(field.attribute or name
                         for name, field in self.dump_fields.items()) - self.optional_keys


class PrincipalSchema(BaseSchema):
    """Who recorded an event: the authenticated name, the role the command was allowed
    under, and (since version 1.2) the subject: `<issuer>#<sub>` or a static token's name."""

    optional_keys = frozenset({"subject"})
    name = fields.String(required=True)
    role = fields.String(required=True)
    subject = fields.String()


class ChainHeadSchema(BaseSchema):
    """A point of a project's hash chain: an event version and its hash."""

    version = fields.Integer(required=True)
    hash = fields.String(required=True)


class SupplierSchema(BaseSchema):
    """A supplier: name, IČO (8 digits; null for a foreign supplier), country (default CZ)."""

    name = Title(required=True)
    ico = Code(allow_none=True, load_default=None)
    country = fields.String(load_default="CZ", validate=COUNTRY)

    @validates_schema
    def _czech_ico_has_eight_digits(self, data: dict[str, Any], **kwargs: Any) -> None:
        ico = data.get("ico")
        if ico is not None and data.get("country", "CZ") == "CZ" and not (
            len(ico) == 8 and ico.isascii() and ico.isdigit()
        ):
            raise ValidationError("A Czech IČO is 8 digits.", "ico")


class AttachmentSchema(BaseSchema):
    """A document kept with an expense, named by its SHA-256 digest."""

    kind = Code(required=True)
    file_name = Text(required=True, max_length=255)
    sha256 = Sha256(required=True)


class ReferenceSchema(BaseSchema):
    """What a flag points at: an expense, a line, an activity, a milestone, a claim…"""

    type = fields.String(required=True)
    id = fields.String(required=True)


class FlagSchema(BaseSchema):
    """A compliance flag: the rule it names, how serious, and the records behind it."""

    rule = fields.String(required=True)
    severity = fields.String(required=True, metadata={"enum": ["error", "warning"]})
    message = fields.String(required=True)
    refs = fields.List(fields.Nested(ReferenceSchema), required=True)


class CommandResultSchema(BaseSchema):
    """The answer to a command: the global position of the last event it recorded."""

    position = fields.Integer(required=True)


class ProjectCreatedSchema(BaseSchema):
    """The answer to a registration."""

    id = fields.UUID(required=True)
    registration_number = fields.String(required=True)
    position = fields.Integer(required=True)


class ExpenseRecordedSchema(BaseSchema):
    """The answer to a recorded expense."""

    expense_id = fields.UUID(required=True)
    position = fields.Integer(required=True)
    time_eligible = fields.Boolean(required=True)


class BatchItemRecordedSchema(BaseSchema):
    """An expense of a batch: its id, the position of its event (null in a dry run), and
    whether it lies in the eligibility window."""

    expense_id = fields.UUID(required=True)
    position = fields.Integer(required=True, allow_none=True)
    time_eligible = fields.Boolean(required=True)


class BatchRecordedSchema(BaseSchema):
    """The answer to a batch: each expense in the order given, and the position of the last
    event (null in a dry run, which records nothing)."""

    expenses = fields.List(fields.Nested(BatchItemRecordedSchema), required=True)
    position = fields.Integer(required=True, allow_none=True)
    dry_run = fields.Boolean(required=True)


class ProblemSchema(BaseSchema):
    """An RFC 9457 problem document; `errors` names each bad field of a 422. Every member the
    service sends is declared, so that clients generated from the OpenAPI document keep them."""

    optional_keys = frozenset({"instance", "rule", "errors", "rule_errors", "request_id",
                               "find_by", "project_id", "project_url"})

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    request_id = fields.String(
        metadata={"description": "the request's id, as in its `X-Request-ID` header and the "
                                 "access log"})
    rule = fields.String()
    errors = fields.Dict(keys=fields.String())
    rule_errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "a batch refused for fields and rules at once: the items "
                                 "refused by rules, by index, as `{rule, detail}`"})
    find_by = fields.String(
        metadata={"description": "where a project's id is found by its registration number "
                                 "(a 404 for a project id)"})
    project_id = fields.String(
        metadata={"description": "the project already registered under the number (a 409)"})
    project_url = fields.String(metadata={"description": "its URL"})


class HealthSchema(BaseSchema):
    """Liveness or readiness, with the result of each check."""

    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), required=True)


__all__ = [
    "AttachmentSchema",
    "BaseSchema",
    "BatchItemRecordedSchema",
    "BatchRecordedSchema",
    "ChainHeadSchema",
    "CommandResultSchema",
    "ExpenseRecordedSchema",
    "FlagSchema",
    "HealthSchema",
    "PrincipalSchema",
    "ProblemSchema",
    "ProjectCreatedSchema",
    "ReferenceSchema",
    "SupplierSchema",
]

"""`POST …/expenses/batch`: up to 1,000 expenses decided in order against one state of the
project and recorded in one transaction, or none of them.

A refusal names every bad item by its index in the list, and records nothing:

- 422 when any item has invalid fields (the schema's checks, or a line or activity the project
  does not have): `errors: {"<index>": {<field>: [messages]}}`. Items that are well formed but
  break a rule are named too, in `rule_errors: {"<index>": {rule, detail}}`, decided against
  the project with the well-formed items only, so one answer lists every mistake it can.
- 409 when every item is well formed and some break a rule of the project's state (double
  financing, within the batch too; an expense id already taken):
  `errors: {"<index>": {rule, detail}}`.

The body may be larger than the service's 1 MiB: `BATCH_MAX_BODY_BYTES` is what 1,000 items
of the schema's maximum sizes take. One such item, every text at its longest in Czech letters
(two bytes each in UTF-8: document number, line and activity codes and IČO 64 characters,
supplier 500, description 2,000), the largest amounts and ten attachments (the batch's limit,
each with a 64-character kind and a 255-character file name), indented by two spaces, is
13,984 bytes; 1,000 of them are 13.3 MiB. The limit is 16 MiB, which leaves room for wider
indentation. A client that escapes every letter as `\\u017e` (six bytes) sends at most about
half that many such items at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID, uuid4

from flask import Response, request
from marshmallow import ValidationError, fields, validate

from domain.commands import RecordExpense
from domain.errors import GrantLedgerError, InvalidCommandError
from schemas import BaseSchema, BatchExpenseSchema
from schemas.commands import MAX_BATCH_EXPENSES
from service.application import BatchOutcome, BatchRefusedError, ProjectNotFoundError
from service.web.auth import current_actor
from service.web.idempotency import answered, remembered, render
from service.web.problems import flatten_messages, problem, validation_problem
from service.web.state import ledger
from service.writer import Answer

BATCH_MAX_BODY_BYTES = 16 * 1024 * 1024
INVALID_TYPE = "urn:grantledger:problem:batch-invalid"
REFUSED_TYPE = "urn:grantledger:problem:batch-refused"
NAMED_IN_DETAIL = 5
EXPENSE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

FieldErrors = dict[int, dict[str, list[str]]]
RuleErrors = dict[int, dict[str, str]]


class _EnvelopeSchema(BaseSchema):
    """The list itself; each item is loaded on its own, so its errors keep its index."""

    expenses = fields.List(fields.Raw(), required=True,
                           validate=validate.Length(min=1, max=MAX_BATCH_EXPENSES))


_ENVELOPE = _EnvelopeSchema()
_ITEM = BatchExpenseSchema()


def decide_batch(project_id: UUID, *, dry_run: bool) -> Response:
    """Records the request's batch (or only decides it): 201 (200 for a dry run) with each
    expense in order, or the refusal naming every bad item."""
    if not ledger().project_exists(project_id):
        raise ProjectNotFoundError(str(project_id))
    envelope = _envelope()
    if isinstance(envelope, Response):
        return envelope
    commands, field_errors = _commands(project_id, envelope)
    if field_errors:
        rule_errors: RuleErrors = {}
        if commands:  # decide the well-formed ones too, so that every mistake is named
            more_fields, rule_errors = _decide_only(commands)
            field_errors.update(more_fields)
        return _refusal(field_errors, rule_errors, len(envelope))
    decided = list(commands.values())

    def answer(outcome: BatchOutcome) -> Answer:
        return _answer(decided, outcome, dry_run)

    try:
        outcome = ledger().handle_batch(decided, current_actor(), dry_run=dry_run,
                                        request=None if dry_run else remembered(answer))
    except BatchRefusedError as refused:
        return _refusal(*_sorted_refusals(refused.refusals, commands), len(envelope))
    return answered(answer(outcome))


def _envelope() -> list[Any] | Response:
    body = request.get_json()
    if _well_formed(body):  # as the schema would load it, without its pass over each item
        return list(body["expenses"])
    try:
        return list(_ENVELOPE.load(body)["expenses"])
    except ValidationError as error:
        errors = flatten_messages(error.messages)
        return validation_problem(422, errors, f"the batch is invalid: {', '.join(errors)}")


def _well_formed(body: Any) -> bool:
    return (isinstance(body, dict) and body.keys() == {"expenses"}
            and isinstance(body["expenses"], list)
            and 1 <= len(body["expenses"]) <= MAX_BATCH_EXPENSES)


def _commands(project_id: UUID, items: list[Any]) -> tuple[dict[int, RecordExpense],
                                                            FieldErrors]:
    """Each well-formed item as a command, by its index; the others' invalid fields. One
    pass of the item schema over the whole list: its fast path (schemas.fast_load) when every
    item is well formed, else marshmallow's `many`, whose errors are keyed by the items'
    indices."""
    try:
        loaded, errors = _ITEM.load(items, many=True), {}
    except ValidationError as error:
        loaded = error.valid_data
        by_index = cast(dict[int, Any], error.messages)
        errors = {index: flatten_messages(messages, whole="item")
                  for index, messages in by_index.items()}
    commands: dict[int, RecordExpense] = {}
    for index, fields_ in enumerate(loaded):
        if index in errors:
            continue
        expense_id = fields_.pop("expense_id", None) or uuid4()
        commands[index] = RecordExpense(project_id=project_id, expense_id=expense_id, **fields_)
    return commands, errors


def _decide_only(commands: Mapping[int, RecordExpense]) -> tuple[FieldErrors, RuleErrors]:
    try:
        ledger().handle_batch(list(commands.values()), current_actor(), dry_run=True)
    except BatchRefusedError as refused:
        return _sorted_refusals(refused.refusals, commands)
    return {}, {}


def _sorted_refusals(refusals: Mapping[int, GrantLedgerError],
                     commands: Mapping[int, RecordExpense]) -> tuple[FieldErrors, RuleErrors]:
    """The domain's refusals (by position among the commands decided) by the items' indices:
    an invalid field, or a broken rule."""
    indices = list(commands)
    item_of: dict[str, int] = {}
    for index, command in commands.items():
        item_of.setdefault(str(command.expense_id), index)
    field_errors: FieldErrors = {}
    rule_errors: RuleErrors = {}
    for position, refusal in refusals.items():
        index = indices[position]
        if isinstance(refusal, InvalidCommandError):
            field_errors[index] = {refusal.field: [refusal.message]}
        else:
            rule_errors[index] = {"rule": refusal.rule,
                                  "detail": _naming_items(refusal.message, item_of)}
    return field_errors, rule_errors


def _naming_items(message: str, item_of: Mapping[str, int]) -> str:
    """A refusal's message, saying which item of the batch an expense id it names is (an id
    the server assigned means nothing to the client)."""
    def named(match: re.Match[str]) -> str:
        index = item_of.get(match.group())
        return match.group() if index is None else f"{match.group()} (item {index} of the batch)"

    return EXPENSE_ID.sub(named, message)


def _refusal(field_errors: FieldErrors, rule_errors: RuleErrors, total: int) -> Response:
    what = ({index: ", ".join(fields_) for index, fields_ in field_errors.items()}
            | {index: error["rule"] for index, error in rule_errors.items()})
    named = [f"item {index} ({what[index]})" for index in sorted(what)]
    more = len(named) - NAMED_IN_DETAIL
    detail = (f"{len(what)} of {total} expenses were refused, so none was recorded: "
              + "; ".join(named[:NAMED_IN_DETAIL]) + (f"; and {more} more" if more > 0 else ""))
    if field_errors:
        members: dict[str, Any] = {"errors": _by_index(field_errors)}
        if rule_errors:
            members["rule_errors"] = _by_index(rule_errors)
        return problem(422, detail, type_=INVALID_TYPE, title="Invalid expenses in the batch",
                       **members)
    return problem(409, detail, type_=REFUSED_TYPE, title="Expenses of the batch refused",
                   errors=_by_index(rule_errors))


def _by_index(errors: Mapping[int, Any]) -> dict[str, Any]:
    return {str(index): errors[index] for index in sorted(errors)}


def _answer(commands: list[RecordExpense], outcome: BatchOutcome, dry_run: bool) -> Answer:
    """The answer to the batch (stored with its events for its Idempotency-Key), as
    BatchRecordedSchema dumps it: its rows are built in JSON's types here, since the schema's
    dump of 500 rows cost a tenth of the CPU of the worker deciding a project's batches."""
    rows = [{"expense_id": str(command.expense_id),
             "position": result.positions[-1] if result.positions else None,
             "time_eligible": outcome.project.is_time_eligible(command.tax_point_date)}
            for command, result in zip(commands, outcome.outcomes, strict=True)]
    body = {"expenses": rows, "position": rows[-1]["position"], "dry_run": dry_run}
    return 200 if dry_run else 201, render(body), None

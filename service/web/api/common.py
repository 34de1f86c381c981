"""What several blueprints share: reading a project's ledger, paging cursors, locations."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

import flask_smorest
from flask import request
from marshmallow import RAISE
from webargs.flaskparser import abort
from werkzeug.exceptions import BadRequest

from domain.commands import ProjectCommand
from projections import LedgerState
from schemas.fields import Day
from service.application import Outcome, ProjectNotFoundError, prague_today, utc_now
from service.web.json_body import StrictBodyParser
from service.web.state import ledger, reads
from service.writer import Answer

F = TypeVar("F", bound=Callable[..., Any])


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint, parsing each request's arguments with one schema instance
    per endpoint: given a schema class, webargs builds a new schema (and its nested ones)
    for every request, which was about a tenth of a recorded expense's time. JSON bodies are
    read strictly (service.web.json_body)."""

    ARGUMENTS_PARSER = StrictBodyParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        # Loading keeps no state on the schema (marshmallow 4 has no context), so one
        # instance serves every thread.
        instance = schema() if isinstance(schema, type) else schema
        if kwargs.get("location") == "query":
            _refuse_unknown_parameters(instance)
            kwargs.setdefault("unknown", RAISE)
        return super().arguments(instance, *args, **kwargs)


def _refuse_unknown_parameters(schema: Any) -> None:
    """A misspelt query parameter (`recorded_afer`) is refused, naming those the request takes,
    instead of being ignored: an auditor's filter silently dropped answers with every event."""
    names = sorted(field.data_key or name for name, field in schema.load_fields.items())
    schema.error_messages = {**schema.error_messages,
                             "unknown": f"Not a parameter of this request; it takes: "
                                        f"{', '.join(names) or 'none'}."}


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Lets one endpoint read a body of up to `max_bytes` instead of the service's 1 MiB
    (MAX_CONTENT_LENGTH); beyond it the request is 413 as anywhere else. Goes before anything
    that reads the body (the idempotency fingerprint, the arguments)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = max_bytes
            return view(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorate


def project_ledger(project_id: UUID, as_of: datetime | None = None) -> LedgerState:
    """The project's read model, folded from its events (up to `as_of` when given)."""
    state = reads().project_state(project_id, as_of=as_of)
    if not state.is_registered:
        raise ProjectNotFoundError(str(project_id))
    return state


def readable_project_ids() -> list[UUID]:
    """The projects the request's principal may read, in the order of registration."""
    from service.web.auth import access_control, current_principal

    ids = reads().project_ids()
    visible = access_control().visible(current_principal())
    return ids if visible is None else [i for i in ids if i in visible]


def reference_date(on: date | None, as_of: datetime | None) -> date:
    """The day statuses are judged on: given, else the day of `as_of`, else today (Prague)."""
    if on is not None:
        return on
    try:
        day = prague_today(as_of if as_of is not None else utc_now())
    except OverflowError:  # the last hours of 9999-12-31 UTC are already year 10000 in Prague
        day = None
    if day is None or not Day.FIRST <= day <= Day.LAST:  # the days `on` itself may name
        abort(400, messages={"query": {"as_of": [
            f"Its day in Europe/Prague must lie between {Day.FIRST} and {Day.LAST}: give a "
            "moment within those years, or `on`."]}})
    return day


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"gl:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position or offset an opaque cursor stands for (0 without one)."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        number = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("the cursor is not one this service handed out") from None
    if prefix != "gl" or number < 0:
        raise BadRequest("the cursor is not one this service handed out")
    return number


def page(items: list[Any], query: dict[str, Any]) -> tuple[list[Any], str | None]:
    """A page of an in-memory list, by offset cursor."""
    start, limit = decode_cursor(query.get("cursor")), query["limit"]
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    return chunk, encode_cursor(start + limit) if more else None


def command_endpoint(blp: Any, rule: str, command_type: type[ProjectCommand], schema: type,
                     roles: frozenset[str], summary: str,
                     path_fields: Mapping[str, str] | None = None, status: int = 200) -> None:
    """Adds `POST rule` running one command on a project, answering `{position}`.

    The command is built from the path (the project id, and the parameters `path_fields`
    renames, e.g. an activity's `code` to the command's `activity`) and the body's fields.
    """
    from schemas import CommandResultSchema
    from service.web.auth import current_actor, requires
    from service.web.idempotency import answered, dumps, idempotent, remembered

    renamed = dict(path_fields or {})
    result = CommandResultSchema()

    def answer(outcome: Outcome) -> Answer:
        return status, dumps(result, {"position": outcome.position}), None

    @requires(roles)
    @idempotent
    @blp.arguments(schema)
    @blp.response(status, CommandResultSchema)
    def view(fields: dict[str, Any], project_id: UUID, **path: Any) -> Any:
        targets = {renamed.get(name, name): value for name, value in path.items()}
        command = command_type(project_id=project_id, **targets, **fields)
        return answered(answer(ledger().handle(command, current_actor(),
                                               remembered(answer))))

    view.__doc__ = summary
    blp.route(rule, methods=["POST"], endpoint=command_type.__name__)(view)

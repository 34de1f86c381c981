"""`Idempotency-Key` on commands: a retry gets the first answer back and records nothing.

A command's answer is stored with its events, in the same transaction (service.writer): a
crash leaves both or neither, and "in flight" is only ever a live transaction — a retry that
arrives meanwhile waits for the project's lock and is then answered from the record. A
refused command's answer (4xx) is stored in a transaction of its own, since it recorded no
events. Records live in the event store's database, so a retry after a restart, or one that
reaches another worker, is recognised.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest, HTTPException

from domain.errors import GrantLedgerError
from service.application import BatchRefusedError, ProjectNotFoundError
from service.metrics import IDEMPOTENT_REPLAYS
from service.store.writes import IdempotencyRecord
from service.web.auth import current_principal
from service.web.problems import PROBLEM_JSON, problem
from service.web.state import ledger
from service.writer import Answer, AnsweredBeforeError, IdempotentRequest

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
MAX_KEY_LENGTH = 255
REFUSALS = (HTTPException, GrantLedgerError, ProjectNotFoundError, BatchRefusedError)


@dataclass(frozen=True)
class _Key:
    scope: str
    key: str
    fingerprint: str


def fingerprint() -> str:
    """Method, path with its query and body; a JSON body counts by its content, not its
    spacing or key order."""
    parsed = request.get_json(silent=True)  # parsed once, for the view too
    if parsed is None:
        body = request.get_data(cache=True)
    else:
        body = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    query = request.query_string.decode("latin-1")
    target = f"{request.path}?{query}" if query else request.path
    return hashlib.sha256(f"{request.method} {target}\n".encode() + body).hexdigest()


def idempotent(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
        # A stored answer is found by the write itself, under the project's lock (no round
        # trip of its own), or when a refusal's answer is stored (another's is there).
        g.idempotency = _Key(current_principal().subject, key, fingerprint())
        try:
            response = _respond(view, *args, **kwargs)
        except AnsweredBeforeError as answered:  # the first request's answer, stored meanwhile
            return _replay(answered.record)
        if 400 <= response.status_code < 500 and not g.get("records_nothing"):
            return _remember_refusal(response)
        if response.status_code < 300 and not g.get("records_nothing"):
            _check_remembered()
        return response

    return wrapper  # type: ignore[return-value]


def remembered(answer: Callable[[T], Answer]) -> IdempotentRequest[T] | None:
    """The request's Idempotency-Key with the answer to store for it, for the application
    to save with the command's events (None without a key)."""
    key: _Key | None = g.get("idempotency")
    if key is None:
        return None
    g.idempotency_remembered = True
    return IdempotentRequest(key.scope, key.key, key.fingerprint, answer)


def answered(answer: Answer) -> Response:
    """The response for an answer, byte for byte what a retry will be given."""
    status, body, location = answer
    response = Response(body, status, mimetype="application/json")
    if location:
        response.headers["Location"] = location
    return response


def dumps(schema: Schema, data: Any) -> str:
    """A body as the API writes it, without the app (an answer may be rendered by the
    thread that commits another request's command with it)."""
    return render(schema.dump(data))


def render(dumped: Any) -> str:
    """A body already in JSON's types as the API writes it (what `dumps` writes)."""
    return json.dumps(dumped, sort_keys=True, separators=(",", ":"))


def _respond(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    """The view's response, refusals included, so that they are replayed the same way."""
    try:
        return current_app.make_response(view(*args, **kwargs))
    except REFUSALS as refusal:
        return current_app.make_response(current_app.handle_user_exception(refusal))


def _remember_refusal(response: Response) -> Response:
    key: _Key = g.idempotency
    mine = IdempotencyRecord(key.scope, key.key, key.fingerprint, response.status_code,
                             response.get_data(as_text=True), response.headers.get("Location"))
    stored = ledger().queries.remember_refusal(mine)
    return response if stored == mine else _replay(stored)


def _check_remembered() -> None:
    if not g.get("idempotency_remembered"):
        raise RuntimeError(f"{request.endpoint} did not hand its Idempotency-Key to the "
                           "application: its answer would not be stored with its events")


def _replay(record: IdempotencyRecord) -> Response:
    if record.fingerprint != g.idempotency.fingerprint:
        return problem(422, "this Idempotency-Key was used for a different request",
                       type_="urn:grantledger:problem:idempotency-key-reused",
                       title="Idempotency key reused")
    response = Response(record.body, record.status,
                        mimetype=PROBLEM_JSON if record.status >= 400 else "application/json")
    response.headers["Idempotent-Replayed"] = "true"
    IDEMPOTENT_REPLAYS.inc()
    if record.location:
        response.headers["Location"] = record.location
    return response

"""`Idempotency-Key` on commands: a retry gets the first answer back and records nothing.

The records live in the event store's database (see service.store.recorders), so a retry after a
restart, or one that reaches another worker, is still recognised.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, request
from werkzeug.exceptions import BadRequest, HTTPException

from domain.errors import GrantLedgerError
from service.application import ProjectNotFoundError
from service.metrics import IDEMPOTENT_REPLAYS
from service.web.auth import current_principal
from service.web.problems import PROBLEM_JSON, problem
from service.web.state import ledger

F = TypeVar("F", bound=Callable[..., Any])
# A request still "in flight" after this long has died with its worker; its key is freed.
STALE_MS = 5 * 60 * 1000
MAX_KEY_LENGTH = 255
REFUSALS = (HTTPException, GrantLedgerError, ProjectNotFoundError)


def fingerprint() -> str:
    """Method, path and body; a JSON body counts by its content, not its spacing or key order."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def idempotent(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
        scope, queries = current_principal().name, ledger().queries
        held = queries.claim_idempotency_key(scope, key, fingerprint(), _now_ms(), STALE_MS)
        if held is not None:
            return _answer_for_held_key(held)
        try:
            response = _respond(view, *args, **kwargs)
        except BaseException:
            queries.release_idempotency_key(scope, key)
            raise
        if response.status_code >= 500:
            queries.release_idempotency_key(scope, key)
        else:
            queries.complete_idempotency_key(scope, key, response.status_code,
                                             response.get_data(as_text=True),
                                             response.headers.get("Location"))
        return response

    return wrapper  # type: ignore[return-value]


def _respond(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    """The view's response, refusals included, so that they are replayed the same way."""
    try:
        return current_app.make_response(view(*args, **kwargs))
    except REFUSALS as refusal:
        return current_app.make_response(current_app.handle_user_exception(refusal))


def _answer_for_held_key(held: dict[str, Any]) -> Response:
    if held["fingerprint"] != fingerprint():
        return problem(422, "this Idempotency-Key was used for a different request",
                       type_="urn:grantledger:problem:idempotency-key-reused",
                       title="Idempotency key reused")
    if held["status"] is None:
        return problem(409, "a request with this Idempotency-Key is still being processed",
                       type_="urn:grantledger:problem:idempotency-key-in-flight",
                       title="Request in flight", headers={"Retry-After": "1"})
    status = held["status"]
    response = Response(held["body"], status,
                        mimetype=PROBLEM_JSON if status >= 400 else "application/json")
    response.headers["Idempotent-Replayed"] = "true"
    IDEMPOTENT_REPLAYS.inc()
    if held["location"]:
        response.headers["Location"] = held["location"]
    return response


def _now_ms() -> int:
    return int(time.time() * 1000)

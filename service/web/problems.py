"""Every error leaves as an RFC 9457 problem document (application/problem+json)."""

from __future__ import annotations

import json
import logging
import re
import sys
from http import HTTPStatus
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from domain.errors import (
    GrantLedgerError,
    InvalidCommandError,
    NotEntitledError,
    ProjectAlreadyRegisteredError,
    UnknownReferenceError,
)
from service.application import ProjectNotFoundError
from service.group_commit import ProjectBusyError
from service.identity import IdentityProviderUnavailableError, InvalidTokenError
from service.web.json_body import WEBARGS_INVALID_JSON, DuplicateKeyError, strict_loads
from service.web.request_log import REQUEST_ID
from service.web.urls import project_url

PROBLEM_JSON = "application/problem+json"
# webargs' locations, as a client knows them (a whole-object error is named by its location).
LOCATIONS = {"json": "body", "form": "body", "query": "query", "view_args": "path"}
PROJECT_PATH = re.compile(r"/api/v1/projects/([^/]+)")
FIND_BY_NUMBER = "/api/v1/projects?registration_number="
VALIDATION_TYPE = "urn:grantledger:problem:validation"
STORE_UNAVAILABLE_TYPE = "urn:grantledger:problem:store-unavailable"
PROJECT_BUSY_TYPE = "urn:grantledger:problem:project-busy"
IDENTITY_PROVIDER_UNAVAILABLE_TYPE = "urn:grantledger:problem:identity-provider-unavailable"
RETRY_AFTER_SECONDS = 1
GENERIC_FIELD_RULES = frozenset({InvalidCommandError.rule, UnknownReferenceError.rule})
log = logging.getLogger(__name__)


def problem(status: int, detail: str, *, type_: str = "about:blank", title: str | None = None,
            headers: dict[str, str] | None = None, **members: Any) -> Response:
    """A problem response; `title` defaults to the status's phrase, as RFC 9457 asks for
    `about:blank`."""
    body = {"type": type_, "title": title or HTTPStatus(status).phrase, "status": status,
            "detail": detail, "instance": request.script_root + request.path, **members}
    if REQUEST_ID in request.environ:  # quoted in a report, it finds the access log's line
        body["request_id"] = request.environ[REQUEST_ID]
    response = Response(json.dumps(body, ensure_ascii=False), status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def rule_problem(status: int, rule: str, detail: str, **members: Any) -> Response:
    """A refusal named by its rule: the rule is in `type`, `title` and its own member."""
    title = rule.replace("_", " ").capitalize()
    return problem(status, detail, type_=f"urn:grantledger:rule:{rule}", title=title,
                   rule=rule, **members)


def flatten_messages(messages: Any, prefix: str = "", whole: str = "body") -> dict[str, list[str]]:
    """marshmallow's nested messages → {"supplier.name": ["…"], "budget_lines.0.amount": […]}.
    An error about a whole object (marshmallow's `_schema`) is named by the object's path, and
    at the top by `whole` (the body, the query)."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = prefix if key == "_schema" else str(key) if not prefix else f"{prefix}.{key}"
            flat.update(flatten_messages(value, name, whole))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or whole: list(messages)}
    return {prefix or whole: [str(messages)]}


def validation_problem(status: int, errors: dict[str, list[str]], detail: str,
                       **members: Any) -> Response:
    return problem(status, detail, type_=VALIDATION_TYPE,
                   title="Invalid request" if status == 400 else "Invalid fields", errors=errors,
                   **members)


def http_exception_problem(error: HTTPException) -> Response:
    """Flask's and webargs' HTTP errors (404, 405, 413, 415, 400, 422 …) as problems."""
    status = error.code or 500
    if status == 413:
        return _too_large()
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        # webargs reports by location; bad query parameters are a malformed request (400).
        only_query = set(messages) <= {"query", "view_args"}
        status = 400 if only_query or status == 400 else status
        if len(messages) > 1:
            errors = flatten_messages(messages)
        else:
            [(location, located)] = messages.items()
            errors = flatten_messages(located, whole=LOCATIONS.get(location, location))
        if errors.get("body") == [WEBARGS_INVALID_JSON]:
            errors["body"] = [_why_unreadable() or WEBARGS_INVALID_JSON]
        return validation_problem(status, errors, _validation_detail(status, errors))
    if status == 404 and request.url_rule is None:
        hint = _project_id_hint(request.path)
        if hint is not None:
            return problem(404, hint, title="Not a project id", find_by=FIND_BY_NUMBER)
    # Allow (405), Retry-After (503) and WWW-Authenticate (401) go out with the problem.
    headers = {name: value for name, value in error.get_headers()
               if name.lower() != "content-type"}
    return problem(status, error.description or HTTPStatus(status).phrase, headers=headers)


def _too_large() -> Response:
    """413, naming the limit of this request (1 MiB, or a batch's 16 MiB)."""
    limit = request.max_content_length
    named = f"{limit:,} bytes ({_size(limit)})" if limit else "the limit"
    return problem(413, f"The body is larger than this request takes: at most {named}. Send "
                   "less at once (a batch of expenses in several batches).")


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:g} MiB" if count >= 1024 * 1024 else f"{count / 1024:g} KiB"


def _project_id_hint(path: str) -> str | None:
    """A path under /api/v1/projects/ that names no project id (a registration number, say)
    matched no route: say what goes there, and how to find it."""
    match = PROJECT_PATH.match(path)
    if match is None:
        return None
    try:
        UUID(match[1])
        return None
    except ValueError:
        shown = match[1] if len(match[1]) <= 40 else f"{match[1][:40]}…"
        return (f"{shown!r} is not a project id: a project's paths take its id, a UUID such "
                "as 3f2c9d1e-8b7a-4c6d-9e0f-112233445566; find it by the registration number "
                f"with GET {FIND_BY_NUMBER}<number>")


def _validation_detail(status: int, errors: dict[str, list[str]]) -> str:
    fields = ", ".join(sorted(errors))
    if status == 400:
        return f"the request could not be read: {fields}"
    return f"{len(errors)} field(s) are invalid: {fields}"


def domain_problem(error: GrantLedgerError) -> Response:
    """A refused command: a field it names (422, or 404 when the field is in the path) or a
    rule the project's state enforces (409)."""
    if isinstance(error, InvalidCommandError):
        path_args = request.view_args or {}
        if isinstance(error, UnknownReferenceError) and error.field in path_args:
            return problem(404, error.message, title=f"Unknown {error.kind}")
        # A field refused by a rule of its own (INDICATOR_MISSING, …) names it too.
        named = {} if error.rule in GENERIC_FIELD_RULES else {"rule": error.rule}
        return validation_problem(422, {error.field: [error.message]},
                                  f"{error.field}: {error.message}", **named)
    if isinstance(error, NotEntitledError):
        return problem(403, error.message, title="Forbidden", rule=error.rule)
    if isinstance(error, ProjectAlreadyRegisteredError) and error.project_id is not None:
        return rule_problem(409, error.rule, error.message, project_id=str(error.project_id),
                            project_url=project_url(error.project_id))
    return rule_problem(409, error.rule, error.message)


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(GrantLedgerError, domain_problem)
    app.register_error_handler(
        ProjectNotFoundError,
        # The same answer whether no project has the id or the principal may not read it:
        # another beneficiary's projects are not disclosed.
        lambda error: problem(404, f"no project with the id {error} is known to you; find a "
                              f"project's id by its registration number with GET "
                              f"{FIND_BY_NUMBER}<number>",
                              title="Unknown project", find_by=FIND_BY_NUMBER))
    app.register_error_handler(HTTPException, http_exception_problem)
    app.register_error_handler(InvalidTokenError, invalid_token)
    app.register_error_handler(IdentityProviderUnavailableError, identity_provider_unavailable)
    for unreachable in (OperationalError, InterfaceError):
        app.register_error_handler(unreachable, store_unavailable)
    app.register_error_handler(ProjectBusyError, project_busy)
    app.register_error_handler(RecursionError, _unreadable_body_or_defect)
    app.register_error_handler(ValueError, _unreadable_body_or_defect)
    app.register_error_handler(Exception, _defect)


def _unreadable_body_or_defect(error: RecursionError | ValueError) -> Response:
    """A JSON body the service cannot read is a malformed request (400), also when it is found
    past webargs' own checks: nested too deeply for the parser, a number with more digits than
    Python converts, a lone surrogate that the event store cannot encode. Any other recursion
    or ValueError is a defect."""
    why = _why_unreadable()
    if why is None:
        return _defect(error)
    errors = {"body": [why]}
    return validation_problem(400, errors, _validation_detail(400, errors))


def _why_unreadable() -> str | None:
    if not request.is_json:
        return None
    try:
        body = strict_loads(request.get_data(cache=True))
    except RecursionError:
        return "The JSON body is nested too deeply."
    except UnicodeDecodeError as error:
        return (f"The body is not UTF-8 text: the byte 0x{error.object[error.start]:02x} at "
                f"offset {error.start} is not UTF-8 (JSON bodies are UTF-8, RFC 8259).")
    except DuplicateKeyError as error:
        return str(error)
    except json.JSONDecodeError as error:
        return (f"The body is not valid JSON: {error.msg.lower()} at line {error.lineno}, "
                f"column {error.colno}.")
    except ValueError:  # json reads the digits, Python refuses to convert that many
        return (f"The JSON body holds a number of more than {sys.get_int_max_str_digits()} "
                "digits.")
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return "The JSON body holds a string that is not Unicode text (a lone surrogate)."
    return None


def invalid_token(error: InvalidTokenError) -> Response:
    """A JWT refused (RFC 6750): the reason, never the token."""
    challenge = f'Bearer error="invalid_token", error_description="{error.reason}"'
    return problem(401, f"the bearer token is refused: {error.reason}", title="Unauthorized",
                   headers={"WWW-Authenticate": challenge})


def identity_provider_unavailable(error: IdentityProviderUnavailableError) -> Response:
    """A key the token needs cannot be fetched from its issuer: 503, and the client retries."""
    log.warning("identity provider unavailable on %s %s: %s", request.method, request.path,
                error)
    return problem(503, "the identity provider cannot be reached to fetch the key this token "
                   "is signed with; retry after the Retry-After pause",
                   type_=IDENTITY_PROVIDER_UNAVAILABLE_TYPE,
                   title="Identity provider unavailable",
                   headers={"Retry-After": str(error.retry_after)})


def store_unavailable(error: Exception) -> Response:
    """The event store cannot be reached (a restart, a lost connection, a pool timeout,
    SQLite's lock held beyond its timeout): 503, and the client retries."""
    # DEBUG: the access log has each 503, and the store's outage is logged once, when it
    # starts and when it ends (service.store.connections), not once per request.
    log.debug("event store unavailable on %s %s: %s", request.method, request.path,
              str(error).strip().splitlines()[0] if str(error).strip() else type(error))
    return problem(503, "the event store cannot be reached just now; retry after the "
                   "Retry-After pause (a command with the same Idempotency-Key is recorded "
                   "at most once)", type_=STORE_UNAVAILABLE_TYPE, title="Store unavailable",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def project_busy(error: ProjectBusyError) -> Response:
    """The request waited its whole deadline behind its project's earlier commands (a burst of
    large batches to one project): 503, and the client retries; the store is reachable."""
    return problem(503, "the project's earlier commands were still being recorded when this "
                   "request's wait ended, and nothing of it was recorded; retry after the "
                   "Retry-After pause (a command with the same Idempotency-Key is recorded at "
                   "most once)", type_=PROJECT_BUSY_TYPE, title="Project busy",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _defect(error: Exception) -> Response:
    log.exception("unhandled error on %s %s (request %s)", request.method, request.path,
                  request.environ.get(REQUEST_ID), exc_info=error)
    return problem(500, "the service failed to handle this request; it has been logged")

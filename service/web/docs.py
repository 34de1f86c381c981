"""The API's documentation: an OpenAPI document that lists every answer an operation gives,
and /docs, which shows it with Swagger UI served by the service itself.

The Swagger UI assets come from the pinned flask-swagger-ui package, so the page works
without internet access. Every URL the page uses is relative (`openapi.json`,
`docs/assets/…`), and so is the document's server (`.`), so the page and its "Try it out"
also work behind a proxy that serves the service under a path prefix (`/grantledger/docs`).
"""

from __future__ import annotations

from http import HTTPStatus
from importlib.metadata import version
from importlib.resources import files
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Blueprint, Flask, Response, render_template, send_from_directory

from domain.access import ROLES
from schemas import ProblemSchema
from service.web.problems import PROBLEM_JSON

SWAGGER_UI_ASSETS = str(files("flask_swagger_ui") / "dist")
SWAGGER_UI_VERSION = version("flask-swagger-ui")

# What each error status means in this API (API.md, "Conventions").
PROBLEMS = {
    400: "Malformed request: a JSON body that cannot be read, or bad query parameters; "
         "`errors` names each.",
    401: "No bearer token, or one the service does not know.",
    403: "The token's role may not do this; `detail` names the roles that may.",
    404: "Unknown project, or unknown expense, activity, milestone or claim named in the path.",
    409: "Refused by a rule of the project's state (`rule` names it), or the same "
         "Idempotency-Key is still in flight (retry after `Retry-After` seconds).",
    413: "The body is over 1 MiB.",
    415: "The body is not JSON: send `Content-Type: application/json`.",
    422: "Well-formed but invalid fields (`errors` names each with its message), or an "
         "Idempotency-Key used before with another body.",
    503: "The event store cannot be reached just now, or (commands) the project's earlier "
         "commands were still being recorded when the wait ended, or (views) the store did "
         "not reach `min_position` within the wait; retry after `Retry-After` seconds.",
}


def problem_response_name(status: int) -> str:
    return f"Problem{status}"


class ErrorResponses(BasePlugin):
    """Adds to every operation the problem answers it can give, decided from what the route
    is: its roles (`service.web.auth.requires`), path parameters, body and query."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        spec.components.schema("Problem", schema=ProblemSchema)
        for status, description in PROBLEMS.items():
            spec.components.response(problem_response_name(status), {
                "description": description,
                "content": {PROBLEM_JSON: {"schema": "Problem"}}})

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs["rule"]
        roles = getattr(self.app.view_functions[rule.endpoint], "_grantledger_roles", None)
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            # flask-smorest lists 422 for any arguments; bad query parameters are 400 here.
            for smorest_422 in (HTTPStatus.UNPROCESSABLE_ENTITY.value, "422"):
                responses.pop(smorest_422, None)
            for status in _statuses(method, operation, roles, path_parameters=rule.arguments):
                responses.setdefault(str(status), problem_response_name(status))
            if roles is None:
                operation["security"] = []
            else:
                operation["description"] = _with_roles(operation.get("description"), roles)


def _statuses(method: str, operation: dict[str, Any], roles: frozenset[str] | None,
              path_parameters: set[str]) -> list[int]:
    query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    statuses = []
    if query or "requestBody" in operation:
        statuses.append(400)
    if roles is not None:
        statuses.append(401)
        if set(ROLES) - roles:
            statuses.append(403)
    if path_parameters:
        statuses.append(404)
    if method == "post":  # every POST is a command
        statuses.append(409)
    if "requestBody" in operation:
        statuses.extend([413, 415, 422])
    if roles is not None:  # every API operation reads or writes the event store
        statuses.append(503)
    return statuses


def _with_roles(description: str | None, roles: frozenset[str]) -> str:
    line = f"Roles: {', '.join(r for r in ROLES if r in roles)}."
    return f"{description}\n\n{line}" if description else line


docs = Blueprint("docs", __name__, template_folder="templates")


@docs.get("/docs")
def page() -> str:
    return render_template("docs.html", swagger_ui_version=SWAGGER_UI_VERSION)


@docs.get("/docs/assets/<path:name>")
def asset(name: str) -> Response:
    return send_from_directory(SWAGGER_UI_ASSETS, name, max_age=24 * 3600)

"""A page's requests to the API, with the signed-in principal's token, and what the API's
refusals mean for the page: 401 sends to sign-in, 403, 404 and 400 are the page's own answer
with the API's words, 503 is the page's 503."""

from __future__ import annotations

from typing import Any

from flask import g
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, NotFound, ServiceUnavailable

from service.web.pages.api_client import ApiAnswer, Query, call_api


class SignInNeeded(HTTPException):
    """No session, an expired one, or a token the API no longer takes."""

    code = 401


class ApiDefect(HTTPException):
    code = 502
    description = "The ledger's API answered unexpectedly; the error is in its log."


def api_get(path: str, query: Query = None, accept: str = "application/json") -> ApiAnswer:
    """The API's successful answer to GET `path`, or the page's error for its refusal."""
    if getattr(g, "pages_token", None) is None:
        raise SignInNeeded()
    answer = call_api(path, g.pages_token, query, accept)
    if answer.status < 300:
        return answer
    raise refusal(answer)


def api_json(path: str, query: Query = None) -> Any:
    return api_get(path, query).json()


def refusal(answer: ApiAnswer) -> HTTPException:
    detail = answer.problem_detail
    if answer.status == 401:
        return SignInNeeded()
    if answer.status == 403:
        return Forbidden(detail)
    if answer.status == 404:
        return NotFound(detail)
    if answer.status in (400, 422):
        return BadRequest(detail)
    if answer.status == 503:
        return ServiceUnavailable(detail)
    return ApiDefect()

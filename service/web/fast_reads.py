"""A dashboard's poll of a live view, answered before Flask from the process's view cache.

Polling every project's views every few seconds is most of a dashboard's load, and answering
it from memory is cheap; Flask's request context, routing, argument parsing and response
wrappers cost more than the answer itself. This WSGI middleware answers exactly the requests
the cache can: `GET` of a project's budget, subsidy, schedule or indicators view without a
query string, by a principal that may read the project, when the cache holds the view
current for today (or reads it so from the stored views: one indexed query).
Every other request, and every case it is unsure of, goes on to the Flask app unchanged, so
the API's validation, errors and problem documents stay in one place. The bodies, ETags, 304s and
metrics it produces are the ones the Flask view would produce for the same request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from flask import Flask
from werkzeug.http import parse_etags

from service.application import prague_today, utc_now
from service.reads.view_cache import CachedView
from service.web.auth import READ
from service.web.request_log import PRINCIPAL
from service.web.request_metrics import observe_request

VIEW_PATH = re.compile(
    r"/api/v1/projects/([0-9a-fA-F-]{36})/views/(budget|subsidy|schedule|indicators)")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FastViewReads:
    def __init__(self, app: Flask) -> None:
        self.next_app: WSGIApp = app.wsgi_app
        self.access = app.extensions["grantledger_access"]
        self.cache = app.extensions["grantledger_views"]
        # The metrics' endpoint label is the URL rule, as the Flask views are counted.
        self.rules = {rule.endpoint.rpartition(".")[2]: rule.rule
                      for rule in app.url_map.iter_rules() if rule.endpoint.startswith("views.")}

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        answer = self._answer(environ)
        if answer is None:
            return self.next_app(environ, start_response)
        name, cached = answer
        status, headers, body = _response(cached, environ.get("HTTP_IF_NONE_MATCH"))
        observe_request("GET", self.rules[name], status, started)
        start_response("304 NOT MODIFIED" if status == 304 else "200 OK", headers)
        return [body]

    def _answer(self, environ: dict[str, Any]) -> tuple[str, CachedView] | None:
        """The view to send, if this request is one the cache can answer."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        match = VIEW_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or not self.cache.live:
            return None
        principal = self.access.quietly(environ.get("HTTP_AUTHORIZATION"))
        if principal is None:
            return None
        try:
            project_id = UUID(match[1])
        except ValueError:
            return None
        if self.access.role_on(principal, project_id, READ) is None:
            return None  # the app answers 404, as for an unknown project
        environ[PRINCIPAL] = principal.subject  # for the access log
        cached = self.cache.current(project_id, match[2], prague_today(utc_now()), None)
        return (match[2], cached) if cached is not None else None


def _response(cached: CachedView, if_none_match: str | None) -> tuple[int, list[tuple[str, str]],
                                                                      bytes]:
    if if_none_match and parse_etags(if_none_match).contains_weak(cached.etag.strip('"')):
        return 304, [("ETag", cached.etag)], b""
    body = cached.body.encode()
    return 200, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                 ("ETag", cached.etag)], body

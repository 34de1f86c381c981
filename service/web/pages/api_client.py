"""The pages' only way to the ledger: requests to the JSON API, dispatched inside the process.

Each page asks the API for the documents it shows, with the signed-in principal's bearer token,
so every figure is the API's figure and every refusal the API's refusal (a project the
principal may not read is the API's 404, hence the page's). The request goes to the WSGI app
below the access log (and above the cached view reads: service.web.fast_reads), so the page's
request is logged once, under its own path, and its internal requests are not; they carry the
page request's id, and the metrics count them by their API endpoint as any other client's.

The environ is built by werkzeug's EnvironBuilder (the one the test client uses) and run with
`run_wsgi_app`, without the test client's cookie jar and redirect handling. A fresh app
context isolates `g`: the API keeps its principal and timers there, and the page its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from service.web.request_log import REQUEST_ID

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EXTENSION = "grantledger_pages_api"
Query = Mapping[str, str | Sequence[str]] | None


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def problem_detail(self) -> str:
        """The problem document's `detail` (what the API says to fix), or the status line."""
        try:
            return str(self.json().get("detail") or self.status)
        except (ValueError, AttributeError):
            return str(self.status)


def keep_api(app: Flask) -> None:
    """Remembers the app's WSGI stack as it stands now (called before the access log wraps it)."""
    app.extensions[EXTENSION] = app.wsgi_app


def call_api(path: str, token: str, query: Query = None, accept: str = "application/json"
             ) -> ApiAnswer:
    """GET `path` of the API as the holder of `token`, from inside a page's request."""
    headers = Headers({"Authorization": f"Bearer {token}", "Accept": accept})
    builder = EnvironBuilder(path=path, base_url=request.root_url, query_string=_query(query),
                             headers=headers,
                             environ_base={"REMOTE_ADDR": request.remote_addr or ""})
    environ = builder.get_environ()
    if REQUEST_ID in request.environ:
        environ[REQUEST_ID] = request.environ[REQUEST_ID]
    api: WSGIApp = current_app.extensions[EXTENSION]
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        body_parts, status, response_headers = run_wsgi_app(api, environ, buffered=True)
        body = b"".join(body_parts)
    return ApiAnswer(int(status.split(" ", 1)[0]), response_headers, body)


def _query(query: Query) -> str | None:
    if not query:
        return None
    pairs = [(name, value) for name, value in query.items() if value not in (None, "")]
    return urlencode(pairs, doseq=True)

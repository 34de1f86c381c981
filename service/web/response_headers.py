"""Headers every answer carries, whichever part of the service wrote it (the Flask views, the
cached view reads of service.web.fast_reads, an error page).

- `X-Content-Type-Options: nosniff` on every answer: a browser takes a CSV, a workbook or a
  problem document for what its Content-Type says, never for HTML it guessed.
- `Cache-Control` on answers to a request that carried credentials (a bearer token, a feed key,
  a principal admitted): `private, no-cache` for JSON — no shared cache keeps another
  beneficiary's figures, and a browser asks again each time, which an ETag answers with 304 —
  and `no-store` for files (workbooks, CSV, calendars, bundles), which no cache keeps at all.
  An answer that set its own Cache-Control keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from service.web.request_log import PRINCIPAL

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
JSON_TYPES = ("application/json", "application/problem+json")
PRIVATE_JSON = "private, no-cache"
PRIVATE_FILE = "no-store"


class ResponseHeaders:
    """WSGI middleware adding the headers above."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            names = {name.lower() for name, _ in headers}
            if "x-content-type-options" not in names:
                headers.append(("X-Content-Type-Options", "nosniff"))
            if "cache-control" not in names and _authenticated(environ):
                headers.append(("Cache-Control", _cache_control(headers)))
            return start_response(status, headers, *args)

        return self.app(environ, start)


def _authenticated(environ: dict[str, Any]) -> bool:
    query = "&" + environ.get("QUERY_STRING", "")
    return bool(environ.get(PRINCIPAL) or environ.get("HTTP_AUTHORIZATION")
                or "&key=" in query)


def _cache_control(headers: list[tuple[str, str]]) -> str:
    """JSON (and a 304, which revalidates a JSON view) may be kept privately and revalidated;
    anything else is a file."""
    content_type = next((value for name, value in headers if name.lower() == "content-type"),
                        None)
    if content_type is None:
        return PRIVATE_JSON
    media_type = content_type.split(";", 1)[0].strip().lower()
    return PRIVATE_JSON if media_type in JSON_TYPES else PRIVATE_FILE

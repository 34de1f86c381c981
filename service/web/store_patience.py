"""Each request waits for the store at most the connect timeout in all
(service.store.connections.answering_within): queued behind its project's other commands, for
a connection and for each answer, since the store last answered it. Without it, a request
queued behind one waiting on a silent store waited for that one and then for itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from service.store.connections import answering_within

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StorePatience:
    """WSGI middleware: the request's handling (not the streaming of its body) within its
    deadline; `seconds` None (SQLite) sets none."""

    def __init__(self, app: WSGIApp, seconds: float | None) -> None:
        self.app, self.seconds = app, seconds

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        with answering_within(self.seconds):
            return self.app(environ, start_response)

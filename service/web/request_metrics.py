"""Every request counted and timed by its URL rule (Prometheus, see service.metrics)."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from flask import Flask, Response, g, request

from service.metrics import LATENCY, REQUESTS


def instrument(app: Flask) -> None:
    """Counts and times every request by its URL rule (not its path: bounded labels)."""

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        observe_request(request.method, endpoint, response.status_code, started)
        return response


@lru_cache(maxsize=1024)
def _children(method: str, endpoint: str, status: int) -> tuple[Any, Any]:
    """The labelled series of one kind of request (labels() costs a lock and a lookup)."""
    return (REQUESTS.labels(method, endpoint, str(status)),
            LATENCY.labels(method, endpoint))


def observe_request(method: str, endpoint: str, status: int, started: float | None) -> None:
    count, latency = _children(method, endpoint, status)
    count.inc()
    if started is not None:
        latency.observe(time.perf_counter() - started)

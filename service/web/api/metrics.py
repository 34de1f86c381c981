"""The Prometheus metrics page."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, request
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.exceptions import Unauthorized

from service.metrics import StoreCollector, exposition
from service.reads.projector import NAME as PROJECTION
from service.web.api.common import Blueprint
from service.web.problems import PROBLEM_JSON
from service.web.state import ledger, read_replica, settings

# A scrape waits at most this long for the read replica's position.
REPLICA_WAIT_SECONDS = 1.0

blp = Blueprint("metrics", __name__, url_prefix="/metrics",
                description="Prometheus text format, for scrapers.")


@blp.route("", methods=["GET"])
@blp.doc(responses={
    "200": {"description": "The metrics, in Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}}},
    "401": {"description": "Only when GRANTLEDGER_METRICS_TOKEN is set: no or another "
                           "bearer token", "content": {PROBLEM_JSON: {"schema": "Problem"}}}})
def metrics() -> Any:
    """Request counts and latencies, events appended, projection lag, the read replica's
    replay lag (with GRANTLEDGER_READ_DATABASE_URL), the portfolio's
    aggregate gauges, and per-project gauges of the projects GRANTLEDGER_METRICS_PROJECTS names"""
    token = settings().metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("the metrics page needs GRANTLEDGER_METRICS_TOKEN as bearer token")
    replica = read_replica()
    position = (None if replica is None
                else lambda: replica.status(REPLICA_WAIT_SECONDS).position)
    return Response(exposition(StoreCollector(ledger(), PROJECTION, settings().metrics_projects,
                                              position)),
                    content_type=CONTENT_TYPE_LATEST)

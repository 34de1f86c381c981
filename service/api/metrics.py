"""The Prometheus metrics page."""

from __future__ import annotations

import hmac
from typing import Any

from flask import request
from werkzeug.exceptions import Unauthorized

from service.api.common import Blueprint
from service.metrics import StoreCollector, exposition
from service.projector import NAME as PROJECTION
from service.state import ledger, settings

blp = Blueprint("metrics", __name__, url_prefix="/metrics",
                description="Prometheus text format, for scrapers.")


@blp.route("", methods=["GET"])
@blp.doc(security=[])
def metrics() -> Any:
    """Request counts and latencies, events appended, projection lag, per-project gauges"""
    token = settings().metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("the metrics page needs GRANTLEDGER_METRICS_TOKEN as bearer token")
    return exposition(StoreCollector(ledger(), PROJECTION))

"""Liveness and readiness for the orchestrator."""

from __future__ import annotations

import logging
from typing import Any

from schemas import HealthSchema
from service.reads.projector import NAME as PROJECTION
from service.web.api.common import Blueprint
from service.web.state import ledger, settings

blp = Blueprint("health", __name__, url_prefix="/health",
                description="Liveness and readiness probes.")
log = logging.getLogger(__name__)


@blp.route("/live", methods=["GET"])
@blp.response(200, HealthSchema)
def live() -> Any:
    """The process answers"""
    return {"status": "ok", "checks": {}}


@blp.route("/ready", methods=["GET"])
@blp.response(200, HealthSchema)
def ready() -> Any:
    """The event store answers and the projector keeps up with the log"""
    try:
        queries = ledger().queries
        head = ledger().recorder.max_notification_id() or 0
        lag = head - queries.projection_position(PROJECTION)
    except Exception as error:  # any failure of the store means "not ready"
        log.warning("event store not ready: %s", error)
        return {"status": "unavailable", "checks": {"event_store": "unavailable"}}, 503
    bound = settings().max_projection_lag
    checks = {"event_store": "ok", "position": head, "projection_lag": lag,
              "projection_lag_bound": bound}
    if lag > bound:
        return {"status": "lagging", "checks": checks}, 503
    return {"status": "ok", "checks": checks}

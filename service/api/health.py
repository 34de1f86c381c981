"""Liveness and readiness for the orchestrator."""

from __future__ import annotations

import logging
from typing import Any

from flask_smorest import Blueprint

from schemas import HealthSchema
from service.state import ledger

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
    """The event store answers"""
    try:
        position = ledger().recorder.max_notification_id() or 0
    except Exception as error:  # any failure of the store means "not ready"
        log.warning("event store not ready: %s", error)
        return {"status": "unavailable", "checks": {"event_store": "unavailable"}}, 503
    return {"status": "ok", "checks": {"event_store": "ok", "position": position}}

"""Liveness and readiness for the orchestrator."""

from __future__ import annotations

from typing import Any

from schemas import HealthSchema
from service.application import utc_now
from service.reads.projector import NAME as PROJECTION
from service.store.connections import waiting_at_most
from service.store.viewstore import ProjectionStatus
from service.web.api.common import Blueprint
from service.web.state import ledger, read_replica, settings

blp = Blueprint("health", __name__, url_prefix="/health",
                description="Liveness and readiness probes.")
# A probe answers within a couple of seconds whatever the store does (a path that holds the
# bytes included): an orchestrator's probe times out after a few.
READY_WAIT_SECONDS = 1.0


@blp.route("/live", methods=["GET"])
@blp.response(200, HealthSchema)
def live() -> Any:
    """The process answers"""
    return {"status": "ok", "checks": {}}


@blp.route("/ready", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description=(
    "Not ready: the event store does not answer (`unavailable`), the log moved and no "
    "projector showed it is alive within `projector_heartbeat_bound_seconds` (`stalled`), or "
    "the projector is more than `projection_lag_bound` events behind (`lagging`). With a read "
    "replica, `read_replica` is `ok` (with `read_replica_lag`, events not yet replayed) or "
    "`unavailable`; either way the status is the store's: reads go to it meanwhile."))
def ready() -> Any:
    """The event store answers and a live projector keeps up with the log"""
    try:
        with waiting_at_most(READY_WAIT_SECONDS):
            head = ledger().recorder.max_notification_id() or 0
            projection = ledger().queries.projection_status(PROJECTION)
    except Exception:  # any failure of the store means "not ready" (its outage is logged
        # once, by the store's connections, not on every probe)
        return {"status": "unavailable", "checks": {"event_store": "unavailable"}}, 503
    checks, status = _projection_checks(head, projection)
    replica = read_replica()
    if replica is not None:  # reads fall back to the store: ready whatever it says
        checks.update(replica.status(READY_WAIT_SECONDS).checks(head))
    return {"status": status, "checks": checks}, 200 if status == "ok" else 503


def _projection_checks(head: int, projection: ProjectionStatus) -> tuple[dict[str, Any], str]:
    """The checks of the views, and the readiness they amount to: `stalled` when the log has
    moved and no projector has shown it is alive for longer than the bound (views that
    silently stop moving are an outage), `lagging` when it is too far behind."""
    lag = head - projection.position
    age = None
    if projection.heartbeat_at is not None:
        age = round(max(0.0, (utc_now() - projection.heartbeat_at).total_seconds()), 1)
    bounds = settings()
    checks = {"event_store": "ok", "position": head, "projection_lag": lag,
              "projection_lag_bound": bounds.max_projection_lag,
              "projector_heartbeat_age_seconds": age,
              "projector_heartbeat_bound_seconds": bounds.max_heartbeat_age}
    if lag > 0 and (age is None or age > bounds.max_heartbeat_age):
        return checks, "stalled"
    if lag > bounds.max_projection_lag:
        return checks, "lagging"
    return checks, "ok"

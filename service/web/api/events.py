"""The history itself: a project's events, and every event in global order."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from domain.events import event_data, event_type
from domain.hashing import canonical_json
from schemas import EventFilterQuerySchema, EventPageSchema, EventQuerySchema
from service.application import ProjectNotFoundError
from service.web.api.common import Blueprint, decode_cursor, encode_cursor
from service.web.api.event_filters import project_event_page
from service.web.auth import AUDIT, access_control, current_principal, requires
from service.web.state import reads
from service.web.urls import API

blp = Blueprint("events", __name__, url_prefix=API,
                description="The immutable event history, for auditors and followers.")


def event_document(position: int, event: Any) -> dict[str, Any]:
    """An event as the API shows it; `data` is exactly what its hash covers."""
    return {
        "position": position, "project_id": event.originator_id,
        "version": event.originator_version, "type": event_type(event),
        "recorded_at": event.timestamp, "recorded_by": event.recorded_by,
        "data": json.loads(canonical_json(event_data(event))),
        "hash": event.hash, "previous_hash": event.previous_hash,
    }


@blp.route("/projects/<uuid:project_id>/events", methods=["GET"])
@requires(AUDIT)
@blp.arguments(EventFilterQuerySchema, location="query")
@blp.response(200, EventPageSchema)
def project_events(query: dict[str, Any], project_id: UUID) -> Any:
    """A project's events in order

    Filters for auditors: `type` (repeatable), `recorded_by` (a principal's name),
    `recorded_after` / `recorded_before` (RFC 3339; at or after, strictly before) and
    `expense_id` (the events that touched that expense).
    """
    after, limit = decode_cursor(query.get("cursor")), query["limit"]
    application = reads()
    pairs = project_event_page(application, project_id, query, after, limit)
    if not pairs and not application.project_exists(project_id):
        raise ProjectNotFoundError(str(project_id))
    shown = pairs[:limit]
    next_cursor = encode_cursor(shown[-1][1].originator_version) if len(pairs) > limit else None
    return {"events": [event_document(*pair) for pair in shown], "next_cursor": next_cursor}


@blp.route("/events", methods=["GET"])
@requires(AUDIT, listing=True)
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventPageSchema)
def all_events(query: dict[str, Any]) -> Any:
    """Every project's events in global order

    Those of the projects whose events the principal may read (auditor or admin, globally
    or by grant), in the same global order.
    """
    after, limit = decode_cursor(query.get("cursor")), query["limit"]
    visible = access_control().visible(current_principal(), AUDIT)
    pairs = reads().global_events(after, limit + 1, only=visible)
    shown = pairs[:limit]
    next_cursor = encode_cursor(shown[-1][0]) if len(pairs) > limit else None
    return {"events": [event_document(*pair) for pair in shown], "next_cursor": next_cursor}

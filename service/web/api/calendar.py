"""The obligations calendar: JSON for dashboards, iCalendar feeds for calendar apps (one per
project and one for the whole portfolio), which also accept a feed key (`?key=`)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import Response

from projections import LedgerState
from projections.calendar import calendar_entries
from schemas import CalendarQuerySchema, CalendarSchema, FeedQuerySchema
from service.application import ProjectNotFoundError
from service.reads.view_cache import view_etag
from service.web.api.common import (
    Blueprint,
    project_ledger,
    readable_project_ids,
    reference_date,
)
from service.web.api.views import not_modified, wait_for_position
from service.web.auth import READ, requires
from service.web.feed_keys import requires_read_or_feed_key
from service.web.ical import ProjectEntries, ical_feed
from service.web.urls import API

blp = Blueprint("calendar", __name__, url_prefix=API,
                description="Every dated obligation: JSON and iCalendar feeds.")
ICS = {"type": "string", "format": "binary"}
ICS_TYPE = "text/calendar"


def _entries(state: LedgerState, on: date, query: dict[str, Any]) -> list[dict[str, Any]]:
    first, last = query.get("from_"), query.get("to")
    return [e for e in calendar_entries(state, on)
            if (first is None or e["date"] >= first) and (last is None or e["date"] <= last)]


def _project_entries(state: LedgerState, on: date, query: dict[str, Any]) -> ProjectEntries:
    assert state.last_recorded_at is not None  # a registered project has an event
    return ProjectEntries(state.project.acronym, state.project.registration_number,
                          state.last_recorded_at, on, _entries(state, on, query))


def _ics(body: bytes, file_name: str) -> Response:
    response = Response(body, 200, mimetype=ICS_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{file_name}"'
    return response


@blp.route("/projects/<uuid:project_id>/calendar", methods=["GET"])
@requires(READ)
@blp.arguments(CalendarQuerySchema, location="query")
@blp.response(200, CalendarSchema)
def project_calendar(query: dict[str, Any], project_id: UUID) -> Any:
    """The project's obligations by date, with their status on the reference date"""
    on = reference_date(query.get("on"), None)
    wait_for_position(query.get("min_position"))
    state = project_ledger(project_id)
    etag = view_etag("calendar", project_id, state.position, on, query.get("from_"),
                     query.get("to"))
    return not_modified(etag) or ({"project_id": project_id, "position": state.position,
                                   "on": on, "entries": _entries(state, on, query)},
                                  {"ETag": etag})


@blp.route("/projects/<uuid:project_id>/calendar.ics", methods=["GET"])
@requires_read_or_feed_key
@blp.arguments(FeedQuerySchema, location="query")
@blp.response(200, ICS, content_type=ICS_TYPE,
              description="iCalendar: one all-day event per obligation, with a stable UID")
def project_feed(query: dict[str, Any], project_id: UUID) -> Any:
    """The project's obligations as an iCalendar feed

    Calendar apps subscribe with `?key=<feed key>` (grantledger feed-key) instead of a bearer
    token.
    """
    on = reference_date(query.get("on"), None)
    wait_for_position(query.get("min_position"))
    state = project_ledger(project_id)
    acronym = state.project.acronym
    body = ical_feed(f"{acronym} – obligations", [_project_entries(state, on, query)])
    return _ics(body, f"grantledger-{project_id}.ics")


@blp.route("/calendar.ics", methods=["GET"])
@requires_read_or_feed_key
@blp.arguments(FeedQuerySchema, location="query")
@blp.response(200, ICS, content_type=ICS_TYPE,
              description="iCalendar: every project's obligations")
def portfolio_feed(query: dict[str, Any]) -> Any:
    """Every project's obligations as one iCalendar feed"""
    on = reference_date(query.get("on"), None)
    wait_for_position(query.get("min_position"))
    projects = []
    for project_id in readable_project_ids():
        try:
            projects.append(_project_entries(project_ledger(project_id), on, query))
        except ProjectNotFoundError:  # its registration is not readable
            continue
    return _ics(ical_feed("Grantledger – obligations", projects), "grantledger.ics")


__all__ = ["blp"]

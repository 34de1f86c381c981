"""Reports to the provider: submitted by the manager, approved or returned by the auditor, and
read with their status on a reference date and every version submitted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from werkzeug.exceptions import NotFound

from domain.commands import ApproveReport, ReturnReport, SubmitReport
from projections import report_documents
from schemas import (
    ApproveReportSchema,
    ReportListSchema,
    ReportQuerySchema,
    ReportSchema,
    ReturnReportSchema,
    SubmitReportSchema,
)
from service.reads.view_cache import view_etag
from service.web.api.common import Blueprint, command_endpoint, project_ledger, reference_date
from service.web.api.views import not_modified, wait_for_position
from service.web.auth import AUDIT, MANAGE, READ, requires
from service.web.urls import API

blp = Blueprint("reports", __name__, url_prefix=f"{API}/projects/<uuid:project_id>",
                description="Implementation and sustainability reports, with the indicators.")

command_endpoint(blp, "/reports/<code>/submission", SubmitReport, SubmitReportSchema, MANAGE,
                 "Submit a report\n\nEvery indicator of the project once, even at 0, each with "
                 "a comment; a returned report is submitted again the same way.",
                 path_fields={"code": "report"})
command_endpoint(blp, "/reports/<code>/approval", ApproveReport, ApproveReportSchema, AUDIT,
                 "Approve a submitted report", path_fields={"code": "report"})
command_endpoint(blp, "/reports/<code>/return", ReturnReport, ReturnReportSchema, AUDIT,
                 "Return a submitted report, to be submitted again",
                 path_fields={"code": "report"})


def _reports(project_id: UUID, query: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The reports and their ETag, derived from what they are a function of (the project's
    events up to its position, `on`, `as_of`)."""
    as_of: datetime | None = query.get("as_of")
    on = reference_date(query.get("on"), as_of)
    wait_for_position(query.get("min_position"))
    state = project_ledger(project_id, as_of)
    etag = view_etag("reports", project_id, state.position, on, as_of)
    return {"project_id": project_id, "position": state.position, "as_of": as_of, "on": on,
            "reports": report_documents(state, on)}, etag


@blp.route("/reports", methods=["GET"])
@requires(READ)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportListSchema)
def list_reports(query: dict[str, Any], project_id: UUID) -> Any:
    """The report schedule with each report's status, submissions and decisions"""
    reports, etag = _reports(project_id, query)
    return not_modified(etag) or (reports, {"ETag": etag})


@blp.route("/reports/<code>", methods=["GET"])
@requires(READ)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportSchema)
def get_report(query: dict[str, Any], project_id: UUID, code: str) -> Any:
    """One report with its status, submissions and decisions"""
    reports, etag = _reports(project_id, query)
    found = [r for r in reports["reports"] if r["code"] == code]
    if not found:
        raise NotFound(f"the project has no report {code!r}")
    return not_modified(etag) or (found[0], {"ETag": etag})

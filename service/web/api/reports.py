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
    ReportSchema,
    ReturnReportSchema,
    SubmitReportSchema,
    ViewQuerySchema,
)
from service.web.api.common import Blueprint, command_endpoint, project_ledger, reference_date
from service.web.api.views import wait_for_position
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


def _reports(project_id: UUID, query: dict[str, Any]) -> dict[str, Any]:
    as_of: datetime | None = query.get("as_of")
    on = reference_date(query.get("on"), as_of)
    wait_for_position(query.get("min_position"))
    state = project_ledger(project_id, as_of)
    return {"project_id": project_id, "position": state.position, "as_of": as_of, "on": on,
            "reports": report_documents(state, on)}


@blp.route("/reports", methods=["GET"])
@requires(READ)
@blp.arguments(ViewQuerySchema, location="query")
@blp.response(200, ReportListSchema)
def list_reports(query: dict[str, Any], project_id: UUID) -> Any:
    """The report schedule with each report's status, submissions and decisions"""
    return _reports(project_id, query)


@blp.route("/reports/<code>", methods=["GET"])
@requires(READ)
@blp.arguments(ViewQuerySchema, location="query")
@blp.response(200, ReportSchema)
def get_report(query: dict[str, Any], project_id: UUID, code: str) -> Any:
    """One report with its status, submissions and decisions"""
    found = [r for r in _reports(project_id, query)["reports"] if r["code"] == code]
    if not found:
        raise NotFound(f"the project has no report {code!r}")
    return found[0]

"""For auditors: verify a project's hash chain, export its audit bundle, read an expense's
history. Everything here reads the stored rows themselves (service.audit.chain), never a
cache, a snapshot or a materialised view: the point is to check what the store holds."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from werkzeug.exceptions import NotFound

from domain.verification import verify_chain
from projections.expense_history import expense_history
from schemas import (
    ChainVerificationSchema,
    ExpenseHistorySchema,
    ExportQuerySchema,
    VerificationQuerySchema,
)
from service.application import ProjectNotFoundError
from service.audit.chain import StoredEntry, event_pairs, read_chain, verification_document
from service.audit.export import audit_bundle
from service.web.api.common import Blueprint
from service.web.auth import AUDIT, requires
from service.web.problems import rule_problem
from service.web.state import reads
from service.web.urls import API

blp = Blueprint("audit", __name__, url_prefix=f"{API}/projects/<uuid:project_id>",
                description="The audit trail: chain verification, audit bundle, expense history.")


@blp.route("/verification", methods=["GET"])
@requires(AUDIT)
@blp.arguments(VerificationQuerySchema, location="query")
@blp.response(200, ChainVerificationSchema)
def verification(query: dict[str, Any], project_id: UUID) -> Any:
    """Recompute the project's hash chain from the stored events

    With `version` and `hash` (a chain head saved earlier, e.g. a payment claim's
    `submitted_head`) it also answers whether that digest still lies on the chain. On a broken
    chain `first_break` names the first bad version and why.
    """
    report = verify_chain(entry.link for entry in _stored_entries(project_id))
    digest = None
    if "version" in query:
        digest = report.check_digest(query["version"], query["hash"])
    return verification_document(project_id, report, digest)


@blp.route("/export", methods=["GET"])
@requires(AUDIT)
@blp.arguments(ExportQuerySchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/zip",
              description="The audit bundle (zip): events.jsonl, expenses.csv, head.json, "
                          "verify.py, views.json")
def export_bundle(query: dict[str, Any], project_id: UUID) -> Any:
    """Export the project's audit bundle

    The same ledger (and reference date `on`) always gives the same bytes; the ETag is the
    bundle's SHA-256.
    """
    bundle = audit_bundle(project_id, _stored_entries(project_id), query.get("on"))
    response = Response(bundle.content, 200, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{bundle.file_name}"'
    response.headers["ETag"] = f'"{bundle.sha256}"'
    return response


@blp.route("/expenses/<uuid:expense_id>/history", methods=["GET"])
@requires(AUDIT)
@blp.response(200, ExpenseHistorySchema)
def get_expense_history(project_id: UUID, expense_id: UUID) -> Any:
    """An expense's versions side by side

    Every event that recorded, paid, corrected, reversed, claimed or approved the expense (or
    imposed a financial correction on it): who, when, the fields it changed (before → after),
    the reason, and the expense as it stood after it.
    """
    entries = _stored_entries(project_id)
    # History is told only from a chain that holds: a tampered row may not even fold.
    broken = verify_chain(entry.link for entry in entries).first_break
    if broken is not None:
        return rule_problem(409, "CHAIN_BROKEN",
                            f"the stored history is broken at version {broken.version} "
                            f"({broken.reason}); GET …/verification reports it")
    versions = expense_history(event_pairs(entries), str(expense_id))
    if versions is None:
        raise NotFound(f"the project has no expense {expense_id}")
    return {"project_id": project_id, "expense_id": expense_id, "versions": versions}


def _stored_entries(project_id: UUID) -> list[StoredEntry]:
    entries = read_chain(reads(), project_id)
    if not entries:
        raise ProjectNotFoundError(str(project_id))
    return entries


__all__ = ["blp"]

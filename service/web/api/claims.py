"""Payment claims (žádosti o platbu), their approval and payout, and financial corrections."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from werkzeug.exceptions import NotFound

from domain.commands import ApproveClaim, ImposeCorrection, PaySubsidy, SubmitClaim
from projections import claim_documents, claim_list, claim_state
from schemas import (
    ApproveClaimSchema,
    ClaimDocumentsSchema,
    ClaimListSchema,
    ClaimSchema,
    FinancialCorrectionSchema,
    PayoutSchema,
    SpreadsheetQuerySchema,
    SubmitClaimSchema,
)
from service.sheets.claim_documents import claim_documents_table
from service.sheets.csvfile import csv_file
from service.sheets.workbook import workbook
from service.web.api.common import Blueprint, command_endpoint, project_ledger
from service.web.api.files import answer_format, answers_as_files, file_name, file_response
from service.web.auth import AUDIT, MANAGE, READ, requires
from service.web.urls import API

blp = Blueprint("claims", __name__, url_prefix=f"{API}/projects/<uuid:project_id>",
                description="Payment claims, approvals, subsidy payouts, financial corrections.")

command_endpoint(blp, "/payment-claims", SubmitClaim, SubmitClaimSchema, MANAGE,
                 "Submit a payment claim\n\nIts expenses must be paid, time-eligible and in no "
                 "other claim; the chain head at submission is recorded with it.")
command_endpoint(blp, "/payment-claims/<claim_number>/approval", ApproveClaim,
                 ApproveClaimSchema, AUDIT, "Approve a payment claim, with exclusions")
command_endpoint(blp, "/payment-claims/<claim_number>/payout", PaySubsidy, PayoutSchema,
                 AUDIT, "Record a subsidy payout on an approved claim")
command_endpoint(blp, "/financial-corrections", ImposeCorrection, FinancialCorrectionSchema,
                 AUDIT, "Impose a financial correction")


@blp.route("/payment-claims", methods=["GET"])
@requires(READ)
@blp.response(200, ClaimListSchema)
def list_claims(project_id: UUID) -> Any:
    """List payment claims with their figures and chain heads"""
    return {"claims": claim_list(project_ledger(project_id))}


@blp.route("/payment-claims/<claim_number>", methods=["GET"])
@requires(READ)
@blp.response(200, ClaimSchema)
def get_claim(project_id: UUID, claim_number: str) -> Any:
    """Read one payment claim"""
    claim = claim_state(project_ledger(project_id), claim_number)
    if claim is None:
        raise NotFound(f"the project has no payment claim {claim_number!r}")
    return claim


@blp.route("/payment-claims/<claim_number>/documents", methods=["GET"])
@requires(READ)
@blp.arguments(SpreadsheetQuerySchema, location="query")
@blp.response(200, ClaimDocumentsSchema)
@answers_as_files(blp, "csv", "xlsx")
def get_claim_documents(query: dict[str, Any], project_id: UUID, claim_number: str) -> Any:
    """A payment claim's list of accounting documents (soupiska)

    One row per expense of the claim: document number and type, supplier, IČO, country, tax
    point date, net, VAT, the eligible amount declared, what was excluded and why (once
    approved), paid on, budget line, activity; and the totals. As JSON, or as a CSV or XLSX
    file (`format`, or the `Accept` header) with headings in Czech (`lang=cs`, the default) or
    English (`lang=en`).
    """
    state = project_ledger(project_id)
    documents = claim_documents(state, claim_number)
    if documents is None:
        raise NotFound(f"the project has no payment claim {claim_number!r}")
    file_format = answer_format(query.get("format"), ("json", "csv", "xlsx"))
    if file_format == "json":
        return {"project_id": project_id, "position": state.position, **documents}
    lang = query["lang"]
    table = claim_documents_table(documents, state.project, lang,
                                  preamble=file_format == "xlsx")
    content = csv_file(table) if file_format == "csv" else workbook(
        [table], title=f"{state.project.acronym}: {table.name} {claim_number}",
        moment=state.last_recorded_at, lang=lang)
    words = ("ZoP", claim_number, "soupiska") if lang == "cs" else (
        "claim", claim_number, "documents")
    return file_response(content, file_format, file_name(state, *words, extension=file_format))

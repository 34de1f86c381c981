"""Payment claims (žádosti o platbu), their approval and payout, and financial corrections."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from werkzeug.exceptions import NotFound

from domain.commands import ApproveClaim, ImposeCorrection, PaySubsidy, SubmitClaim
from projections import claim_list, claim_state
from schemas import (
    ApproveClaimSchema,
    ClaimListSchema,
    ClaimSchema,
    FinancialCorrectionSchema,
    PayoutSchema,
    SubmitClaimSchema,
)
from service.web.api.common import API, Blueprint, command_endpoint, project_ledger
from service.web.auth import AUDIT, MANAGE, READ, requires

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

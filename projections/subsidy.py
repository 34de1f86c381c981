"""The subsidy-share view: entitlement against the eligible total, and the money of the claims."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.money import ZERO, ratio
from projections.details import claim_list
from projections.figures import (
    LineFigures,
    eligible_total,
    line_figures,
    requested_subsidy,
    uncapped_subsidy,
)
from projections.flags import WARNING, Flag, event_refs, flag
from projections.ledger import LedgerState


def subsidy_view(
    state: LedgerState, on: date, *, lines: list[LineFigures] | None = None
) -> dict[str, Any]:
    """Entitlement = min(floor(rate × Σ eligible_capped), max subsidy); claims use the amounts
    their events stored, except that `requested` counts an expense reversed since its claim's
    submission as zero (each claim row shows what its submission requested). `on` is accepted
    for symmetry with the other views: no figure here depends on a reference date."""
    del on
    project = state.project
    eligible = eligible_total(line_figures(state) if lines is None else lines)
    uncapped = uncapped_subsidy(state, eligible)
    entitlement = min(uncapped, project.max_subsidy)
    paid = sum((p.amount for p in state.payouts()), ZERO)
    corrections = sum((c.amount for c in state.corrections), ZERO)
    return {
        "project_id": state.project_id,
        "position": state.position,
        "support_rate": project.support_rate,
        "max_subsidy": project.max_subsidy,
        "eligible_total": eligible,
        "entitlement": entitlement,
        "requested": sum((requested_subsidy(state, c) for c in state.claims.values()), ZERO),
        "approved": sum((c.approved_subsidy or ZERO for c in state.claims.values()), ZERO),
        "paid": paid,
        "corrections": corrections,
        "net_subsidy": paid - corrections,
        "own_financing": eligible - entitlement,
        "subsidy_share": ratio(entitlement, eligible),
        "cap_reached": uncapped >= project.max_subsidy,
        "claims": claim_list(state),
        "flags": subsidy_flags(state, eligible),
    }


def subsidy_flags(state: LedgerState, eligible: Decimal | None = None) -> list[Flag]:
    """SUBSIDY_CAP_REACHED when floor(rate × eligible total) reaches the maximum subsidy."""
    project = state.project
    if eligible is None:
        eligible = eligible_total(line_figures(state))
    uncapped = uncapped_subsidy(state, eligible)
    if uncapped < project.max_subsidy:
        return []
    return [
        flag(
            "SUBSIDY_CAP_REACHED",
            WARNING,
            f"The subsidy at {project.support_rate} of {eligible} {project.currency} eligible "
            f"would be {uncapped}, which reaches the maximum of {project.max_subsidy}; "
            f"further eligible expenditure is financed by the beneficiary.",
            event_refs(project.registered_position),
        )
    ]

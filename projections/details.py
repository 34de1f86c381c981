"""The project, its expenses and its payment claims in their current state."""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.copies import detached
from domain.money import ZERO
from projections.ledger import ClaimState, ExpenseState, LedgerState


def project_detail(state: LedgerState) -> dict[str, Any]:
    """The project as registered and changed since: lines, schedule, stages, current end,
    indicators and the report schedule as it stands."""
    p = state.project
    return {
        "id": state.project_id,
        "registration_number": p.registration_number,
        "acronym": p.acronym,
        "title": p.title,
        "beneficiary": copy.deepcopy(p.beneficiary),
        "programme": p.programme,
        "call": p.call,
        "provider": p.provider,
        "realisation_start": p.realisation_start,
        "realisation_end": p.realisation_end,
        "original_realisation_end": p.original_realisation_end,
        "eligible_from": p.eligible_from,
        "latest_end": p.latest_end,
        "currency": p.currency,
        "support_rate": p.support_rate,
        "max_subsidy": p.max_subsidy,
        "line_transfer_tolerance": p.line_transfer_tolerance,
        "claim_deadline_days": p.claim_deadline_days,
        "budget_lines": [
            {
                "code": line.code,
                "name": line.name,
                "registered": line.registered,
                "planned": line.planned,
            }
            for line in state.lines.values()
        ],
        "activities": [
            {
                "code": a.code,
                "parent": a.parent,
                "title": a.title,
                "planned_start": a.planned_start,
                "planned_end": a.planned_end,
                "started_on": a.started_on,
                "completed_on": a.completed_on,
            }
            for a in state.activities.values()
        ],
        "milestones": [
            {
                "code": m.code,
                "title": m.title,
                "due": m.due,
                "activity": m.activity,
                "achieved_on": m.achieved_on,
            }
            for m in state.milestones.values()
        ],
        "stages": [{"code": s.code, "start": s.start, "end": s.end} for s in p.stages],
        "indicators": [
            {"code": i.code, "name": i.name, "unit": i.unit, "kind": i.kind,
             "baseline": i.baseline, "target": i.target}
            for i in state.indicators.values()
        ],
        "sustainability_years": p.sustainability_years,
        "retention_until": p.retention_until,
        "reports": [
            {"code": r.code, "kind": r.kind, "period_start": r.period_start,
             "period_end": r.period_end, "due": r.due}
            for r in p.report_schedule()
        ],
        "default_report_schedule": p.report_plan is None,
        "version": state.version,
        "position": state.position,
        "head": state.head,
        "registered_at": p.registered_at,
        "registered_by": dict(p.registered_by),
    }


def expense_state(state: LedgerState, expense_id: str | UUID) -> dict[str, Any] | None:
    """One expense as it stands now; `None` when the project has no such expense."""
    expense = state.expenses.get(str(expense_id))
    return None if expense is None else _expense_row(state, expense)


def expense_list(state: LedgerState) -> list[dict[str, Any]]:
    """Every expense, reversed ones too, in the order they were recorded."""
    return [_expense_row(state, e) for e in state.expenses.values()]


def _expense_row(state: LedgerState, e: ExpenseState) -> dict[str, Any]:
    return {
        "expense_id": e.expense_id,
        "document_number": e.document_number,
        "document_type": e.document_type,
        "supplier": detached(e.supplier),
        "description": e.description,
        "budget_line": e.budget_line,
        "activity": e.activity,
        "tax_point_date": e.tax_point_date,
        "amount_net": e.amount_net,
        "vat": e.vat,
        "eligible_amount": e.eligible_amount,
        "paid_on": e.paid_on,
        "attachments": detached(e.attachments),
        "status": "reversed" if e.reversed else "active",
        "time_eligible": state.project.is_time_eligible(e.tax_point_date),
        "claim_number": e.claim_number,
        "approved": e.approved,
        "recorded_at": e.recorded_at,
        "recorded_by": dict(e.recorded_by),
        "recorded_version": e.recorded_version,
        "last_changed_version": e.last_changed_version,
        "corrections": e.corrections,
        "reversal_reason": e.reversal_reason,
    }


def claim_state(state: LedgerState, number: str) -> dict[str, Any] | None:
    """One payment claim; `None` when the project has no claim with that number."""
    claim = state.claims.get(number)
    return None if claim is None else claim_row(claim)


def claim_list(state: LedgerState) -> list[dict[str, Any]]:
    """Every payment claim in the order submitted."""
    return [claim_row(c) for c in state.claims.values()]


def claim_row(c: ClaimState) -> dict[str, Any]:
    return {
        "claim_number": c.claim_number,
        "stage": c.stage,
        "final": c.final,
        "submitted_on": c.submitted_on,
        "expense_ids": list(c.expense_ids),
        "declared_eligible": c.declared_eligible,
        "requested_subsidy": c.requested_subsidy,
        "status": "approved" if c.approved else "submitted",
        "approved_on": c.approved_on,
        "exclusions": [
            {"expense_id": x.expense_id, "amount": x.amount, "reason": x.reason}
            for x in c.exclusions
        ],
        "approved_eligible": c.approved_eligible,
        "approved_subsidy": c.approved_subsidy,
        "paid": c.paid,
        "payouts": [{"amount": p.amount, "paid_on": p.paid_on} for p in c.payouts],
        "submitted_head": dict(c.submitted_head),
        "approved_head": None if c.approved_head is None else dict(c.approved_head),
    }


def claim_documents(state: LedgerState, number: str) -> dict[str, Any] | None:
    """A payment claim's list of accounting documents (soupiska): one row per expense of the
    claim, in the order submitted, with the eligible amount declared at submission and, once
    the claim is approved, what was excluded and why; and the totals. The other fields are the
    expense's as it stands. `None` when the project has no claim with that number."""
    claim = state.claims.get(number)
    if claim is None:
        return None
    declared = {item.expense_id: item.eligible_amount for item in claim.submitted_items}
    excluded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    reasons: dict[str, list[str]] = defaultdict(list)
    for exclusion in claim.exclusions:
        excluded[exclusion.expense_id] += exclusion.amount
        reasons[exclusion.expense_id].append(exclusion.reason)
    rows = [_document_row(n, state.expenses[expense_id], declared[expense_id],
                          excluded[expense_id] if claim.approved else None,
                          "; ".join(reasons[expense_id]) or None)
            for n, expense_id in enumerate(claim.expense_ids, start=1)]
    return {"claim": claim_row(claim), "documents": rows, "totals": {
        "amount_net": sum((r["amount_net"] for r in rows), ZERO),
        "vat": sum((r["vat"] for r in rows), ZERO),
        "eligible_declared": sum((r["eligible_declared"] for r in rows), ZERO),
        "excluded": sum((x.amount for x in claim.exclusions), ZERO) if claim.approved else None,
    }}


def _document_row(n: int, e: ExpenseState, declared: Decimal, excluded: Decimal | None,
                  reason: str | None) -> dict[str, Any]:
    return {
        "row": n,
        "expense_id": e.expense_id,
        "document_number": e.document_number,
        "document_type": e.document_type,
        "supplier": e.supplier["name"],
        "ico": e.supplier.get("ico"),
        "country": e.supplier.get("country"),
        "tax_point_date": e.tax_point_date,
        "amount_net": e.amount_net,
        "vat": e.vat,
        "eligible_declared": declared,
        "excluded": excluded,
        "exclusion_reason": reason,
        "paid_on": e.paid_on,
        "budget_line": e.budget_line,
        "activity": e.activity,
        "status": "reversed" if e.reversed else "active",
    }

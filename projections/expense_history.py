"""An expense's versions side by side: every event that touched it, what it changed, who, why.

An event touches an expense when it records, pays, corrects or reverses it, puts it in a
payment claim, approves that claim, or imposes a financial correction naming it. Each version
is the expense's state right before and right after its event, so a change shows up at the
event that made it and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from domain.events import event_type
from domain.hashing import canonical_json
from domain.project import GrantProject
from projections.details import expense_state
from projections.ledger import LedgerState, Pair

COMPARED_FIELDS = (
    "document_number", "document_type", "supplier", "description", "budget_line", "activity",
    "tax_point_date", "amount_net", "vat", "eligible_amount", "paid_on", "attachments",
    "status", "time_eligible", "claim_number", "approved",
)
"""The expense's own fields; bookkeeping (versions, counts) is left out of the comparison."""


class ExpenseTouches:
    """Which expenses each event touches, fed a project's events in version order (an
    approval names its claim only, so the claims' expenses are remembered)."""

    def __init__(self) -> None:
        self._claims: dict[str, tuple[str, ...]] = {}

    def of(self, event: GrantProject.Event) -> tuple[str, ...]:
        if isinstance(event, (GrantProject.ExpenseRecorded, GrantProject.ExpensePaid,
                              GrantProject.ExpenseCorrected, GrantProject.ExpenseReversed)):
            return (str(event.expense_id),)
        if isinstance(event, GrantProject.PaymentClaimSubmitted):
            ids = tuple(str(i) for i in event.expense_ids)
            self._claims[event.claim_number] = ids
            return ids
        if isinstance(event, GrantProject.PaymentClaimApproved):
            return self._claims.get(event.claim_number, ())
        if isinstance(event, GrantProject.FinancialCorrectionImposed):
            return tuple(str(i) for i in event.expense_ids)
        return ()


def expense_history(pairs: Iterable[Pair], expense_id: str) -> list[dict[str, Any]] | None:
    """The versions of one expense, oldest first; None when the project has no such expense.
    `pairs` are the project's `(position, event)` pairs in version order."""
    state, touches = LedgerState(), ExpenseTouches()
    versions: list[dict[str, Any]] = []
    for position, event in pairs:
        if expense_id not in touches.of(event):
            state.apply(position, event)
            continue
        before = expense_state(state, expense_id)
        state.apply(position, event)
        after = expense_state(state, expense_id)
        if after is None:  # a claim or correction naming an expense the project never had
            continue
        versions.append({
            "version": event.originator_version, "position": position,
            "type": event_type(event), "recorded_at": event.timestamp,
            "recorded_by": dict(event.recorded_by), "changes": field_changes(before, after),
            "reason": _reason(event, expense_id), "expense": after,
        })
    return versions or None


def touching_versions(pairs: Iterable[Pair]) -> dict[str, list[int]]:
    """For every expense, the versions of the events that touched it, in order."""
    touches = ExpenseTouches()
    found: dict[str, list[int]] = {}
    for _, event in pairs:
        for expense_id in touches.of(event):
            found.setdefault(expense_id, []).append(event.originator_version)
    return found


def field_changes(before: dict[str, Any] | None,
                  after: dict[str, Any]) -> list[dict[str, Any]]:
    """The compared fields whose values differ, as JSON values (amounts and dates as the
    strings the hash covers)."""
    changes = []
    for name in COMPARED_FIELDS:
        old = None if before is None else _json_value(before[name])
        new = _json_value(after[name])
        if before is None or old != new:
            changes.append({"field": name, "before": old, "after": new})
    return changes


def _json_value(value: Any) -> Any:
    return json.loads(canonical_json(value))


def _reason(event: GrantProject.Event, expense_id: str) -> str | None:
    if isinstance(event, (GrantProject.ExpenseCorrected, GrantProject.ExpenseReversed,
                          GrantProject.FinancialCorrectionImposed)):
        return event.reason
    if isinstance(event, GrantProject.PaymentClaimApproved):
        excluded = [f"{x['amount']} excluded: {x['reason']}" for x in event.exclusions
                    if str(x["expense_id"]) == expense_id]
        return "; ".join(excluded) or None
    return None

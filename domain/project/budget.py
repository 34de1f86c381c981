"""Budget changes: money moved between lines, notified within the tolerance or approved by
the provider (DOMAIN.md, "Events")."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain import errors
from domain.money import ZERO
from domain.project.checks import positive_money_field
from domain.records import Stamp

if TYPE_CHECKING:
    from domain.project import GrantProject

KINDS = ("notified", "approved")


def change_budget(project: GrantProject, stamp: Stamp, change_id: str, kind: str,
                  transfers: list[dict[str, Any]], reference: str, reason: str) -> None:
    if change_id in project.budget_change_ids:
        raise errors.BudgetChangeIdTakenError(f"budget change {change_id} is recorded")
    if kind not in KINDS:
        raise errors.InvalidCommandError("kind", "must be 'notified' or 'approved'")
    transfers = _checked_transfers(project, transfers)
    for code, delta in net_transfers(transfers).items():
        _check_line_after_change(project, code, delta, kind)
    project.record(project.BudgetChanged, stamp, change_id=change_id, kind=kind,
                   transfers=transfers, reference=reference, reason=reason)


def net_transfers(transfers: list[dict[str, Any]]) -> dict[str, Decimal]:
    """How much each line gains (+) or loses (−) through a budget change's transfers."""
    deltas: dict[str, Decimal] = {}
    for t in transfers:
        deltas[t["from_line"]] = deltas.get(t["from_line"], ZERO) - t["amount"]
        deltas[t["to_line"]] = deltas.get(t["to_line"], ZERO) + t["amount"]
    return deltas


def _checked_transfers(project: GrantProject,
                       transfers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not transfers:
        raise errors.InvalidCommandError("transfers", "a budget change needs a transfer")
    checked = []
    for n, transfer in enumerate(transfers):
        for end in ("from_line", "to_line"):
            if transfer[end] not in project.lines:
                raise errors.UnknownReferenceError(f"transfers.{n}.{end}", "budget line",
                                                   transfer[end], project.lines)
        if transfer["from_line"] == transfer["to_line"]:
            raise errors.InvalidCommandError(f"transfers.{n}.to_line",
                                             "a transfer must move between two lines")
        amount = positive_money_field(transfer["amount"], f"transfers.{n}.amount")
        checked.append({"from_line": transfer["from_line"], "to_line": transfer["to_line"],
                        "amount": amount})
    return checked


def _check_line_after_change(project: GrantProject, code: str, delta: Decimal,
                             kind: str) -> None:
    line = project.lines[code]
    planned = line.planned + delta
    drawn = project.eligible_on_line(code)
    if delta < 0 and planned < drawn:
        raise errors.LineBelowEligibleError(
            f"line {code} would plan {planned}, below the {drawn} already eligible on it")
    allowed = line.registered * (1 + project.tolerance)
    if kind == "notified" and delta > 0 and planned > allowed:
        raise errors.TransferBeyondToleranceError(
            f"line {code} would grow to {planned}, beyond {allowed} (registered "
            f"{line.registered} + tolerance {project.tolerance}): it needs an approved change")

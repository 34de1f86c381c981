"""The small, immutable facts the aggregate keeps to check its invariants.

They are frozen so that a copy of the aggregate can share them: a command replaces a record,
it never changes one in place (see `GrantProject.__deepcopy__`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Stamp:
    """Who records a command, when, and what day it is in Prague; passed in by the service."""

    at: datetime
    name: str
    role: str
    today: date
    subject: str | None = None
    """Who the principal is in its organisation's directory (`<issuer>#<sub>`), or a static
    token's name; events recorded before version 1.2 lack it."""

    @property
    def by(self) -> dict[str, str]:
        by = {"name": self.name, "role": self.role}
        if self.subject is not None:
            by["subject"] = self.subject
        return by


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    registered: Decimal
    planned: Decimal


@dataclass(frozen=True)
class Activity:
    code: str
    planned_start: date
    planned_end: date
    started_on: date | None = None
    completed_on: date | None = None


@dataclass(frozen=True)
class Milestone:
    code: str
    due: date
    achieved_on: date | None = None


@dataclass(frozen=True)
class Stage:
    code: str
    start: date
    end: date


@dataclass(frozen=True)
class Expense:
    expense_id: str
    budget_line: str
    activity: str | None
    supplier_key: str
    document_number: str
    tax_point_date: date
    amount_net: Decimal
    vat: Decimal
    eligible_amount: Decimal
    paid_on: date | None = None
    reversed: bool = False
    claim: str | None = None
    approved: bool = False

    @property
    def document_key(self) -> str:
        return document_key(self.supplier_key, self.document_number, self.budget_line)

    def changed(self, **changes: Any) -> Expense:
        return replace(self, **changes)


@dataclass(frozen=True)
class Claim:
    number: str
    stage: str
    final: bool
    expense_ids: tuple[str, ...]
    approved: bool = False
    approved_subsidy: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class ScheduledReport:
    """A report the provider expects: over a period, due on a date (DOMAIN.md)."""

    code: str
    kind: str
    period_start: date
    period_end: date
    due: date

    @property
    def is_final(self) -> bool:
        return self.kind.startswith("final_")


@dataclass(frozen=True)
class DefaultSchedule:
    """The terms of the default report schedule, derived anew whenever the realisation end
    moves (domain.reporting.default_schedule)."""

    claim_deadline_days: int
    sustainability_years: int


@dataclass(frozen=True)
class ReportProgress:
    """Where a report stands: its last submission and the decision on it, if any."""

    code: str
    submitted_on: date
    decision: str | None = None
    """`approved` or `returned` (None while the last submission waits for a decision)."""
    decided_on: date | None = None


RECORD_TYPES: tuple[type, ...] = (Line, Activity, Milestone, Stage, Expense, Claim,
                                  DefaultSchedule, ReportProgress)
"""Every record an aggregate snapshot can hold; the store registers a transcoding for each."""


def supplier_key(supplier: dict[str, Any]) -> str:
    """Suppliers are told apart by IČO, or by name where they have none."""
    ico = supplier.get("ico")
    return f"ico:{ico}" if ico else f"name:{supplier['name'].strip().casefold()}"


def document_key(supplier: str, document_number: str, budget_line: str) -> str:
    """Same supplier, document and line: the double-financing key."""
    return f"{supplier}\x1f{document_number.strip()}\x1f{budget_line}"

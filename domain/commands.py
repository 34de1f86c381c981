"""Commands: orders to a project, as typed values.

The web layer builds one from a request (path and body), the command line or the demo from
their input; the application loads the project, lets the command `decide` through the
aggregate's method of the same name, and saves what it recorded. A reader (and mypy) can
follow an expense from its endpoint to its event: `RecordExpense` → `LedgerApplication.handle`
→ `RecordExpense.decide` → `GrantProject.record_expense` → `ExpenseRecorded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.project import GrantProject
from domain.records import Stamp


@dataclass(frozen=True)
class RegisterProject:
    """Registers a project: the ProjectRegistered data of DOMAIN.md, as typed values."""

    registration: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ProjectCommand:
    """An order to one registered project."""

    project_id: UUID

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        """Lets the project decide: it records events, or raises a GrantLedgerError."""
        raise NotImplementedError


# ---- expenses ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordExpense(ProjectCommand):
    expense_id: UUID
    document_number: str
    document_type: str
    supplier: dict[str, Any]
    description: str
    budget_line: str
    tax_point_date: date
    amount_net: Decimal
    vat: Decimal
    activity: str | None = None
    eligible_amount: Decimal | None = None
    paid_on: date | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.record_expense(
            stamp, expense_id=self.expense_id, document_number=self.document_number,
            document_type=self.document_type, supplier=self.supplier,
            description=self.description, budget_line=self.budget_line,
            tax_point_date=self.tax_point_date, amount_net=self.amount_net, vat=self.vat,
            activity=self.activity, eligible_amount=self.eligible_amount, paid_on=self.paid_on,
            attachments=self.attachments)


@dataclass(frozen=True, kw_only=True)
class PayExpense(ProjectCommand):
    expense_id: UUID
    paid_on: date

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.pay_expense(stamp, self.expense_id, self.paid_on)


@dataclass(frozen=True, kw_only=True)
class CorrectExpense(ProjectCommand):
    expense_id: UUID
    changes: dict[str, Any]
    reason: str

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.correct_expense(stamp, self.expense_id, self.changes, self.reason)


@dataclass(frozen=True, kw_only=True)
class ReverseExpense(ProjectCommand):
    expense_id: UUID
    reason: str

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.reverse_expense(stamp, self.expense_id, self.reason)


# ---- schedule ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StartActivity(ProjectCommand):
    activity: str
    started_on: date
    note: str | None = None

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.start_activity(stamp, self.activity, self.started_on, self.note)


@dataclass(frozen=True, kw_only=True)
class CompleteActivity(ProjectCommand):
    activity: str
    completed_on: date
    note: str | None = None

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.complete_activity(stamp, self.activity, self.completed_on, self.note)


@dataclass(frozen=True, kw_only=True)
class AchieveMilestone(ProjectCommand):
    milestone: str
    achieved_on: date
    evidence: str | None = None
    evidence_sha256: str | None = None

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.achieve_milestone(stamp, self.milestone, self.achieved_on, self.evidence,
                                  self.evidence_sha256)


@dataclass(frozen=True, kw_only=True)
class ChangeRealisationEnd(ProjectCommand):
    new_end: date
    reference: str

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.change_realisation_end(stamp, self.new_end, self.reference)


# ---- budget and claims ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChangeBudget(ProjectCommand):
    change_id: str
    kind: str
    transfers: list[dict[str, Any]]
    reference: str
    reason: str

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.change_budget(stamp, self.change_id, self.kind, self.transfers, self.reference,
                              self.reason)


@dataclass(frozen=True, kw_only=True)
class SubmitClaim(ProjectCommand):
    claim_number: str
    stage: str
    submitted_on: date
    expense_ids: list[UUID]
    final: bool = False

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.submit_claim(stamp, self.claim_number, self.stage, self.submitted_on,
                             self.final, self.expense_ids)


@dataclass(frozen=True, kw_only=True)
class ApproveClaim(ProjectCommand):
    claim_number: str
    approved_on: date
    exclusions: list[dict[str, Any]] = field(default_factory=list)

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.approve_claim(stamp, self.claim_number, self.approved_on, self.exclusions)


@dataclass(frozen=True, kw_only=True)
class PaySubsidy(ProjectCommand):
    claim_number: str
    amount: Decimal
    paid_on: date

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.pay_subsidy(stamp, self.claim_number, self.amount, self.paid_on)


@dataclass(frozen=True, kw_only=True)
class ImposeCorrection(ProjectCommand):
    correction_id: str
    finding: str
    amount: Decimal
    decided_on: date
    reason: str
    expense_ids: list[UUID] = field(default_factory=list)

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.impose_correction(stamp, self.correction_id, self.finding, self.expense_ids,
                                  self.amount, self.decided_on, self.reason)


# ---- reports ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SubmitReport(ProjectCommand):
    report: str
    submitted_on: date
    indicator_values: list[dict[str, Any]]
    narrative: str | None = None

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.submit_report(stamp, self.report, self.submitted_on, self.indicator_values,
                              self.narrative)


@dataclass(frozen=True, kw_only=True)
class ApproveReport(ProjectCommand):
    report: str
    decided_on: date

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.approve_report(stamp, self.report, self.decided_on)


@dataclass(frozen=True, kw_only=True)
class ReturnReport(ProjectCommand):
    report: str
    decided_on: date
    reason: str

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.return_report(stamp, self.report, self.decided_on, self.reason)


# ---- access -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GrantAccess(ProjectCommand):
    subject: str
    role: str
    name: str | None = None

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.grant_access(stamp, self.subject, self.role, self.name)


@dataclass(frozen=True, kw_only=True)
class RevokeAccess(ProjectCommand):
    subject: str
    reason: str

    def decide(self, project: GrantProject, stamp: Stamp) -> None:
        project.revoke_access(stamp, self.subject, self.reason)

"""One project's ledger, folded event by event: everything the read models are derived from.

`LedgerState.apply(position, event)` takes the project's events in version order, each with its
global position in the store, and keeps the registration, the lines with their planned amounts
after budget changes, every expense in its current state, the schedule, the payment claims, the
payouts, the financial corrections, the indicators and every submission of every report. It
decides nothing and reads no clock: the domain has already checked every event, so a fold only
assigns. The views (budget, subsidy, schedule, …) are pure functions of the folded state.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.copies import detached
from domain.events import event_type
from domain.money import ZERO
from domain.project import CORRECTABLE_FIELDS, GrantProject
from domain.records import DefaultSchedule, ScheduledReport
from domain.reporting import report_schedule, reporting_terms
from projections.running import Contribution, LineSums, RunningFigures

Pair = tuple[int, GrantProject.Event]
"""An event and its global position in the store."""


class ProjectionError(ValueError):
    """The events given cannot be one project's history in version order."""


@dataclass
class StageState:
    code: str
    start: date
    end: date


@dataclass
class ProjectState:
    """The project as registered, with its current realisation end."""

    registration_number: str
    acronym: str
    title: str
    beneficiary: dict[str, Any]
    programme: str
    call: str
    provider: str
    realisation_start: date
    realisation_end: date
    original_realisation_end: date
    eligible_from: date
    latest_end: date | None
    currency: str
    support_rate: Decimal
    max_subsidy: Decimal
    line_transfer_tolerance: Decimal
    claim_deadline_days: int
    stages: list[StageState]
    registered_at: datetime
    registered_by: dict[str, str]
    registered_position: int
    sustainability_years: int
    retention_until: date
    report_plan: list[dict[str, Any]] | None
    """The explicit report schedule, or None for the default one (domain.reporting)."""
    end_change_positions: list[int] = field(default_factory=list)

    def is_time_eligible(self, tax_point_date: date) -> bool:
        """eligible_from ≤ tax point date ≤ the current realisation end."""
        return self.eligible_from <= tax_point_date <= self.realisation_end

    def report_schedule(self) -> list[ScheduledReport]:
        """The reports the provider expects, as the schedule stands."""
        plan = (DefaultSchedule(self.claim_deadline_days, self.sustainability_years)
                if self.report_plan is None else self.report_plan)
        return report_schedule(plan, [(s.code, s.start, s.end) for s in self.stages],
                               self.realisation_end)

    @property
    def schedule_position(self) -> int:
        """The event that set the report schedule: the registration, or for the default
        schedule the last change of the end it follows."""
        return self.registered_position if self.report_plan is not None else self.end_position

    @property
    def end_position(self) -> int:
        """The event that set the current realisation end."""
        if self.end_change_positions:
            return self.end_change_positions[-1]
        return self.registered_position


@dataclass
class LineState:
    code: str
    name: str
    registered: Decimal
    planned: Decimal
    change_positions: list[int] = field(default_factory=list)


@dataclass
class ActivityState:
    code: str
    parent: str | None
    title: str
    planned_start: date
    planned_end: date
    started_on: date | None = None
    started_position: int | None = None
    completed_on: date | None = None
    completed_position: int | None = None


@dataclass
class MilestoneState:
    code: str
    title: str
    due: date
    activity: str | None
    achieved_on: date | None = None
    achieved_position: int | None = None
    evidence: str | None = None
    evidence_sha256: str | None = None


@dataclass
class ExpenseState:
    """An expense as recorded and then corrected, paid or reversed."""

    expense_id: str
    document_number: str
    document_type: str
    supplier: dict[str, Any]
    description: str
    budget_line: str
    activity: str | None
    tax_point_date: date
    amount_net: Decimal
    vat: Decimal
    eligible_amount: Decimal
    paid_on: date | None
    attachments: list[dict[str, Any]]
    recorded_at: datetime
    recorded_by: dict[str, str]
    recorded_version: int
    recorded_position: int
    last_changed_version: int
    tax_point_position: int
    """The event that set the current tax point date: the recording or the last correction."""
    paid_position: int | None = None
    reversed: bool = False
    reversal_reason: str | None = None
    claim_number: str | None = None
    approved: bool = False
    corrections: int = 0


@dataclass(frozen=True)
class ClaimItem:
    """An expense of a claim as it stood when the claim was submitted or approved."""

    expense_id: str
    budget_line: str
    eligible_amount: Decimal


@dataclass(frozen=True)
class Exclusion:
    expense_id: str
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class Payout:
    amount: Decimal
    paid_on: date
    position: int


@dataclass
class ClaimState:
    claim_number: str
    stage: str
    final: bool
    submitted_on: date
    expense_ids: list[str]
    declared_eligible: Decimal
    requested_subsidy: Decimal
    submitted_head: dict[str, Any]
    submitted_position: int
    submitted_items: list[ClaimItem]
    approved: bool = False
    approved_on: date | None = None
    exclusions: list[Exclusion] = field(default_factory=list)
    approved_eligible: Decimal | None = None
    approved_subsidy: Decimal | None = None
    approved_head: dict[str, Any] | None = None
    approved_position: int | None = None
    approved_items: list[ClaimItem] = field(default_factory=list)
    """The claim's active expenses at approval, before exclusions."""
    payouts: list[Payout] = field(default_factory=list)

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payouts), ZERO)


@dataclass(frozen=True)
class BudgetChangeState:
    change_id: str
    kind: str
    transfers: tuple[tuple[str, str, Decimal], ...]
    reference: str
    reason: str
    position: int


@dataclass(frozen=True)
class CorrectionState:
    correction_id: str
    finding: str
    expense_ids: tuple[str, ...]
    amount: Decimal
    decided_on: date
    reason: str
    position: int


@dataclass(frozen=True)
class IndicatorState:
    code: str
    name: str
    unit: str
    kind: str
    baseline: Decimal
    target: Decimal


@dataclass(frozen=True)
class IndicatorValue:
    code: str
    value: Decimal
    comment: str


@dataclass
class SubmissionState:
    """One submission of a report, and the decision on it once there is one."""

    report: str
    submitted_on: date
    values: list[IndicatorValue]
    narrative: str | None
    position: int
    recorded_at: datetime
    recorded_by: dict[str, str]
    decision: str | None = None
    decided_on: date | None = None
    reason: str | None = None
    decision_position: int | None = None
    decided_by: dict[str, str] | None = None


@dataclass
class GrantState:
    """A subject's role on the project, and who granted it when."""

    subject: str
    name: str
    role: str
    granted_by: dict[str, str]
    granted_at: datetime
    position: int


@dataclass
class LedgerState:
    """Everything one project's read models need, after the events folded so far."""

    project_id: UUID | None = None
    registration: ProjectState | None = None
    lines: dict[str, LineState] = field(default_factory=dict)
    activities: dict[str, ActivityState] = field(default_factory=dict)
    milestones: dict[str, MilestoneState] = field(default_factory=dict)
    expenses: dict[str, ExpenseState] = field(default_factory=dict)
    claims: dict[str, ClaimState] = field(default_factory=dict)
    budget_changes: list[BudgetChangeState] = field(default_factory=list)
    corrections: list[CorrectionState] = field(default_factory=list)
    indicators: dict[str, IndicatorState] = field(default_factory=dict)
    submissions: dict[str, list[SubmissionState]] = field(default_factory=dict)
    """Every submission of each report, by report code, oldest first."""
    grants: dict[str, GrantState] = field(default_factory=dict)
    """The grants of access in force, by subject."""
    figures: RunningFigures = field(default_factory=RunningFigures)
    """Each line's sums and the expenses the budget's flags name, kept as events fold."""
    position: int = 0
    version: int = 0
    head_hash: str | None = None
    last_recorded_at: datetime | None = None

    # ---- reading ----------------------------------------------------------------------

    @property
    def is_registered(self) -> bool:
        return self.registration is not None

    @property
    def project(self) -> ProjectState:
        """The registration; raises `ProjectionError` before the project is registered."""
        if self.registration is None:
            raise ProjectionError("no ProjectRegistered event has been folded")
        return self.registration

    @property
    def head(self) -> dict[str, Any]:
        """The chain head: the last folded event's version and hash."""
        return {"version": self.version, "hash": self.head_hash}

    def payouts(self) -> Iterator[Payout]:
        for claim in self.claims.values():
            yield from claim.payouts

    # ---- folding ----------------------------------------------------------------------

    def apply(self, position: int, event: GrantProject.Event) -> None:
        """Folds the project's next event, recorded at `position` in the store."""
        self._check_next(position, event)
        match event:
            case GrantProject.ProjectRegistered():
                self._registered(position, event)
            case GrantProject.ExpenseRecorded():
                self._expense_recorded(position, event)
            case GrantProject.ExpensePaid():
                self._expense_paid(position, event)
            case GrantProject.ExpenseCorrected():
                self._expense_corrected(position, event)
            case GrantProject.ExpenseReversed():
                self._expense_reversed(event)
            case GrantProject.ActivityStarted():
                activity = self._activity(event.activity)
                activity.started_on, activity.started_position = event.started_on, position
            case GrantProject.ActivityCompleted():
                activity = self._activity(event.activity)
                activity.completed_on, activity.completed_position = event.completed_on, position
            case GrantProject.MilestoneAchieved():
                self._milestone_achieved(position, event)
            case GrantProject.BudgetChanged():
                self._budget_changed(position, event)
            case GrantProject.RealisationEndChanged():
                self._end_changed(position, event)
            case GrantProject.PaymentClaimSubmitted():
                self._claim_submitted(position, event)
            case GrantProject.PaymentClaimApproved():
                self._claim_approved(position, event)
            case GrantProject.SubsidyPaid():
                self._claim(event.claim_number).payouts.append(
                    Payout(event.amount, event.paid_on, position)
                )
            case GrantProject.FinancialCorrectionImposed():
                self.corrections.append(
                    CorrectionState(
                        event.correction_id,
                        event.finding,
                        tuple(str(i) for i in event.expense_ids),
                        event.amount,
                        event.decided_on,
                        event.reason,
                        position,
                    )
                )
            case GrantProject.ReportSubmitted():
                self._report_submitted(position, event)
            case GrantProject.ReportApproved():
                self._report_decided(position, event, "approved", None)
            case GrantProject.ReportReturned():
                self._report_decided(position, event, "returned", event.reason)
            case GrantProject.AccessGranted():
                by = event.recorded_by
                self.grants[event.subject] = GrantState(
                    event.subject, event.name, event.role,
                    {"name": by["name"], "subject": by.get("subject", by["name"])},
                    event.timestamp, position)
            case GrantProject.AccessRevoked():
                del self.grants[event.subject]
            case _:
                raise ProjectionError(f"unknown event type {event_type(event)}")
        self.position = position
        self.version = event.originator_version
        self.head_hash = event.hash
        self.last_recorded_at = event.timestamp

    def _check_next(self, position: int, event: GrantProject.Event) -> None:
        if self.registration is None and not isinstance(event, GrantProject.ProjectRegistered):
            raise ProjectionError(
                f"{event_type(event)} at position {position} comes before the registration"
            )
        if self.project_id is not None and event.originator_id != self.project_id:
            raise ProjectionError(
                f"event at position {position} belongs to project {event.originator_id}, "
                f"not {self.project_id}"
            )
        if event.originator_version != self.version + 1:
            raise ProjectionError(
                f"event at position {position} has version {event.originator_version}, "
                f"expected {self.version + 1}"
            )
        if position <= self.position:
            raise ProjectionError(f"position {position} does not follow {self.position}")

    def _registered(self, position: int, event: GrantProject.ProjectRegistered) -> None:
        self.project_id = event.originator_id
        terms = reporting_terms(event)
        self.registration = ProjectState(
            registration_number=event.registration_number,
            acronym=event.acronym,
            title=event.title,
            beneficiary=copy.deepcopy(event.beneficiary),
            programme=event.programme,
            call=event.call,
            provider=event.provider,
            realisation_start=event.realisation_start,
            realisation_end=event.realisation_end,
            original_realisation_end=event.realisation_end,
            eligible_from=event.eligible_from,
            latest_end=event.latest_end,
            currency=event.currency,
            support_rate=event.support_rate,
            max_subsidy=event.max_subsidy,
            line_transfer_tolerance=event.line_transfer_tolerance,
            claim_deadline_days=event.claim_deadline_days,
            stages=[StageState(s["code"], s["start"], s["end"]) for s in event.stages],
            registered_at=event.timestamp,
            registered_by=dict(event.recorded_by),
            registered_position=position,
            sustainability_years=terms.sustainability_years,
            retention_until=terms.retention_until,
            report_plan=copy.deepcopy(terms.reports),
        )
        self.indicators = {
            i["code"]: IndicatorState(i["code"], i["name"], i["unit"], i["kind"], i["baseline"],
                                      i["target"])
            for i in terms.indicators
        }
        self.lines = {
            line["code"]: LineState(line["code"], line["name"], line["amount"], line["amount"])
            for line in event.budget_lines
        }
        self.figures = RunningFigures({code: LineSums() for code in self.lines})
        self.activities = {
            a["code"]: ActivityState(
                a["code"], a.get("parent"), a["title"], a["planned_start"], a["planned_end"]
            )
            for a in event.activities
        }
        self.milestones = {
            m["code"]: MilestoneState(m["code"], m["title"], m["due"], m.get("activity"))
            for m in event.milestones
        }

    def _contribution(self, expense: ExpenseState) -> Contribution | None:
        """What an expense adds to its line's figures now (None once reversed)."""
        if expense.reversed:
            return None
        return Contribution(expense.budget_line, expense.eligible_amount,
                            self.project.is_time_eligible(expense.tax_point_date),
                            expense.paid_on is not None)

    @contextmanager
    def _changing(self, expense: ExpenseState) -> Iterator[None]:
        """Keeps the running figures in step with a change of the expense."""
        old = self._contribution(expense)
        yield
        self.figures.change(expense.expense_id, old, self._contribution(expense))

    def _expense_recorded(self, position: int, event: GrantProject.ExpenseRecorded) -> None:
        expense_id = str(event.expense_id)
        expense = self.expenses[expense_id] = ExpenseState(
            expense_id=expense_id,
            document_number=event.document_number,
            document_type=event.document_type,
            supplier=detached(event.supplier),
            description=event.description,
            budget_line=event.budget_line,
            activity=event.activity,
            tax_point_date=event.tax_point_date,
            amount_net=event.amount_net,
            vat=event.vat,
            eligible_amount=event.eligible_amount,
            paid_on=event.paid_on,
            attachments=detached(event.attachments),
            recorded_at=event.timestamp,
            recorded_by=dict(event.recorded_by),
            recorded_version=event.originator_version,
            recorded_position=position,
            last_changed_version=event.originator_version,
            tax_point_position=position,
            paid_position=position if event.paid_on is not None else None,
        )
        self.figures.change(expense_id, None, self._contribution(expense))

    def _expense_paid(self, position: int, event: GrantProject.ExpensePaid) -> None:
        expense = self._expense(event.expense_id)
        with self._changing(expense):
            expense.paid_on, expense.paid_position = event.paid_on, position
        expense.last_changed_version = event.originator_version

    def _expense_corrected(self, position: int, event: GrantProject.ExpenseCorrected) -> None:
        expense = self._expense(event.expense_id)
        with self._changing(expense):
            for name, value in event.changes.items():
                if name in CORRECTABLE_FIELDS:
                    setattr(expense, name, detached(value))
        if "tax_point_date" in event.changes:
            expense.tax_point_position = position
        expense.corrections += 1
        expense.last_changed_version = event.originator_version

    def _expense_reversed(self, event: GrantProject.ExpenseReversed) -> None:
        expense = self._expense(event.expense_id)
        with self._changing(expense):
            expense.reversed, expense.reversal_reason = True, event.reason
        expense.last_changed_version = event.originator_version
        if expense.claim_number is not None:  # reversed while its claim awaits approval
            item = next(i for i in self._claim(expense.claim_number).submitted_items
                        if i.expense_id == expense.expense_id)
            self.figures.lines[item.budget_line].claimed -= item.eligible_amount

    def _end_changed(self, position: int, event: GrantProject.RealisationEndChanged) -> None:
        """A new end moves the eligibility window: every expense is counted again."""
        before = {e.expense_id: self._contribution(e) for e in self.expenses.values()}
        self.project.realisation_end = event.new_end
        self.project.end_change_positions.append(position)
        for expense in self.expenses.values():
            self.figures.change(expense.expense_id, before[expense.expense_id],
                                self._contribution(expense))

    def _milestone_achieved(self, position: int, event: GrantProject.MilestoneAchieved) -> None:
        milestone = self.milestones.get(event.milestone)
        if milestone is None:
            raise ProjectionError(f"unknown milestone {event.milestone}")
        milestone.achieved_on, milestone.achieved_position = event.achieved_on, position
        milestone.evidence, milestone.evidence_sha256 = event.evidence, event.evidence_sha256

    def _budget_changed(self, position: int, event: GrantProject.BudgetChanged) -> None:
        for transfer in event.transfers:
            giver, taker = self._line(transfer["from_line"]), self._line(transfer["to_line"])
            giver.planned -= transfer["amount"]
            taker.planned += transfer["amount"]
            for line in (giver, taker):
                if position not in line.change_positions:
                    line.change_positions.append(position)
        self.budget_changes.append(
            BudgetChangeState(
                event.change_id,
                event.kind,
                tuple((t["from_line"], t["to_line"], t["amount"]) for t in event.transfers),
                event.reference,
                event.reason,
                position,
            )
        )

    def _claim_submitted(self, position: int, event: GrantProject.PaymentClaimSubmitted) -> None:
        expenses = [self._expense(i) for i in event.expense_ids]
        self.claims[event.claim_number] = ClaimState(
            claim_number=event.claim_number,
            stage=event.stage,
            final=event.final,
            submitted_on=event.submitted_on,
            expense_ids=[e.expense_id for e in expenses],
            declared_eligible=event.declared_eligible,
            requested_subsidy=event.requested_subsidy,
            submitted_head=dict(event.chain_head),
            submitted_position=position,
            submitted_items=[
                ClaimItem(e.expense_id, e.budget_line, e.eligible_amount) for e in expenses
            ],
        )
        for expense in expenses:
            expense.claim_number = event.claim_number
            self.figures.lines[expense.budget_line].claimed += expense.eligible_amount

    def _claim_approved(self, position: int, event: GrantProject.PaymentClaimApproved) -> None:
        claim = self._claim(event.claim_number)
        active = [e for e in (self._expense(i) for i in claim.expense_ids) if not e.reversed]
        claim.approved, claim.approved_on = True, event.approved_on
        claim.exclusions = [
            Exclusion(str(x["expense_id"]), x["amount"], x["reason"]) for x in event.exclusions
        ]
        claim.approved_eligible = event.approved_eligible
        claim.approved_subsidy = event.approved_subsidy
        claim.approved_head = dict(event.chain_head)
        claim.approved_position = position
        claim.approved_items = [
            ClaimItem(e.expense_id, e.budget_line, e.eligible_amount) for e in active
        ]
        for expense in active:
            expense.approved = True
            self.figures.lines[expense.budget_line].approved += expense.eligible_amount
        line_of = {item.expense_id: item.budget_line for item in claim.approved_items}
        for exclusion in claim.exclusions:
            self.figures.lines[line_of[exclusion.expense_id]].approved -= exclusion.amount

    def _report_submitted(self, position: int, event: GrantProject.ReportSubmitted) -> None:
        self.submissions.setdefault(event.report, []).append(
            SubmissionState(
                report=event.report,
                submitted_on=event.submitted_on,
                values=[
                    IndicatorValue(v["code"], v["value"], v["comment"])
                    for v in event.indicator_values
                ],
                narrative=event.narrative,
                position=position,
                recorded_at=event.timestamp,
                recorded_by=dict(event.recorded_by),
            )
        )

    def _report_decided(
        self, position: int, event: GrantProject.ReportApproved | GrantProject.ReportReturned,
        decision: str, reason: str | None,
    ) -> None:
        submissions = self.submissions.get(event.report)
        if not submissions:
            raise ProjectionError(f"report {event.report} is decided before it is submitted")
        last = submissions[-1]
        last.decision, last.decided_on, last.reason = decision, event.decided_on, reason
        last.decision_position, last.decided_by = position, dict(event.recorded_by)

    def _expense(self, expense_id: UUID | str) -> ExpenseState:
        try:
            return self.expenses[str(expense_id)]
        except KeyError:
            raise ProjectionError(f"unknown expense {expense_id}") from None

    def _line(self, code: str) -> LineState:
        try:
            return self.lines[code]
        except KeyError:
            raise ProjectionError(f"unknown budget line {code}") from None

    def _activity(self, code: str) -> ActivityState:
        try:
            return self.activities[code]
        except KeyError:
            raise ProjectionError(f"unknown activity {code}") from None

    def _claim(self, number: str) -> ClaimState:
        try:
            return self.claims[number]
        except KeyError:
            raise ProjectionError(f"unknown payment claim {number}") from None


def fold(pairs: Iterable[Pair], start: LedgerState | None = None) -> LedgerState:
    """The state after folding a project's `(position, event)` pairs, in version order;
    `start` continues from a state folded earlier (a checkpoint) instead of from nothing."""
    state = start if start is not None else LedgerState()
    for position, event in pairs:
        state.apply(position, event)
    return state


def fold_as_of(pairs: Iterable[Pair], as_of: datetime | None,
               start: LedgerState | None = None) -> LedgerState:
    """The state as the ledger stood at the moment `as_of` (timezone-aware).

    Events recorded later than `as_of` are ignored. A history is a chain, so the fold stops at
    the first such event: what was recorded after it cannot be part of the ledger at `as_of`
    without it. `None` folds everything.
    """
    if as_of is None:
        return fold(pairs, start)
    state = start if start is not None else LedgerState()
    for position, event in pairs:
        if event.timestamp > as_of:
            break
        state.apply(position, event)
    return state

"""The GrantProject aggregate: decides every command of an OP PIK project and records the facts.

Each command method checks the invariants of DOMAIN.md against the aggregate's small state and
either raises a `GrantLedgerError` (recording nothing) or records one event. The rules of each
topic live in a module of their own beside this one (`expenses`, `schedule`, `budget`,
`claims`, `reports`, `grants`; the registration's are domain.registration's), functions of
the project that become its methods below.

The event classes stay here, nested in the aggregate: a stored event names its class by its
topic, `domain.project:GrantProject.<Name>`, so they never move (the topics, class versions
and fields are pinned by tests/unit/domain/test_event_topics.py). They only assign state: they
run again on every replay, so they read no clock and check nothing.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from immutables import Map

from domain.copies import detached
from domain.events import event_type
from domain.hashing import GENESIS_HASH, event_hash
from domain.money import ZERO
from domain.project import budget as budget_rules
from domain.project import claims as claim_rules
from domain.project import expenses as expense_rules
from domain.project import grants as grant_rules
from domain.project import reports as report_rules
from domain.project import schedule as schedule_rules
from domain.project.budget import net_transfers
from domain.project.expenses import CORRECTABLE_FIELDS, expense_record_changes
from domain.records import (
    Activity,
    Claim,
    DefaultSchedule,
    Expense,
    Line,
    Milestone,
    ReportProgress,
    ScheduledReport,
    Stage,
    Stamp,
    supplier_key,
)
from domain.registration import complete_registration
from domain.reporting import ReportPlan, report_schedule, reporting_terms

PROJECT_NAMESPACE = uuid5(NAMESPACE_URL, "https://grantledger/projects")


def project_id_for(registration_number: str) -> UUID:
    """A project's id follows from its registration number, so a number registers once."""
    return uuid5(PROJECT_NAMESPACE, registration_number.strip())


class GrantProject(Aggregate):
    """One funded project: its registration, expenses, schedule, budget, claims and reports."""

    # Version 2 (domain 1.1) keeps indicators and reports, version 3 (1.2) the grants of
    # access, version 4 the expenses in persistent maps; a snapshot of an earlier version is
    # upcast.
    class_version = 4

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before version 1.1 is of a project registered before it: no
        indicators, no report schedule (domain.reporting.reporting_terms)."""
        state.update(indicators=[], report_plan=[], reports={})

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Before version 1.2 nobody was granted access to a project."""
        state.update(grants={})

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        """Before version 4 the expenses and their documents were dicts."""
        state.update(expenses=Map(state["expenses"]), documents=Map(state["documents"]))

    class Event(Aggregate.Event):
        recorded_by: dict[str, str]
        previous_hash: str
        hash: str

        def apply(self, aggregate: Any) -> None:
            aggregate.head_hash = self.hash
            self.evolve(aggregate)

        def evolve(self, project: Any) -> None:
            """Assigns the event's state to the project; every event type defines it."""

    class ProjectRegistered(Event, Aggregate.Created):
        registration_number: str
        acronym: str
        title: str
        beneficiary: dict[str, Any]
        programme: str
        call: str
        provider: str
        realisation_start: date
        realisation_end: date
        eligible_from: date
        latest_end: date | None
        currency: str
        support_rate: Decimal
        max_subsidy: Decimal
        line_transfer_tolerance: Decimal
        claim_deadline_days: int
        budget_lines: list[dict[str, Any]]
        activities: list[dict[str, Any]]
        milestones: list[dict[str, Any]]
        stages: list[dict[str, Any]]
        # Since version 1.1; events stored before lack them (domain.reporting.reporting_terms).
        indicators: list[dict[str, Any]]
        sustainability_years: int
        retention_until: date
        reports: list[dict[str, Any]] | None

        def evolve(self, project: Any) -> None:
            terms = reporting_terms(self)
            project.indicators = [i["code"] for i in terms.indicators]
            project.report_plan = (
                DefaultSchedule(self.claim_deadline_days, terms.sustainability_years)
                if terms.reports is None else terms.reports)
            project.reports = {}
            project.registration_number = self.registration_number
            project.vat_payer = bool(self.beneficiary.get("vat_payer"))
            project.realisation_start = self.realisation_start
            project.realisation_end = self.realisation_end
            project.eligible_from = self.eligible_from
            project.latest_end = self.latest_end
            project.support_rate = self.support_rate
            project.max_subsidy = self.max_subsidy
            project.tolerance = self.line_transfer_tolerance
            project.lines = {
                line["code"]: Line(line["code"], line["name"], line["amount"], line["amount"])
                for line in self.budget_lines
            }
            project.activities = {
                a["code"]: Activity(a["code"], a["planned_start"], a["planned_end"])
                for a in self.activities
            }
            project.milestones = {
                m["code"]: Milestone(m["code"], m["due"]) for m in self.milestones
            }
            project.stages = {
                s["code"]: Stage(s["code"], s["start"], s["end"]) for s in self.stages
            }
            project.expenses = Map()
            project.documents = Map()
            project.grants = {}
            project.budget_change_ids = {}
            project.claims = {}
            project.correction_ids = {}
            project.approved_subsidy = ZERO
            project.subsidy_paid = ZERO
            project.corrections_total = ZERO

    class ExpenseRecorded(Event):
        expense_id: UUID
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

        def evolve(self, project: Any) -> None:
            expense = Expense(
                expense_id=str(self.expense_id), budget_line=self.budget_line,
                activity=self.activity, supplier_key=supplier_key(self.supplier),
                document_number=self.document_number, tax_point_date=self.tax_point_date,
                amount_net=self.amount_net, vat=self.vat,
                eligible_amount=self.eligible_amount, paid_on=self.paid_on,
            )
            project.put_expense(expense)

    class ExpensePaid(Event):
        expense_id: UUID
        paid_on: date

        def evolve(self, project: Any) -> None:
            project.put_expense(project.expenses[str(self.expense_id)].changed(paid_on=self.paid_on))

    class ExpenseCorrected(Event):
        expense_id: UUID
        changes: dict[str, Any]
        reason: str

        def evolve(self, project: Any) -> None:
            old = project.expenses[str(self.expense_id)]
            project.put_expense(old.changed(**expense_record_changes(self.changes)), old)

    class ExpenseReversed(Event):
        expense_id: UUID
        reason: str

        def evolve(self, project: Any) -> None:
            old = project.expenses[str(self.expense_id)]
            project.put_expense(old.changed(reversed=True), old)

    class ActivityStarted(Event):
        activity: str
        started_on: date
        note: str | None

        def evolve(self, project: Any) -> None:
            old = project.activities[self.activity]
            project.activities[self.activity] = replace(old, started_on=self.started_on)

    class ActivityCompleted(Event):
        activity: str
        completed_on: date
        note: str | None

        def evolve(self, project: Any) -> None:
            old = project.activities[self.activity]
            project.activities[self.activity] = replace(old, completed_on=self.completed_on)

    class MilestoneAchieved(Event):
        milestone: str
        achieved_on: date
        evidence: str | None
        evidence_sha256: str | None

        def evolve(self, project: Any) -> None:
            old = project.milestones[self.milestone]
            project.milestones[self.milestone] = replace(old, achieved_on=self.achieved_on)

    class BudgetChanged(Event):
        change_id: str
        kind: str
        transfers: list[dict[str, Any]]
        reference: str
        reason: str

        def evolve(self, project: Any) -> None:
            for code, delta in net_transfers(self.transfers).items():
                line = project.lines[code]
                project.lines[code] = replace(line, planned=line.planned + delta)
            project.budget_change_ids[self.change_id] = self.originator_version

    class RealisationEndChanged(Event):
        new_end: date
        reference: str

        def evolve(self, project: Any) -> None:
            project.realisation_end = self.new_end

    class PaymentClaimSubmitted(Event):
        claim_number: str
        stage: str
        submitted_on: date
        final: bool
        expense_ids: list[UUID]
        declared_eligible: Decimal
        requested_subsidy: Decimal
        chain_head: dict[str, Any]

        def evolve(self, project: Any) -> None:
            ids = tuple(str(i) for i in self.expense_ids)
            project.claims[self.claim_number] = Claim(self.claim_number, self.stage,
                                                      self.final, ids)
            for expense_id in ids:
                project.put_expense(project.expenses[expense_id].changed(claim=self.claim_number))

    class PaymentClaimApproved(Event):
        claim_number: str
        approved_on: date
        exclusions: list[dict[str, Any]]
        approved_eligible: Decimal
        approved_subsidy: Decimal
        chain_head: dict[str, Any]

        def evolve(self, project: Any) -> None:
            claim = project.claims[self.claim_number]
            project.claims[self.claim_number] = replace(
                claim, approved=True, approved_subsidy=self.approved_subsidy)
            project.approved_subsidy += self.approved_subsidy
            for expense_id in claim.expense_ids:
                expense = project.expenses[expense_id]
                if not expense.reversed:
                    project.put_expense(expense.changed(approved=True))

    class SubsidyPaid(Event):
        claim_number: str
        amount: Decimal
        paid_on: date

        def evolve(self, project: Any) -> None:
            claim = project.claims[self.claim_number]
            project.claims[self.claim_number] = replace(claim, paid=claim.paid + self.amount)
            project.subsidy_paid += self.amount

    class FinancialCorrectionImposed(Event):
        correction_id: str
        finding: str
        expense_ids: list[UUID]
        amount: Decimal
        decided_on: date
        reason: str

        def evolve(self, project: Any) -> None:
            project.correction_ids[self.correction_id] = self.originator_version
            project.corrections_total += self.amount

    class ReportSubmitted(Event):
        report: str
        submitted_on: date
        indicator_values: list[dict[str, Any]]
        narrative: str | None

        def evolve(self, project: Any) -> None:
            project.reports[self.report] = ReportProgress(self.report, self.submitted_on)

    class ReportApproved(Event):
        report: str
        decided_on: date

        def evolve(self, project: Any) -> None:
            project.reports[self.report] = replace(project.reports[self.report],
                                                   decision="approved",
                                                   decided_on=self.decided_on)

    class ReportReturned(Event):
        report: str
        decided_on: date
        reason: str

        def evolve(self, project: Any) -> None:
            project.reports[self.report] = replace(project.reports[self.report],
                                                   decision="returned",
                                                   decided_on=self.decided_on)

    class AccessGranted(Event):
        subject: str
        name: str
        role: str

        def evolve(self, project: Any) -> None:
            project.grants[self.subject] = self.role

    class AccessRevoked(Event):
        subject: str
        reason: str

        def evolve(self, project: Any) -> None:
            del project.grants[self.subject]

    if TYPE_CHECKING:  # state assigned by the events; not dataclass fields of the aggregate
        registration_number: str
        vat_payer: bool
        realisation_start: date
        realisation_end: date
        eligible_from: date
        latest_end: date | None
        support_rate: Decimal
        max_subsidy: Decimal
        tolerance: Decimal
        lines: dict[str, Line]
        activities: dict[str, Activity]
        milestones: dict[str, Milestone]
        stages: dict[str, Stage]
        expenses: Map[str, Expense]
        """Persistent maps (a change makes a new map sharing the rest): a command is
        decided on a copy of the project, which then costs nothing for 10,000 expenses."""
        documents: Map[str, str]
        budget_change_ids: dict[str, int]
        claims: dict[str, Claim]
        correction_ids: dict[str, int]
        approved_subsidy: Decimal
        subsidy_paid: Decimal
        corrections_total: Decimal
        indicators: list[str]
        report_plan: ReportPlan
        reports: dict[str, ReportProgress]
        grants: dict[str, str]
        """Each subject's role on the project, by grant (domain.access)."""
        head_hash: str

    def __deepcopy__(self, memo: dict[int, Any]) -> GrantProject:
        """A copy for one command. Records are immutable and replaced, never changed, so
        copying the containers is enough, and the expenses' persistent maps are shared."""
        clone = object.__new__(type(self))
        clone.__dict__.update(
            {k: (v.copy() if isinstance(v, (dict, list)) else v) for k, v in vars(self).items()}
        )
        return clone

    # ---- registration, and how every later event is recorded ----------------------------

    @staticmethod
    def create_id(registration_number: str) -> UUID:
        return project_id_for(registration_number)

    @classmethod
    def register(cls, stamp: Stamp, **registration: Any) -> GrantProject:
        data = copy.deepcopy(complete_registration(registration))
        project_id = project_id_for(data["registration_number"])
        digest = event_hash(
            event_type="ProjectRegistered", project=project_id, version=cls.INITIAL_VERSION,
            recorded_at=stamp.at, recorded_by=stamp.by, data=data, previous_hash=GENESIS_HASH,
        )
        return cls._create(
            cls.ProjectRegistered, id=project_id, timestamp=stamp.at, recorded_by=stamp.by,
            previous_hash=GENESIS_HASH, hash=digest, **data,
        )

    def record(self, event_class: type[Event], stamp: Stamp, **data: Any) -> None:
        """Records one event of `event_class` with `data`, hashed onto the chain."""
        # The event must not share a dict with the caller: a later change would break its hash.
        data = detached(data)
        digest = event_hash(
            event_type=event_class.__name__, project=self.id, version=self.version + 1,
            recorded_at=stamp.at, recorded_by=stamp.by, data=data,
            previous_hash=self.head_hash,
        )
        self.trigger_event(event_class, timestamp=stamp.at, recorded_by=stamp.by,
                           previous_hash=self.head_hash, hash=digest, **data)

    # ---- the state as the rules read it (put_expense: also the events) ------------------

    def put_expense(self, expense: Expense, old: Expense | None = None) -> None:
        """Stores an expense's new record and keeps the double-financing index in step."""
        if old is not None and self.documents.get(old.document_key) == old.expense_id:
            self.documents = self.documents.delete(old.document_key)
        self.expenses = self.expenses.set(expense.expense_id, expense)
        if not expense.reversed:
            self.documents = self.documents.set(expense.document_key, expense.expense_id)

    def counts(self, expense: Expense) -> bool:
        """Whether an expense counts towards eligible totals: active and time-eligible."""
        return not expense.reversed and self.is_time_eligible(expense.tax_point_date)

    def is_time_eligible(self, tax_point_date: date) -> bool:
        return self.eligible_from <= tax_point_date <= self.realisation_end

    def eligible_on_line(self, code: str) -> Decimal:
        """What active, time-eligible expenses already draw on a line."""
        return sum(
            (e.eligible_amount for e in self.expenses.values()
             if e.budget_line == code and self.counts(e)),
            ZERO,
        )

    @property
    def head(self) -> dict[str, Any]:
        """The chain head: the last event's version and hash."""
        return {"version": self.version, "hash": self.head_hash}

    def report_schedule(self) -> list[ScheduledReport]:
        """The reports the provider expects, as the schedule stands (DOMAIN.md)."""
        stages = [(s.code, s.start, s.end) for s in self.stages.values()]
        return report_schedule(self.report_plan, stages, self.realisation_end)

    # ---- the commands, by topic ---------------------------------------------------------

    record_expense = expense_rules.record_expense
    pay_expense = expense_rules.pay_expense
    correct_expense = expense_rules.correct_expense
    reverse_expense = expense_rules.reverse_expense

    start_activity = schedule_rules.start_activity
    complete_activity = schedule_rules.complete_activity
    achieve_milestone = schedule_rules.achieve_milestone
    change_realisation_end = schedule_rules.change_realisation_end

    change_budget = budget_rules.change_budget

    submit_claim = claim_rules.submit_claim
    approve_claim = claim_rules.approve_claim
    pay_subsidy = claim_rules.pay_subsidy
    impose_correction = claim_rules.impose_correction

    submit_report = report_rules.submit_report
    approve_report = report_rules.approve_report
    return_report = report_rules.return_report

    role_of = grant_rules.role_of
    grant_access = grant_rules.grant_access
    revoke_access = grant_rules.revoke_access


__all__ = ["CORRECTABLE_FIELDS", "GrantProject", "event_type", "project_id_for"]

"""The GrantProject aggregate: decides every command of an OP PIK project and records the facts.

Each public method checks the invariants of DOMAIN.md against the aggregate's small state and
either raises a `GrantLedgerError` (recording nothing) or records one event. The nested event
classes only assign state: they run again on every replay, so they read no clock and check
nothing.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import access, errors
from domain.events import event_type
from domain.hashing import GENESIS_HASH, event_hash
from domain.money import ZERO, money, subsidy_for
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
    document_key,
    supplier_key,
)
from domain.registration import complete_registration
from domain.reporting import (
    ReportPlan,
    check_obligations_end_in_time,
    checked_indicator_values,
    report_schedule,
    reporting_terms,
)

PROJECT_NAMESPACE = uuid5(NAMESPACE_URL, "https://grantledger/projects")
CORRECTABLE_FIELDS = frozenset({
    "document_number", "document_type", "supplier", "description", "budget_line", "activity",
    "tax_point_date", "amount_net", "vat", "eligible_amount", "attachments",
})


def project_id_for(registration_number: str) -> UUID:
    """A project's id follows from its registration number, so a number registers once."""
    return uuid5(PROJECT_NAMESPACE, registration_number.strip())


class GrantProject(Aggregate):
    """One funded project: its registration, expenses, schedule, budget, claims and reports."""

    # Version 2 (domain 1.1) keeps indicators and reports, version 3 (1.2) the grants of
    # access; a snapshot of an earlier version is upcast.
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before version 1.1 is of a project registered before it: no
        indicators, no report schedule (domain.reporting.reporting_terms)."""
        state.update(indicators=[], report_plan=[], reports={})

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Before version 1.2 nobody was granted access to a project."""
        state.update(grants={})

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
            project.expenses = {}
            project.documents = {}
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
        expenses: dict[str, Expense]
        documents: dict[str, str]
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
        copying the containers is enough; it keeps a 10,000-expense project cheap to load."""
        clone = object.__new__(type(self))
        clone.__dict__.update(
            {k: (v.copy() if isinstance(v, (dict, list)) else v) for k, v in vars(self).items()}
        )
        return clone

    # ---- registration -------------------------------------------------------------------

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

    def _record(self, event_class: type[Event], stamp: Stamp, **data: Any) -> None:
        # The event must not share a dict with the caller: a later change would break its hash.
        data = _detached(data)
        digest = event_hash(
            event_type=event_class.__name__, project=self.id, version=self.version + 1,
            recorded_at=stamp.at, recorded_by=stamp.by, data=data,
            previous_hash=self.head_hash,
        )
        self.trigger_event(event_class, timestamp=stamp.at, recorded_by=stamp.by,
                           previous_hash=self.head_hash, hash=digest, **data)

    # ---- state helpers (also used by the events) ----------------------------------------

    def put_expense(self, expense: Expense, old: Expense | None = None) -> None:
        """Stores an expense's new record and keeps the double-financing index in step."""
        if old is not None and self.documents.get(old.document_key) == old.expense_id:
            del self.documents[old.document_key]
        self.expenses[expense.expense_id] = expense
        if not expense.reversed:
            self.documents[expense.document_key] = expense.expense_id

    def _counts(self, expense: Expense) -> bool:
        """Whether an expense counts towards eligible totals: active and time-eligible."""
        return not expense.reversed and self.is_time_eligible(expense.tax_point_date)

    def is_time_eligible(self, tax_point_date: date) -> bool:
        return self.eligible_from <= tax_point_date <= self.realisation_end

    def eligible_on_line(self, code: str) -> Decimal:
        """What active, time-eligible expenses already draw on a line."""
        return sum(
            (e.eligible_amount for e in self.expenses.values()
             if e.budget_line == code and self._counts(e)),
            ZERO,
        )

    @property
    def head(self) -> dict[str, Any]:
        """The chain head: the last event's version and hash."""
        return {"version": self.version, "hash": self.head_hash}

    # ---- expenses -----------------------------------------------------------------------

    def record_expense(self, stamp: Stamp, *, expense_id: UUID, document_number: str,
                       document_type: str, supplier: dict[str, Any], description: str,
                       budget_line: str, tax_point_date: date, amount_net: Decimal,
                       vat: Decimal, activity: str | None = None,
                       eligible_amount: Decimal | None = None, paid_on: date | None = None,
                       attachments: list[dict[str, Any]] | None = None) -> None:
        if str(expense_id) in self.expenses:
            raise errors.ExpenseIdTakenError(f"expense {expense_id} is already recorded")
        self._check_line_and_activity(budget_line, activity)
        amount_net, vat = self._net_and_vat(amount_net, vat)
        eligible = self._checked_eligible(eligible_amount, amount_net, vat)
        self._check_not_double_financed(
            document_key(supplier_key(supplier), document_number, budget_line))
        self._record(self.ExpenseRecorded, stamp, expense_id=expense_id,
                     document_number=document_number, document_type=document_type,
                     supplier=supplier, description=description, budget_line=budget_line,
                     activity=activity, tax_point_date=tax_point_date, amount_net=amount_net,
                     vat=vat, eligible_amount=eligible, paid_on=paid_on,
                     attachments=attachments or [])

    def pay_expense(self, stamp: Stamp, expense_id: UUID, paid_on: date) -> None:
        expense = self._active_expense(expense_id)
        if expense.paid_on is not None:
            raise errors.ExpenseAlreadyPaidError(
                f"expense {expense_id} was already paid on {expense.paid_on}")
        self._record(self.ExpensePaid, stamp, expense_id=expense_id, paid_on=paid_on)

    def correct_expense(self, stamp: Stamp, expense_id: UUID, changes: dict[str, Any],
                        reason: str) -> None:
        expense = self._unapproved_expense(expense_id)
        _require_reason(reason)
        changes = self._checked_correction(expense, changes)
        self._record(self.ExpenseCorrected, stamp, expense_id=expense_id, changes=changes,
                     reason=reason)

    def reverse_expense(self, stamp: Stamp, expense_id: UUID, reason: str) -> None:
        self._unapproved_expense(expense_id)
        _require_reason(reason)
        self._record(self.ExpenseReversed, stamp, expense_id=expense_id, reason=reason)

    def _expense(self, expense_id: UUID) -> Expense:
        try:
            return self.expenses[str(expense_id)]
        except KeyError:
            raise errors.UnknownReferenceError("expense_id", "expense", str(expense_id)) from None

    def _active_expense(self, expense_id: UUID) -> Expense:
        expense = self._expense(expense_id)
        if expense.reversed:
            raise errors.ExpenseReversedError(f"expense {expense_id} has been reversed")
        return expense

    def _unapproved_expense(self, expense_id: UUID) -> Expense:
        expense = self._active_expense(expense_id)
        if expense.approved:
            raise errors.ExpenseInApprovedClaimError(
                f"expense {expense_id} is in approved payment claim {expense.claim}")
        return expense

    def _check_line_and_activity(self, budget_line: str, activity: str | None) -> None:
        if budget_line not in self.lines:
            raise errors.UnknownReferenceError("budget_line", "budget line", budget_line,
                                               self.lines)
        if activity is not None and activity not in self.activities:
            raise errors.UnknownReferenceError("activity", "activity", activity,
                                               self.activities)

    @staticmethod
    def _net_and_vat(amount_net: Decimal, vat: Decimal) -> tuple[Decimal, Decimal]:
        net, tax = _money_field(amount_net, "amount_net"), _money_field(vat, "vat")
        if net <= 0:
            raise errors.InvalidCommandError("amount_net", "must be greater than zero")
        if tax < 0:
            raise errors.InvalidCommandError("vat", "must not be negative")
        return net, tax

    def _checked_eligible(self, eligible: Decimal | None, net: Decimal, vat: Decimal) -> Decimal:
        """The eligible amount: given, or net for a VAT payer and net + VAT otherwise."""
        ceiling = net if self.vat_payer else net + vat
        if eligible is None:
            return ceiling
        amount = _money_field(eligible, "eligible_amount")
        if amount <= 0:
            raise errors.InvalidCommandError("eligible_amount", "must be greater than zero")
        if amount > ceiling:
            raise errors.InvalidCommandError(
                "eligible_amount",
                f"{amount} exceeds {ceiling}, the "
                + ("net amount (the beneficiary deducts VAT)" if self.vat_payer
                   else "net amount plus VAT"),
            )
        return amount

    def _check_not_double_financed(self, key: str, own_id: str | None = None) -> None:
        holder = self.documents.get(key)
        if holder is not None and holder != own_id:
            raise errors.DoubleFinancingError(
                f"this supplier's document is already recorded on the same line as expense "
                f"{holder}")

    def _checked_correction(self, expense: Expense, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - CORRECTABLE_FIELDS
        if unknown:
            raise errors.InvalidCommandError(sorted(unknown)[0], "this field cannot be corrected")
        if not changes:
            raise errors.InvalidCommandError("changes", "a correction must change something")
        checked = dict(changes)
        line = checked.get("budget_line", expense.budget_line)
        activity = checked.get("activity", expense.activity)
        self._check_line_and_activity(line, activity)
        net, vat = self._net_and_vat(checked.get("amount_net", expense.amount_net),
                                     checked.get("vat", expense.vat))
        for name, value in (("amount_net", net), ("vat", vat)):
            if name in checked:
                checked[name] = value
        if {"amount_net", "vat", "eligible_amount"} & checked.keys():
            eligible = checked.get("eligible_amount", self._kept_eligible(expense, net, vat))
            checked["eligible_amount"] = self._checked_eligible(eligible, net, vat)
        corrected = expense.changed(**expense_record_changes(checked))
        self._check_not_double_financed(corrected.document_key, own_id=expense.expense_id)
        return checked

    def _kept_eligible(self, expense: Expense, net: Decimal, vat: Decimal) -> Decimal:
        """The eligible amount after corrected amounts: the new default where it was the
        default, otherwise the amount chosen before, within the new ceiling."""
        old_ceiling = self._checked_eligible(None, expense.amount_net, expense.vat)
        new_ceiling = self._checked_eligible(None, net, vat)
        if expense.eligible_amount == old_ceiling:
            return new_ceiling
        return min(expense.eligible_amount, new_ceiling)

    # ---- schedule -----------------------------------------------------------------------

    def start_activity(self, stamp: Stamp, activity: str, started_on: date,
                       note: str | None = None) -> None:
        current = self._activity(activity)
        if current.started_on is not None:
            raise errors.ActivityAlreadyStartedError(
                f"activity {activity} was started on {current.started_on}")
        self._record(self.ActivityStarted, stamp, activity=activity, started_on=started_on,
                     note=note)

    def complete_activity(self, stamp: Stamp, activity: str, completed_on: date,
                          note: str | None = None) -> None:
        current = self._activity(activity)
        if current.completed_on is not None:
            raise errors.ActivityAlreadyCompletedError(
                f"activity {activity} was completed on {current.completed_on}")
        if current.started_on is None:
            raise errors.ActivityNotStartedError(f"activity {activity} has not been started")
        if completed_on < current.started_on:
            raise errors.ActivityCompletedBeforeStartError(
                f"activity {activity} started on {current.started_on}, after {completed_on}")
        self._record(self.ActivityCompleted, stamp, activity=activity,
                     completed_on=completed_on, note=note)

    def achieve_milestone(self, stamp: Stamp, milestone: str, achieved_on: date,
                          evidence: str | None = None, evidence_sha256: str | None = None) -> None:
        current = self.milestones.get(milestone)
        if current is None:
            raise errors.UnknownReferenceError("code", "milestone", milestone)
        if current.achieved_on is not None:
            raise errors.MilestoneAlreadyAchievedError(
                f"milestone {milestone} was achieved on {current.achieved_on}")
        if achieved_on > stamp.today:
            raise errors.MilestoneInFutureError(
                f"{achieved_on} is in the future (today is {stamp.today})")
        self._record(self.MilestoneAchieved, stamp, milestone=milestone,
                     achieved_on=achieved_on, evidence=evidence, evidence_sha256=evidence_sha256)

    def _activity(self, code: str) -> Activity:
        try:
            return self.activities[code]
        except KeyError:
            raise errors.UnknownReferenceError("code", "activity", code,
                                               self.activities) from None

    def change_realisation_end(self, stamp: Stamp, new_end: date, reference: str) -> None:
        if new_end < self.realisation_start:
            raise errors.RealisationEndError(
                f"{new_end} is before the realisation start {self.realisation_start}")
        if self.latest_end is not None and new_end > self.latest_end:
            raise errors.RealisationEndError(
                f"{new_end} is after the call's latest end {self.latest_end}")
        if isinstance(self.report_plan, DefaultSchedule):  # its terms move with the end
            plan = self.report_plan
            try:
                check_obligations_end_in_time(new_end, plan.claim_deadline_days,
                                              plan.sustainability_years)
            except errors.InvalidCommandError as error:
                raise errors.RealisationEndError(error.message) from None
        self._record(self.RealisationEndChanged, stamp, new_end=new_end, reference=reference)

    # ---- budget -------------------------------------------------------------------------

    def change_budget(self, stamp: Stamp, change_id: str, kind: str,
                      transfers: list[dict[str, Any]], reference: str, reason: str) -> None:
        if change_id in self.budget_change_ids:
            raise errors.BudgetChangeIdTakenError(f"budget change {change_id} is recorded")
        if kind not in ("notified", "approved"):
            raise errors.InvalidCommandError("kind", "must be 'notified' or 'approved'")
        transfers = self._checked_transfers(transfers)
        for code, delta in net_transfers(transfers).items():
            self._check_line_after_change(code, delta, kind)
        self._record(self.BudgetChanged, stamp, change_id=change_id, kind=kind,
                     transfers=transfers, reference=reference, reason=reason)

    def _checked_transfers(self, transfers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not transfers:
            raise errors.InvalidCommandError("transfers", "a budget change needs a transfer")
        checked = []
        for n, transfer in enumerate(transfers):
            for end in ("from_line", "to_line"):
                if transfer[end] not in self.lines:
                    raise errors.UnknownReferenceError(f"transfers.{n}.{end}", "budget line",
                                                       transfer[end], self.lines)
            if transfer["from_line"] == transfer["to_line"]:
                raise errors.InvalidCommandError(f"transfers.{n}.to_line",
                                                 "a transfer must move between two lines")
            amount = _money_field(transfer["amount"], f"transfers.{n}.amount")
            if amount <= 0:
                raise errors.InvalidCommandError(f"transfers.{n}.amount",
                                                 "must be greater than zero")
            checked.append({"from_line": transfer["from_line"], "to_line": transfer["to_line"],
                            "amount": amount})
        return checked

    def _check_line_after_change(self, code: str, delta: Decimal, kind: str) -> None:
        line = self.lines[code]
        planned = line.planned + delta
        drawn = self.eligible_on_line(code)
        if delta < 0 and planned < drawn:
            raise errors.LineBelowEligibleError(
                f"line {code} would plan {planned}, below the {drawn} already eligible on it")
        allowed = line.registered * (1 + self.tolerance)
        if kind == "notified" and delta > 0 and planned > allowed:
            raise errors.TransferBeyondToleranceError(
                f"line {code} would grow to {planned}, beyond {allowed} (registered "
                f"{line.registered} + tolerance {self.tolerance}): it needs an approved change")

    # ---- payment claims -----------------------------------------------------------------

    def submit_claim(self, stamp: Stamp, claim_number: str, stage: str, submitted_on: date,
                     final: bool, expense_ids: list[UUID]) -> None:
        if claim_number in self.claims:
            raise errors.ClaimNumberTakenError(f"payment claim {claim_number} is submitted")
        if stage not in self.stages:
            raise errors.UnknownReferenceError("stage", "stage", stage)
        if final and any(c.final for c in self.claims.values()):
            raise errors.SecondFinalClaimError("the final payment claim is already submitted")
        expenses = self._claimable(expense_ids)
        declared = sum((e.eligible_amount for e in expenses), ZERO)
        requested = min(subsidy_for(self.support_rate, declared),
                        self.max_subsidy - self.approved_subsidy)
        self._record(self.PaymentClaimSubmitted, stamp, claim_number=claim_number, stage=stage,
                     submitted_on=submitted_on, final=final, expense_ids=list(expense_ids),
                     declared_eligible=declared, requested_subsidy=requested,
                     chain_head=self.head)

    def _claimable(self, expense_ids: list[UUID]) -> list[Expense]:
        if not expense_ids:
            raise errors.InvalidCommandError("expense_ids", "a claim needs at least one expense")
        if len(set(expense_ids)) != len(expense_ids):
            raise errors.InvalidCommandError("expense_ids", "an expense is listed twice")
        expenses = []
        for expense_id in expense_ids:
            expense = self.expenses.get(str(expense_id))
            if expense is None:
                raise errors.UnknownReferenceError("expense_ids", "expense", str(expense_id))
            problem = self._why_not_claimable(expense)
            if problem:
                raise errors.ExpenseNotClaimableError(f"expense {expense_id} {problem}")
            expenses.append(expense)
        return expenses

    def _why_not_claimable(self, expense: Expense) -> str | None:
        if expense.reversed:
            return "has been reversed"
        if expense.paid_on is None:
            return "is not paid"
        if not self.is_time_eligible(expense.tax_point_date):
            return (f"has tax point date {expense.tax_point_date}, outside the eligibility "
                    f"window {self.eligible_from} – {self.realisation_end}")
        if expense.claim is not None:
            return f"is already in payment claim {expense.claim}"
        return None

    def approve_claim(self, stamp: Stamp, claim_number: str, approved_on: date,
                      exclusions: list[dict[str, Any]]) -> None:
        claim = self._claim(claim_number)
        if claim.approved:
            raise errors.ClaimAlreadyApprovedError(f"payment claim {claim_number} is approved")
        exclusions = self._checked_exclusions(claim, exclusions)
        counted = [self.expenses[i] for i in claim.expense_ids if self._counts(self.expenses[i])]
        excluded = sum((x["amount"] for x in exclusions), ZERO)
        approved_eligible = sum((e.eligible_amount for e in counted), ZERO) - excluded
        approved_subsidy = min(subsidy_for(self.support_rate, approved_eligible),
                               self.max_subsidy - self.approved_subsidy)
        self._record(self.PaymentClaimApproved, stamp, claim_number=claim_number,
                     approved_on=approved_on, exclusions=exclusions,
                     approved_eligible=approved_eligible, approved_subsidy=approved_subsidy,
                     chain_head=self.head)

    def _checked_exclusions(self, claim: Claim,
                            exclusions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        checked, per_expense = [], dict[str, Decimal]()
        for n, exclusion in enumerate(exclusions):
            expense_id = str(exclusion["expense_id"])
            if expense_id not in claim.expense_ids:
                raise errors.UnknownReferenceError(f"exclusions.{n}.expense_id",
                                                   f"expense in claim {claim.number}", expense_id)
            amount = _money_field(exclusion["amount"], f"exclusions.{n}.amount")
            if amount <= 0:
                raise errors.InvalidCommandError(f"exclusions.{n}.amount",
                                                 "must be greater than zero")
            per_expense[expense_id] = per_expense.get(expense_id, ZERO) + amount
            expense = self.expenses[expense_id]
            counted = expense.eligible_amount if self._counts(expense) else ZERO
            if per_expense[expense_id] > counted:
                raise errors.ExclusionTooLargeError(
                    f"exclusions of {per_expense[expense_id]} exceed the {counted} "
                    f"of expense {expense_id}")
            checked.append({"expense_id": exclusion["expense_id"], "amount": amount,
                            "reason": exclusion["reason"]})
        return checked

    def pay_subsidy(self, stamp: Stamp, claim_number: str, amount: Decimal,
                    paid_on: date) -> None:
        claim = self._claim(claim_number)
        if not claim.approved:
            raise errors.ClaimNotApprovedError(f"payment claim {claim_number} is not approved")
        amount = _money_field(amount, "amount")
        if amount <= 0:
            raise errors.InvalidCommandError("amount", "must be greater than zero")
        if claim.paid + amount > claim.approved_subsidy:
            raise errors.PayoutExceedsApprovedError(
                f"paying {amount} would bring claim {claim_number} to {claim.paid + amount}, "
                f"above the {claim.approved_subsidy} approved")
        self._record(self.SubsidyPaid, stamp, claim_number=claim_number, amount=amount,
                     paid_on=paid_on)

    def _claim(self, claim_number: str) -> Claim:
        try:
            return self.claims[claim_number]
        except KeyError:
            raise errors.UnknownReferenceError("claim_number", "payment claim",
                                               claim_number) from None

    def impose_correction(self, stamp: Stamp, correction_id: str, finding: str,
                          expense_ids: list[UUID], amount: Decimal, decided_on: date,
                          reason: str) -> None:
        if correction_id in self.correction_ids:
            raise errors.CorrectionIdTakenError(f"financial correction {correction_id} exists")
        for expense_id in expense_ids:
            if str(expense_id) not in self.expenses:
                raise errors.UnknownReferenceError("expense_ids", "expense", str(expense_id))
        amount = _money_field(amount, "amount")
        if amount <= 0:
            raise errors.InvalidCommandError("amount", "must be greater than zero")
        _require_reason(reason)
        if self.corrections_total + amount > self.subsidy_paid:
            raise errors.CorrectionsExceedPaidError(
                f"corrections would total {self.corrections_total + amount}, more than the "
                f"{self.subsidy_paid} of subsidy paid")
        self._record(self.FinancialCorrectionImposed, stamp, correction_id=correction_id,
                     finding=finding, expense_ids=list(expense_ids), amount=amount,
                     decided_on=decided_on, reason=reason)

    # ---- reports ------------------------------------------------------------------------

    def report_schedule(self) -> list[ScheduledReport]:
        """The reports the provider expects, as the schedule stands (DOMAIN.md)."""
        stages = [(s.code, s.start, s.end) for s in self.stages.values()]
        return report_schedule(self.report_plan, stages, self.realisation_end)

    def submit_report(self, stamp: Stamp, report: str, submitted_on: date,
                      indicator_values: list[dict[str, Any]],
                      narrative: str | None = None) -> None:
        scheduled = self._scheduled_report(report)
        self._check_open_to_submission(report, submitted_on)
        if submitted_on > stamp.today:
            raise errors.ReportDateInFutureError(
                f"{submitted_on} is in the future (today is {stamp.today})")
        if submitted_on < scheduled.period_end:
            raise errors.ReportPeriodNotEndedError(
                f"report {report} covers {scheduled.period_start} – {scheduled.period_end}: "
                f"it cannot be submitted on {submitted_on}, before its period ends")
        values = checked_indicator_values(self.indicators, indicator_values)
        self._record(self.ReportSubmitted, stamp, report=report, submitted_on=submitted_on,
                     indicator_values=values, narrative=narrative)

    def approve_report(self, stamp: Stamp, report: str, decided_on: date) -> None:
        self._check_decision(stamp, report, decided_on)
        self._record(self.ReportApproved, stamp, report=report, decided_on=decided_on)

    def return_report(self, stamp: Stamp, report: str, decided_on: date, reason: str) -> None:
        self._check_decision(stamp, report, decided_on)
        _require_reason(reason)
        self._record(self.ReportReturned, stamp, report=report, decided_on=decided_on,
                     reason=reason)

    def _scheduled_report(self, code: str) -> ScheduledReport:
        for scheduled in self.report_schedule():
            if scheduled.code == code:
                return scheduled
        raise errors.UnknownReferenceError("code", "report", code)

    def _check_open_to_submission(self, report: str, submitted_on: date) -> None:
        """A report is submitted once, and again only after it was returned."""
        progress = self.reports.get(report)
        if progress is None:
            return
        if progress.decision is None:
            raise errors.ReportAlreadySubmittedError(
                f"report {report} was submitted on {progress.submitted_on} and awaits a "
                "decision")
        if progress.decision == "approved":
            raise errors.ReportAlreadyApprovedError(
                f"report {report} was approved on {progress.decided_on}")
        if progress.decided_on is not None and submitted_on < progress.decided_on:
            raise errors.ReportDateOutOfOrderError(
                f"report {report} was returned on {progress.decided_on}: it cannot be "
                f"submitted again on {submitted_on}, before that")

    def _check_decision(self, stamp: Stamp, report: str, decided_on: date) -> None:
        """A submitted report is decided once: approved, or returned to be submitted again."""
        self._scheduled_report(report)
        progress = self.reports.get(report)
        if progress is None:
            raise errors.ReportNotSubmittedError(f"report {report} has not been submitted")
        if progress.decision is not None:
            raise errors.ReportAlreadyDecidedError(
                f"report {report} was {progress.decision} on {progress.decided_on}; a returned "
                "report is decided again after it is submitted again")
        if decided_on > stamp.today:
            raise errors.ReportDateInFutureError(
                f"{decided_on} is in the future (today is {stamp.today})")
        if decided_on < progress.submitted_on:
            raise errors.ReportDateOutOfOrderError(
                f"report {report} was submitted on {progress.submitted_on}: it cannot be "
                f"decided on {decided_on}, before that")


    # ---- access -------------------------------------------------------------------------

    def role_of(self, subject: str) -> str | None:
        """The role `subject` is granted on the project, if any."""
        return self.grants.get(subject)

    def grant_access(self, stamp: Stamp, subject: str, role: str, name: str | None) -> None:
        """Gives `subject` the role `role` on the project, replacing an earlier grant."""
        subject = access.checked_subject(subject)
        access.check_may_grant(stamp.role, role)
        held = self.grants.get(subject)
        if held is not None:  # replacing a grant is also taking the old one away
            access.check_may_grant(stamp.role, held)
        self._record(self.AccessGranted, stamp, subject=subject,
                     name=(name or "").strip() or subject, role=role)

    def revoke_access(self, stamp: Stamp, subject: str, reason: str) -> None:
        _require_reason(reason)
        held = self.grants.get(subject)
        if held is None:
            raise errors.NoGrantError(f"{subject!r} holds no grant on this project")
        access.check_may_grant(stamp.role, held)
        self._record(self.AccessRevoked, stamp, subject=subject, reason=reason.strip())


def _detached(value: Any) -> Any:
    """A copy of the dicts and lists of an event's data; what they hold besides is immutable
    (str, Decimal, date, UUID, bool, None). A fifth of copy.deepcopy's time, which a batch of
    500 expenses spent a fifth of its decisions in."""
    if isinstance(value, dict):
        return {key: _detached(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_detached(item) for item in value]
    return value


def net_transfers(transfers: list[dict[str, Any]]) -> dict[str, Decimal]:
    """How much each line gains (+) or loses (−) through a budget change's transfers."""
    deltas: dict[str, Decimal] = {}
    for t in transfers:
        deltas[t["from_line"]] = deltas.get(t["from_line"], ZERO) - t["amount"]
        deltas[t["to_line"]] = deltas.get(t["to_line"], ZERO) + t["amount"]
    return deltas


def expense_record_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The part of a correction that the aggregate's small expense record keeps."""
    kept = {k: v for k, v in changes.items()
            if k in ("budget_line", "activity", "document_number", "tax_point_date",
                     "amount_net", "vat", "eligible_amount")}
    if "supplier" in changes:
        kept["supplier_key"] = supplier_key(changes["supplier"])
    return kept


def _money_field(value: Decimal, field: str) -> Decimal:
    try:
        return money(value)
    except (ValueError, ArithmeticError):
        raise errors.InvalidCommandError(field, f"{value} is not an amount with two places") \
            from None


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise errors.InvalidCommandError("reason", "a reason is required")


__all__ = ["CORRECTABLE_FIELDS", "GrantProject", "event_type", "project_id_for"]

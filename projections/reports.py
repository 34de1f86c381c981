"""A project's reports against a reference date (DOMAIN.md, "Reports in the schedule view").

As in the rest of the schedule view, a submission or a decision counts only when its date is on
or before the reference date `on`. A report is `pending` until its due date, then `overdue`
while it is not submitted; once submitted it is `submitted`, then `approved` or `returned`; a
returned report is `overdue` again after its due date until it is submitted again. `days_late`
counts from the due date to the submission that counts, or to `on` while one is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.records import ScheduledReport
from projections.flags import ERROR, Flag, days, event_refs, flag, ref
from projections.ledger import ClaimState, LedgerState, SubmissionState

KIND_NAMES = {
    "implementation": "implementation report",
    "final_implementation": "final implementation report",
    "sustainability": "sustainability report",
    "final_sustainability": "final sustainability report",
}
IMPLEMENTATION_KINDS = frozenset({"implementation", "final_implementation"})


@dataclass(frozen=True)
class ReportOnDay:
    """A scheduled report as it stood on the reference date."""

    report: ScheduledReport
    submission: SubmissionState | None
    """The last submission dated on or before the reference date."""
    decision: str | None
    """The decision on that submission, if it was dated on or before the reference date."""
    status: str
    days_late: int

    @property
    def decided_on(self) -> date | None:
        return self.submission.decided_on if self.decision and self.submission else None


def submissions_by(state: LedgerState, code: str, on: date) -> list[SubmissionState]:
    """A report's submissions dated on or before `on`, oldest first."""
    return [s for s in state.submissions.get(code, []) if s.submitted_on <= on]


def report_on(report: ScheduledReport, submissions: list[SubmissionState],
              on: date) -> ReportOnDay:
    last = submissions[-1] if submissions else None
    decision = None
    if last is not None and last.decided_on is not None and last.decided_on <= on:
        decision = last.decision
    late_by = (on - report.due).days
    if last is None or decision == "returned":
        if late_by > 0:
            return ReportOnDay(report, last, decision, "overdue", late_by)
        return ReportOnDay(report, last, decision, "returned" if last else "pending", 0)
    late = max(0, (last.submitted_on - report.due).days)
    return ReportOnDay(report, last, decision, decision or "submitted", late)


def reports_on(state: LedgerState, on: date) -> list[ReportOnDay]:
    """Every scheduled report on the reference date, in schedule order."""
    return [report_on(r, submissions_by(state, r.code, on), on)
            for r in state.project.report_schedule()]


def report_rows(state: LedgerState, on: date) -> list[dict[str, Any]]:
    """The schedule view's reports."""
    return [
        {
            "code": r.report.code,
            "kind": r.report.kind,
            "period_start": r.report.period_start,
            "period_end": r.report.period_end,
            "due": r.report.due,
            "submitted_on": r.submission.submitted_on if r.submission else None,
            "decided_on": r.decided_on,
            "status": r.status,
            "days_late": r.days_late,
        }
        for r in reports_on(state, on)
    ]


def report_documents(state: LedgerState, on: date) -> list[dict[str, Any]]:
    """The reports with their status on `on` and every submission and decision recorded."""
    return [{**row, "submissions": [_submission(s) for s in state.submissions.get(row["code"],
                                                                               [])]}
            for row in report_rows(state, on)]


def _submission(s: SubmissionState) -> dict[str, Any]:
    return {
        "submitted_on": s.submitted_on,
        "indicator_values": [{"code": v.code, "value": v.value, "comment": v.comment}
                             for v in s.values],
        "narrative": s.narrative,
        "recorded_at": s.recorded_at,
        "recorded_by": dict(s.recorded_by),
        "decision": None if s.decision is None else {
            "decision": s.decision, "decided_on": s.decided_on, "reason": s.reason,
            "recorded_by": dict(s.decided_by or {}),
        },
    }


def report_flags(state: LedgerState, on: date) -> list[Flag]:
    """REPORT_OVERDUE for each report in schedule order, then CLAIM_WITHOUT_REPORT for each
    payment claim in the order submitted."""
    flags = [_overdue(state, r) for r in reports_on(state, on) if r.status == "overdue"]
    for claim in state.claims.values():
        missing = _claim_without_report(state, claim, on)
        if missing is not None:
            flags.append(missing)
    return flags


def _overdue(state: LedgerState, r: ReportOnDay) -> Flag:
    name = f"The {KIND_NAMES.get(r.report.kind, 'report')} {r.report.code}"
    if r.decision == "returned" and r.submission is not None:
        why = (f"was returned on {r.submission.decided_on} and is not submitted again; it was "
               f"due on {r.report.due}")
    else:
        why = f"was due on {r.report.due} and is not submitted"
    return flag(
        "REPORT_OVERDUE",
        ERROR,
        f"{name} {why}: {days(r.days_late)} overdue.",
        [
            ref("report", r.report.code),
            *event_refs(
                state.project.schedule_position,
                r.submission.decision_position if r.decision == "returned" and r.submission
                else None,
            ),
        ],
    )


def report_for_claim(state: LedgerState, claim: ClaimState) -> ScheduledReport | None:
    """The report a payment claim travels with: the final implementation report for the final
    claim, else the implementation report whose period holds the claim's stage's last day (up
    to the current realisation end)."""
    schedule = state.project.report_schedule()
    if claim.final:
        return next((r for r in schedule if r.kind == "final_implementation"), None)
    stage = next((s for s in state.project.stages if s.code == claim.stage), None)
    if stage is None:
        return None
    last_day = min(stage.end, state.project.realisation_end)
    return next((r for r in schedule if r.kind in IMPLEMENTATION_KINDS
                 and r.period_start <= last_day <= r.period_end), None)


def _claim_without_report(state: LedgerState, claim: ClaimState, on: date) -> Flag | None:
    if claim.submitted_on > on:
        return None
    report = report_for_claim(state, claim)
    if report is None or submissions_by(state, report.code, claim.submitted_on):
        return None
    return flag(
        "CLAIM_WITHOUT_REPORT",
        ERROR,
        f"Payment claim {claim.claim_number} for stage {claim.stage} was submitted on "
        f"{claim.submitted_on} without its {KIND_NAMES[report.kind]} {report.code}: the "
        "programme does not process a claim without it.",
        [
            ref("claim", claim.claim_number),
            ref("report", report.code),
            *event_refs(state.project.schedule_position, claim.submitted_position),
        ],
    )

"""Reports to the provider: submitted with every indicator's value once its period has ended,
then approved, or returned to be submitted again (DOMAIN.md, "Indicators, reports and the
years after the project"). The schedule itself is domain.reporting's."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain import errors
from domain.project.checks import require_reason
from domain.records import ScheduledReport, Stamp
from domain.reporting import checked_indicator_values

if TYPE_CHECKING:
    from domain.project import GrantProject


def submit_report(project: GrantProject, stamp: Stamp, report: str, submitted_on: date,
                  indicator_values: list[dict[str, Any]], narrative: str | None = None) -> None:
    scheduled = _scheduled_report(project, report)
    _check_open_to_submission(project, report, submitted_on)
    _not_after_today(submitted_on, stamp)
    if submitted_on < scheduled.period_end:
        raise errors.ReportPeriodNotEndedError(
            f"report {report} covers {scheduled.period_start} – {scheduled.period_end}: "
            f"it cannot be submitted on {submitted_on}, before its period ends")
    values = checked_indicator_values(project.indicators, indicator_values)
    project.record(project.ReportSubmitted, stamp, report=report, submitted_on=submitted_on,
                   indicator_values=values, narrative=narrative)


def approve_report(project: GrantProject, stamp: Stamp, report: str, decided_on: date) -> None:
    _check_decision(project, stamp, report, decided_on)
    project.record(project.ReportApproved, stamp, report=report, decided_on=decided_on)


def return_report(project: GrantProject, stamp: Stamp, report: str, decided_on: date,
                  reason: str) -> None:
    _check_decision(project, stamp, report, decided_on)
    require_reason(reason)
    project.record(project.ReportReturned, stamp, report=report, decided_on=decided_on,
                   reason=reason)


def _scheduled_report(project: GrantProject, code: str) -> ScheduledReport:
    for scheduled in project.report_schedule():
        if scheduled.code == code:
            return scheduled
    raise errors.UnknownReferenceError("code", "report", code)


def _check_open_to_submission(project: GrantProject, report: str, submitted_on: date) -> None:
    """A report is submitted once, and again only after it was returned."""
    progress = project.reports.get(report)
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


def _check_decision(project: GrantProject, stamp: Stamp, report: str, decided_on: date) -> None:
    """A submitted report is decided once: approved, or returned to be submitted again."""
    _scheduled_report(project, report)
    progress = project.reports.get(report)
    if progress is None:
        raise errors.ReportNotSubmittedError(f"report {report} has not been submitted")
    if progress.decision is not None:
        raise errors.ReportAlreadyDecidedError(
            f"report {report} was {progress.decision} on {progress.decided_on}; a returned "
            "report is decided again after it is submitted again")
    _not_after_today(decided_on, stamp)
    if decided_on < progress.submitted_on:
        raise errors.ReportDateOutOfOrderError(
            f"report {report} was submitted on {progress.submitted_on}: it cannot be "
            f"decided on {decided_on}, before that")


def _not_after_today(day: date, stamp: Stamp) -> None:
    """A report is submitted or decided on a day that has come."""
    if day > stamp.today:
        raise errors.ReportDateInFutureError(f"{day} is in the future (today is {stamp.today})")

"""Indicators and the provider's report schedule (DOMAIN.md, "Indicators, reports and the
years after the project").

A project registered with an explicit `reports` schedule keeps it as given. Without one, the
default schedule is derived from the stages, the current realisation end, the claim deadline
days and the sustainability years, so it follows a change of the end. A project registered
before version 1.1 stored none of these fields: it has no indicators and no report schedule,
so it reads as it did (`reporting_terms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain import errors
from domain.records import DefaultSchedule, ScheduledReport

INDICATOR_KINDS = ("to_achieve", "to_select")
REPORT_KINDS = ("implementation", "final_implementation", "sustainability",
                "final_sustainability")
DEFAULT_SUSTAINABILITY_YEARS = 5
DEFAULT_RETENTION_UNTIL = date(2033, 12, 31)
SUSTAINABILITY_REPORT_DAYS = 30
"""A sustainability report is due this many days after its year."""
RETENTION_YEARS = 10
"""Documents are kept to 31 December of the tenth year after the last subsidy payment."""

StagePeriod = tuple[str, date, date]
"""A stage's code, start and end."""


ReportPlan = DefaultSchedule | list[dict[str, Any]]
"""The default schedule, or the explicit one given at registration (report dicts)."""


@dataclass(frozen=True)
class ReportingTerms:
    """What a ProjectRegistered event says about indicators, reports and the years after."""

    indicators: list[dict[str, Any]]
    sustainability_years: int
    retention_until: date
    reports: list[dict[str, Any]] | None
    """The explicit schedule; None for the default one."""


def reporting_terms(registered: Any) -> ReportingTerms:
    """The terms of a ProjectRegistered event. One stored before version 1.1 lacks these
    fields (and its hash covers exactly what it stores, so nothing is added to it): its
    project has no indicators and an empty report schedule, the default sustainability years
    and retention date."""
    return ReportingTerms(
        indicators=getattr(registered, "indicators", []),
        sustainability_years=getattr(registered, "sustainability_years",
                                     DEFAULT_SUSTAINABILITY_YEARS),
        retention_until=getattr(registered, "retention_until", DEFAULT_RETENTION_UNTIL),
        reports=getattr(registered, "reports", []),
    )


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


LAST_DAY = date(2199, 12, 31)
"""The last business date the ledger takes, and so the last it may derive."""


def check_obligations_end_in_time(realisation_end: date, claim_deadline_days: int,
                                  sustainability_years: int) -> None:
    """Refuses a realisation end whose deadlines — the final claim deadline, the sustainability
    end and its last report's due date — would fall after LAST_DAY (the views could not state
    them)."""
    years_end = add_years(realisation_end, sustainability_years)
    latest = max(realisation_end + timedelta(days=claim_deadline_days),
                 years_end + timedelta(days=SUSTAINABILITY_REPORT_DAYS)
                 if sustainability_years else years_end)
    if latest > LAST_DAY:
        raise errors.InvalidCommandError(
            "realisation_end", f"{realisation_end} puts the project's deadlines (the claim "
            f"deadline, {sustainability_years} sustainability years and their reports) as late "
            f"as {latest}, after {LAST_DAY}, the last business date the ledger takes")


def sustainability_end(realisation_end: date, years: int) -> date:
    """The realisation end + the sustainability years."""
    return add_years(realisation_end, years)


def retain_until(retention_until: date, last_payment: date | None) -> date:
    """max(the programme's retention date, 31 December of the tenth year after the year of
    the last subsidy payment); the retention date before any payment."""
    if last_payment is None:
        return retention_until
    return max(retention_until, date(last_payment.year + RETENTION_YEARS, 12, 31))


def report_schedule(plan: ReportPlan, stages: Sequence[StagePeriod],
                    realisation_end: date) -> list[ScheduledReport]:
    """The project's reports in schedule order: as given, or the default schedule."""
    if isinstance(plan, DefaultSchedule):
        return default_schedule(stages, realisation_end, plan.claim_deadline_days,
                                plan.sustainability_years)
    return [ScheduledReport(r["code"], r["kind"], r["period_start"], r["period_end"], r["due"])
            for r in plan]


def default_schedule(stages: Sequence[StagePeriod], realisation_end: date,
                     claim_deadline_days: int, sustainability_years: int,
                     ) -> list[ScheduledReport]:
    """One implementation report per stage (`ZOR-<stage>`) over the stage, due on its claim
    deadline; the last stage's is the final one (`ZZOR`), up to the current realisation end
    and due on the final claim deadline (a stage that starts after a shortened end has none).
    Then one sustainability report a year (`ZOU-<k>`, the last `ZZOU`): year k runs from the
    day after the end of year k − 1 (the first from the day after the realisation end) to the
    realisation end + k years, and is due 30 days after."""
    deadline = timedelta(days=claim_deadline_days)
    running = [stage for stage in stages if stage[1] <= realisation_end]
    reports = [ScheduledReport(f"ZOR-{code}", "implementation", start, end, end + deadline)
               for code, start, end in running[:-1]]
    reports.append(ScheduledReport("ZZOR", "final_implementation", running[-1][1],
                                   realisation_end, realisation_end + deadline))
    for year in range(1, sustainability_years + 1):
        last = year == sustainability_years
        start = add_years(realisation_end, year - 1) + timedelta(days=1)
        end = add_years(realisation_end, year)
        reports.append(ScheduledReport(
            "ZZOU" if last else f"ZOU-{year}",
            "final_sustainability" if last else "sustainability",
            start, end, end + timedelta(days=SUSTAINABILITY_REPORT_DAYS)))
    return reports


def checked_indicator_values(indicators: Sequence[str],
                             values: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A report's indicator values: every indicator of the project once, even at 0, each with
    a comment and a value ≥ 0 (DOMAIN.md; the programme's rule)."""
    seen: set[str] = set()
    checked = []
    for n, item in enumerate(values):
        code = item["code"]
        if code not in indicators:
            raise errors.UnknownReferenceError(f"indicator_values.{n}.code", "indicator", code)
        if code in seen:
            raise errors.IndicatorGivenTwiceError(f"indicator_values.{n}.code",
                                                  f"indicator {code!r} is given twice")
        seen.add(code)
        checked.append({"code": code, "value": _indicator_value(item["value"], n),
                        "comment": _comment(item.get("comment"), code, n)})
    missing = [code for code in indicators if code not in seen]
    if missing:
        raise errors.IndicatorMissingError(
            "indicator_values", "a report states every indicator, even at 0, with a comment: "
            f"{', '.join(missing)} missing")
    return checked


def _indicator_value(value: Any, n: int) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise errors.InvalidCommandError(f"indicator_values.{n}.value", "must be a number")
    if value < 0:
        raise errors.IndicatorValueNegativeError(f"indicator_values.{n}.value",
                                                 "must not be negative")
    return value


def _comment(comment: Any, code: str, n: int) -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if not text:
        raise errors.IndicatorCommentMissingError(
            f"indicator_values.{n}.comment",
            f"indicator {code!r} needs a comment, also when its value is 0")
    return text

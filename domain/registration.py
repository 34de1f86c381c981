"""The checks and defaults of a project's registration.

The input is the registration as typed values (dates, Decimals, lists of dicts); the output is
the same with every default written out, which is what the ProjectRegistered event stores.
Without `reports` the project follows the default report schedule, which moves with the
realisation end: it is stored as `reports: None`, not written out (domain.reporting).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from domain.errors import InvalidCommandError
from domain.money import money, subsidy_for
from domain.reporting import (
    DEFAULT_RETENTION_UNTIL,
    DEFAULT_SUSTAINABILITY_YEARS,
    INDICATOR_KINDS,
    REPORT_KINDS,
    check_obligations_end_in_time,
)

Registration = dict[str, Any]


def complete_registration(fields: Registration) -> Registration:
    """Fills the defaults in and refuses a registration that breaks a rule of DOMAIN.md."""
    reg = dict(fields)
    start, end = reg["realisation_start"], reg["realisation_end"]
    if start > end:
        raise InvalidCommandError("realisation_end", "the realisation ends before it starts")
    reg["eligible_from"] = reg.get("eligible_from") or start
    if reg["eligible_from"] > end:
        raise InvalidCommandError("eligible_from", "eligibility starts after the realisation ends")
    reg.setdefault("latest_end", None)
    reg["line_transfer_tolerance"] = _tolerance(reg.get("line_transfer_tolerance"))
    reg["claim_deadline_days"] = _deadline_days(reg.get("claim_deadline_days"))
    reg["currency"] = reg.get("currency") or "CZK"
    reg["budget_lines"] = _budget_lines(reg["budget_lines"])
    reg["activities"] = _activities(reg.get("activities") or [], start, end)
    reg["milestones"] = _milestones(reg.get("milestones") or [], reg["activities"], start, end)
    reg["stages"] = _stages(reg.get("stages") or [{"code": "1", "start": start, "end": end}],
                            start, end)
    _check_subsidy(reg)
    reg["indicators"] = _indicators(reg.get("indicators") or [])
    reg["sustainability_years"] = _sustainability_years(reg.get("sustainability_years"))
    check_obligations_end_in_time(end, reg["claim_deadline_days"], reg["sustainability_years"])
    reg["retention_until"] = reg.get("retention_until") or DEFAULT_RETENTION_UNTIL
    reg["reports"] = _reports(reg.get("reports"))
    return reg


def _tolerance(value: Decimal | None) -> Decimal:
    tolerance = Decimal("0.00") if value is None else value
    if not Decimal(0) <= tolerance <= Decimal(1):
        raise InvalidCommandError("line_transfer_tolerance", "must lie between 0 and 1")
    return tolerance


def _deadline_days(value: int | None) -> int:
    days = 60 if value is None else value
    if days < 0:
        raise InvalidCommandError("claim_deadline_days", "must not be negative")
    return days


def _check_subsidy(reg: Registration) -> None:
    rate = reg["support_rate"]
    if not Decimal(0) < rate <= Decimal(1):
        raise InvalidCommandError("support_rate", "must lie in (0, 1]")
    max_subsidy = _positive_money(reg["max_subsidy"], "max_subsidy")
    total = sum((line["amount"] for line in reg["budget_lines"]), Decimal("0.00"))
    if max_subsidy > subsidy_for(rate, total):
        raise InvalidCommandError(
            "max_subsidy",
            f"{max_subsidy} exceeds floor({rate} × {total}) = {subsidy_for(rate, total)}",
        )
    reg["max_subsidy"] = max_subsidy


def _positive_money(value: Decimal, field: str) -> Decimal:
    try:
        amount = money(value)
    except (ValueError, ArithmeticError):
        raise InvalidCommandError(field, f"{value} is not an amount with two places") from None
    if amount <= 0:
        raise InvalidCommandError(field, "must be greater than zero")
    return amount


def _unique(codes: Iterable[str], field: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise InvalidCommandError(field, f"code {code!r} is used twice")
        seen.add(code)


def _budget_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        raise InvalidCommandError("budget_lines", "a project needs at least one budget line")
    _unique((line["code"] for line in lines), "budget_lines")
    return [
        {"code": line["code"], "name": line["name"],
         "amount": _positive_money(line["amount"], f"budget_lines.{line['code']}.amount")}
        for line in lines
    ]


def _within(day: date, start: date, end: date, field: str) -> None:
    if not start <= day <= end:
        raise InvalidCommandError(field, f"{day} lies outside the realisation period")


def _activities(activities: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    _unique((a["code"] for a in activities), "activities")
    codes = {a["code"] for a in activities}
    result = []
    for activity in activities:
        code, parent = activity["code"], activity.get("parent")
        if parent is not None and (parent not in codes or parent == code):
            raise InvalidCommandError(f"activities.{code}.parent",
                                      f"parent activity {parent!r} does not exist")
        first, last = activity["planned_start"], activity["planned_end"]
        if first > last:
            raise InvalidCommandError(f"activities.{code}.planned_end", "ends before it starts")
        _within(first, start, end, f"activities.{code}.planned_start")
        _within(last, start, end, f"activities.{code}.planned_end")
        result.append({"code": code, "parent": parent, "title": activity["title"],
                       "planned_start": first, "planned_end": last})
    return result


def _milestones(milestones: list[dict[str, Any]], activities: list[dict[str, Any]],
                start: date, end: date) -> list[dict[str, Any]]:
    _unique((m["code"] for m in milestones), "milestones")
    codes = {a["code"] for a in activities}
    result = []
    for milestone in milestones:
        code, activity = milestone["code"], milestone.get("activity")
        if activity is not None and activity not in codes:
            raise InvalidCommandError(f"milestones.{code}.activity",
                                      f"activity {activity!r} does not exist")
        _within(milestone["due"], start, end, f"milestones.{code}.due")
        result.append({"code": code, "title": milestone["title"], "due": milestone["due"],
                       "activity": activity})
    return result


def _stages(stages: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    _unique((s["code"] for s in stages), "stages")
    ordered = sorted(stages, key=lambda s: s["start"])
    previous_end: date | None = None
    for stage in ordered:
        if stage["start"] > stage["end"]:
            raise InvalidCommandError(f"stages.{stage['code']}.end", "ends before it starts")
        follows = (stage["start"] == start if previous_end is None
                   else (stage["start"] - previous_end).days == 1)
        if not follows:
            raise InvalidCommandError(
                f"stages.{stage['code']}.start",
                f"stages must follow each other without gap or overlap from {start}")
        previous_end = stage["end"]
    if previous_end != end:
        raise InvalidCommandError("stages", f"the last stage must end on {end}")
    return [{"code": s["code"], "start": s["start"], "end": s["end"]} for s in ordered]


def _indicators(indicators: list[dict[str, Any]]) -> list[dict[str, Any]]:
    _unique((i["code"] for i in indicators), "indicators")
    result = []
    for indicator in indicators:
        code = indicator["code"]
        if indicator["kind"] not in INDICATOR_KINDS:
            raise InvalidCommandError(f"indicators.{code}.kind",
                                      f"must be one of {', '.join(INDICATOR_KINDS)}")
        baseline = _finite(indicator["baseline"], f"indicators.{code}.baseline")
        target = _finite(indicator["target"], f"indicators.{code}.target")
        if target == baseline:
            raise InvalidCommandError(f"indicators.{code}.target",
                                      f"the target equals the baseline {baseline}: there is "
                                      "nothing to achieve")
        result.append({"code": code, "name": indicator["name"], "unit": indicator["unit"],
                       "baseline": baseline, "target": target, "kind": indicator["kind"]})
    return result


def _finite(value: Any, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidCommandError(field, f"{value} is not a number")
    return value


def _sustainability_years(value: int | None) -> int:
    years = DEFAULT_SUSTAINABILITY_YEARS if value is None else value
    if isinstance(years, bool) or not isinstance(years, int) or years < 0:
        raise InvalidCommandError("sustainability_years", "must be a whole number of years ≥ 0")
    return years


def _reports(reports: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The explicit report schedule, checked; None keeps the default one."""
    if reports is None:
        return None
    _unique((r["code"] for r in reports), "reports")
    result = []
    for report in reports:
        code, kind = report["code"], report["kind"]
        if kind not in REPORT_KINDS:
            raise InvalidCommandError(f"reports.{code}.kind",
                                      f"must be one of {', '.join(REPORT_KINDS)}")
        first, last, due = report["period_start"], report["period_end"], report["due"]
        if first > last:
            raise InvalidCommandError(f"reports.{code}.period_end",
                                      "the period ends before it starts")
        if due < last:
            raise InvalidCommandError(f"reports.{code}.due",
                                      f"due on {due}, before its period ends on {last}")
        result.append({"code": code, "kind": kind, "period_start": first, "period_end": last,
                       "due": due})
    for kind in ("final_implementation", "final_sustainability"):
        finals = [r["code"] for r in result if r["kind"] == kind]
        if len(finals) > 1:
            raise InvalidCommandError("reports", f"one {kind} report at most: "
                                                 f"{', '.join(finals)}")
    return result

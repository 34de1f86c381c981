"""The geometry of the pages' SVG charts, computed on the server (no script draws anything).

Widths are proportions of the API's decimals, computed in Decimal and written with one
decimal place of a percent: a picture of the figures, never a figure shown as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from service.web.pages.formats import decimal

HUNDRED = Decimal(100)
STEP = Decimal("0.1")


def share(part: str | None, whole: str | None) -> str:
    """`part` as a percentage of `whole`, clamped to 0–100, for an SVG width (`37.5%`)."""
    numerator, denominator = decimal(part), decimal(whole)
    if numerator is None or not denominator or denominator <= 0:
        return "0%"
    return _percent(numerator / denominator)


def ratio_width(ratio: str | None) -> str:
    """A ratio of the API (`0.6674`) as an SVG width, clamped to 0–100 %."""
    value = decimal(ratio)
    return "0%" if value is None else _percent(value)


def _percent(fraction: Decimal) -> str:
    clamped = min(max(fraction, Decimal(0)), Decimal(1))
    return f"{(clamped * HUNDRED).quantize(STEP, rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Span:
    x: str  # percent of the chart's width
    width: str


@dataclass(frozen=True)
class Timeline:
    """A time axis from `start` to `end`; places days on it as percentages."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)

    def x(self, day: date) -> str:
        return _percent(Decimal((day - self.start).days) / Decimal(self.days))

    def span(self, first: date, last: date) -> Span:
        first, last = max(first, self.start), min(last, self.end)
        if last < first:
            return Span(self.x(first), "0%")
        width = Decimal((last - first).days + 1) / Decimal(self.days)
        return Span(self.x(first), _percent(width))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def years(self) -> list[tuple[int, str]]:
        """Each 1 January within the axis, with its place."""
        return [(year, self.x(date(year, 1, 1)))
                for year in range(self.start.year + 1, self.end.year + 1)]

    def lane(self, planned_start: str, planned_end: str, started: str | None,
             finished: str | None, on: str) -> Lane:
        """One row of the chart: the plan, what was done (up to `on` while it runs), and
        where `on` falls."""
        today = date.fromisoformat(on)
        done = None
        if started:
            last = date.fromisoformat(finished) if finished else today
            done = self.span(date.fromisoformat(started), last)
        return Lane(self.span(date.fromisoformat(planned_start), date.fromisoformat(planned_end)),
                    done, self.x(today) if self.contains(today) else None)


@dataclass(frozen=True)
class Lane:
    planned: Span
    done: Span | None
    today: str | None


def schedule_timeline(schedule: dict[str, object]) -> Timeline:
    """The realisation period and everything planned or done around it (reports after the
    realisation are in their own table, not on this axis)."""
    project = schedule["project"]
    assert isinstance(project, dict)
    days = [date.fromisoformat(project["realisation_start"]),
            date.fromisoformat(project["realisation_end"])]
    for activity in schedule["activities"]:  # type: ignore[attr-defined]
        days += [date.fromisoformat(activity[k]) for k in
                 ("planned_start", "planned_end", "started_on", "completed_on") if activity[k]]
    for milestone in schedule["milestones"]:  # type: ignore[attr-defined]
        days += [date.fromisoformat(milestone[k]) for k in ("due", "achieved_on")
                 if milestone[k]]
    return Timeline(min(days), max(days))

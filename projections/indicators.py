"""The indicators view (DOMAIN.md, "Indicators view").

Each indicator's value comes from the latest report submission, on or before the reference
date, that was not returned by then. Achievement is (value − baseline) / (target − baseline)
with 4 places (0 without a value), rounded down so that it shows 1.0000 only when the indicator
is achieved; a target below the baseline works by the same formula. An indicator is achieved
when that quotient, exactly, is at least 1. A `to_achieve` indicator not
achieved once the realisation has ended (the day after its current end) is in shortfall; a
`to_select` indicator never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from domain.money import RATIO_PLACES
from projections.figures import LineFigures
from projections.flags import ERROR, Flag, event_refs, flag, ref
from projections.ledger import IndicatorState, IndicatorValue, LedgerState, SubmissionState

NO_ACHIEVEMENT = Decimal("0.0000")


@dataclass(frozen=True)
class IndicatorOnDay:
    indicator: IndicatorState
    reported: tuple[IndicatorValue, SubmissionState] | None
    achievement: Decimal
    status: str

    @property
    def value(self) -> Decimal | None:
        return self.reported[0].value if self.reported else None

    @property
    def reported_in(self) -> str | None:
        return self.reported[1].report if self.reported else None


def counted_submissions(state: LedgerState, on: date) -> list[SubmissionState]:
    """Submissions dated on or before `on` and not returned by then, latest last."""
    counted = [
        s for submissions in state.submissions.values() for s in submissions
        if s.submitted_on <= on
        and not (s.decision == "returned" and s.decided_on is not None and s.decided_on <= on)
    ]
    return sorted(counted, key=lambda s: (s.submitted_on, s.position))


def achieved(indicator: IndicatorState, value: Decimal) -> bool:
    """(value − baseline) / (target − baseline) ≥ 1, exactly."""
    if indicator.target > indicator.baseline:
        return value >= indicator.target
    return value <= indicator.target


def achievement_of(indicator: IndicatorState, value: Decimal) -> Decimal:
    """(value − baseline) / (target − baseline), 4 places, rounded down."""
    quotient = (value - indicator.baseline) / (indicator.target - indicator.baseline)
    return quotient.quantize(RATIO_PLACES, rounding=ROUND_FLOOR)


def indicators_on(state: LedgerState, on: date) -> list[IndicatorOnDay]:
    ended = on > state.project.realisation_end
    latest: dict[str, tuple[IndicatorValue, SubmissionState]] = {}
    for submission in counted_submissions(state, on):
        for stated in submission.values:
            latest[stated.code] = (stated, submission)
    result = []
    for indicator in state.indicators.values():
        reported = latest.get(indicator.code)
        value = reported[0].value if reported else None
        met = value is not None and achieved(indicator, value)
        if indicator.kind == "to_achieve" and ended and not met:
            status = "shortfall"
        elif value is None:
            status = "not_reported"
        else:
            status = "achieved" if met else "in_progress"
        achievement = NO_ACHIEVEMENT if value is None else achievement_of(indicator, value)
        result.append(IndicatorOnDay(indicator, reported, achievement, status))
    return result


def indicators_view(
    state: LedgerState, on: date, *, lines: list[LineFigures] | None = None
) -> dict[str, Any]:
    """Each indicator with its value, achievement and status on `on`, and the shortfalls.
    `lines` is accepted for symmetry with the other views (no figure here depends on it)."""
    del lines
    rows = indicators_on(state, on)
    return {
        "project_id": state.project_id,
        "position": state.position,
        "on": on,
        "indicators": [
            {
                "code": r.indicator.code,
                "name": r.indicator.name,
                "unit": r.indicator.unit,
                "kind": r.indicator.kind,
                "baseline": r.indicator.baseline,
                "target": r.indicator.target,
                "value": r.value,
                "reported_in": r.reported_in,
                "achievement": r.achievement,
                "status": r.status,
            }
            for r in rows
        ],
        "flags": [shortfall_flag(state, r) for r in rows if r.status == "shortfall"],
    }


def shortfall_flag(state: LedgerState, r: IndicatorOnDay) -> Flag:
    """INDICATOR_SHORTFALL: names the indicator, the report its value came from and the
    events behind it."""
    project, i = state.project, r.indicator
    if r.reported is None:
        stated = "no report states it"
    else:
        stated = (f"report {r.reported_in} states {r.value} (achievement {r.achievement})")
    return flag(
        "INDICATOR_SHORTFALL",
        ERROR,
        f"Indicator {i.code} ({i.name}) was to reach {i.target} {i.unit} from {i.baseline} by "
        f"the realisation end {project.realisation_end}; {stated}.",
        [
            ref("indicator", i.code),
            *([ref("report", r.reported_in)] if r.reported_in else []),
            *event_refs(project.registered_position, project.end_position,
                        r.reported[1].position if r.reported else None),
        ],
    )

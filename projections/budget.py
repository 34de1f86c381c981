"""The budget view: each line's figures and their totals, with the budget's flags."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.money import ZERO, ratio
from projections.figures import FIGURES, LineFigures, line_figures, total
from projections.flags import WARNING, Flag, days, event_refs, flag, ref
from projections.ledger import LedgerState

UNPAID_AFTER_DAYS = 60
"""An expense still unpaid this many days after it was recorded is flagged the day after."""


def budget_view(
    state: LedgerState, on: date, *, lines: list[LineFigures] | None = None
) -> dict[str, Any]:
    """Lines in registration order, their totals, and the flags as on the reference date;
    `lines` are the state's line figures when the caller has them already."""
    project = state.project
    lines = line_figures(state) if lines is None else lines
    totals: dict[str, Any] = {name: total(lines, name) for name in FIGURES}
    totals["utilisation"] = ratio(totals["eligible_capped"], totals["planned"])
    return {
        "project_id": state.project_id,
        "position": state.position,
        "on": on,
        "currency": project.currency,
        "lines": [_line_row(line) for line in lines],
        "totals": totals,
        "flags": budget_flags(state, on, lines),
    }


def _line_row(line: LineFigures) -> dict[str, Any]:
    row: dict[str, Any] = {"code": line.code, "name": line.name}
    row.update({name: getattr(line, name) for name in FIGURES})
    row["utilisation"] = line.utilisation
    return row


def budget_flags(
    state: LedgerState, on: date, lines: list[LineFigures] | None = None
) -> list[Flag]:
    """EXPENSE_OUTSIDE_PERIOD, LINE_OVERRUN and EXPENSE_UNPAID, in that order."""
    lines = line_figures(state) if lines is None else lines
    return [*_outside_period(state), *_overruns(state, lines), *_unpaid(state, on)]


def _outside_period(state: LedgerState) -> list[Flag]:
    project = state.project
    flags = []
    outside = (state.expenses[i] for i in state.figures.outside_window)
    for e in sorted(outside, key=lambda expense: expense.recorded_version):
        after_end = e.tax_point_date > project.realisation_end
        flags.append(
            flag(
                "EXPENSE_OUTSIDE_PERIOD",
                WARNING,
                f"Expense {e.document_number} has tax point date {e.tax_point_date}, outside the "
                f"eligibility window {project.eligible_from} – {project.realisation_end}; its "
                f"{e.eligible_amount} {project.currency} count as ineligible.",
                [
                    ref("expense", e.expense_id),
                    ref("line", e.budget_line),
                    *event_refs(
                        e.recorded_position,
                        e.tax_point_position,
                        project.end_position if after_end else None,
                    ),
                ],
            )
        )
    return flags


def _overruns(state: LedgerState, lines: list[LineFigures]) -> list[Flag]:
    """One flag per overrun line; it names the expense whose recording crossed the ceiling."""
    currency = state.project.currency
    flags = []
    for line in lines:
        if line.overrun <= 0:
            continue
        refs = [ref("line", line.code)]
        crossing = _crossing_expense(state, line)
        if crossing is not None:
            refs.append(ref("expense", crossing[0]))
        refs.extend(
            event_refs(
                state.project.registered_position,
                *state.lines[line.code].change_positions,
                crossing[1] if crossing else None,
            )
        )
        flags.append(
            flag(
                "LINE_OVERRUN",
                WARNING,
                f"Line {line.code} has {line.eligible} {currency} eligible against "
                f"{line.planned} planned (ceiling {line.ceiling}); the overrun of {line.overrun} "
                f"{currency} is not counted.",
                refs,
            )
        )
    return flags


def _crossing_expense(state: LedgerState, line: LineFigures) -> tuple[str, int] | None:
    """The expense whose recording took the line's eligible sum over its ceiling, with its
    position: found once, then kept while the ceiling and what the expenses count stand."""
    figures = state.figures
    key = (line.ceiling, figures.revision)  # as it was before the pass, should a fold follow
    kept = figures.crossings.get(line.code)
    if kept is not None and kept[:2] == key:
        return kept[2]
    crossing = _first_crossing(state, line)
    if crossing is not None:
        figures.crossings[line.code] = (*key, crossing)
    return crossing


def _first_crossing(state: LedgerState, line: LineFigures) -> tuple[str, int] | None:
    project = state.project
    drawn = ZERO
    for e in state.expenses.values():
        if (
            e.reversed
            or e.budget_line != line.code
            or not project.is_time_eligible(e.tax_point_date)
        ):
            continue
        drawn += e.eligible_amount
        if drawn > line.ceiling:
            return e.expense_id, e.recorded_position
    return None


def _unpaid(state: LedgerState, on: date) -> list[Flag]:
    """The unpaid expenses are kept in the order they were recorded, oldest first: the first
    one not yet overdue ends the list."""
    flags = []
    for e in map(state.expenses.__getitem__, state.figures.unpaid):
        waited = (on - e.recorded_at.date()).days
        if waited <= UNPAID_AFTER_DAYS:
            break
        flags.append(
            flag(
                "EXPENSE_UNPAID",
                WARNING,
                f"Expense {e.document_number} of {e.eligible_amount} {state.project.currency}, "
                f"recorded on {e.recorded_at.date()}, is still unpaid after {days(waited)}.",
                [ref("expense", e.expense_id), *event_refs(e.recorded_position)],
            )
        )
    return flags

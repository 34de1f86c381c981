"""The schedule-compliance view: activities, milestones and reports against a reference date.

The view answers "what was the status on that day": a start, completion, achievement,
submission or decision counts (and is shown) only when its date is on or before the reference
date `on`; so does a subsidy payment for the retention date.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.money import ratio
from domain.reporting import retain_until, sustainability_end
from projections.figures import LineFigures, budget_drawn, line_figures
from projections.flags import ERROR, WARNING, Flag, days, event_refs, flag, ref
from projections.ledger import ActivityState, LedgerState, MilestoneState, ProjectState
from projections.reports import report_flags, report_rows

ZERO_RATIO = Decimal("0.0000")
ONE_RATIO = Decimal("1.0000")


def happened_by(day: date | None, on: date) -> date | None:
    """The date if it had happened by the reference date, else None."""
    return day if day is not None and day <= on else None


def activity_status(activity: ActivityState, on: date) -> tuple[str, int]:
    """(status, days late) of an activity on the reference date."""
    started = happened_by(activity.started_on, on)
    completed = happened_by(activity.completed_on, on)
    end = activity.planned_end
    if completed is not None:
        if completed <= end:
            return "completed", 0
        return "completed_late", (completed - end).days
    if on > end:
        return "overdue", (on - end).days
    if started is not None:
        return "in_progress", 0
    if on < activity.planned_start:
        return "not_started", 0
    return "due", 0


def milestone_status(milestone: MilestoneState, on: date, realisation_end: date) -> tuple[str, int]:
    """(status, days late) of a milestone on the reference date, against the current end."""
    achieved, due = happened_by(milestone.achieved_on, on), milestone.due
    if achieved is not None:
        if achieved <= due:
            return "achieved", 0
        if achieved <= realisation_end:
            return "achieved_late", (achieved - due).days
        return "missed", (achieved - due).days
    if on <= due:
        return "pending", 0
    if on <= realisation_end:
        return "overdue", (on - due).days
    return "missed", (on - due).days


def claim_deadline(project: ProjectState) -> date:
    """The current realisation end + the claim deadline days."""
    return project.realisation_end + timedelta(days=project.claim_deadline_days)


def time_elapsed(project: ProjectState, on: date) -> Decimal:
    """The share of the realisation period (to the current end) passed on `on`, in [0, 1]."""
    span = (project.realisation_end - project.realisation_start).days
    if span == 0:
        return ONE_RATIO if on >= project.realisation_start else ZERO_RATIO
    elapsed = ratio(Decimal((on - project.realisation_start).days), Decimal(span))
    return min(max(elapsed, ZERO_RATIO), ONE_RATIO)


def schedule_view(
    state: LedgerState, on: date, *, lines: list[LineFigures] | None = None
) -> dict[str, Any]:
    """Activities, milestones and reports with their status on `on`, the project's progress,
    the years after it and the schedule's flags."""
    project = state.project
    activities = []
    for a in state.activities.values():
        status, late = activity_status(a, on)
        activities.append(
            {
                "code": a.code,
                "parent": a.parent,
                "title": a.title,
                "planned_start": a.planned_start,
                "planned_end": a.planned_end,
                "started_on": happened_by(a.started_on, on),
                "completed_on": happened_by(a.completed_on, on),
                "status": status,
                "days_late": late,
            }
        )
    milestones = []
    for m in state.milestones.values():
        status, late = milestone_status(m, on, project.realisation_end)
        milestones.append(
            {
                "code": m.code,
                "title": m.title,
                "due": m.due,
                "activity": m.activity,
                "achieved_on": happened_by(m.achieved_on, on),
                "status": status,
                "days_late": late,
            }
        )
    return {
        "project_id": state.project_id,
        "position": state.position,
        "on": on,
        "activities": activities,
        "milestones": milestones,
        "reports": report_rows(state, on),
        "project": {
            "realisation_start": project.realisation_start,
            "realisation_end": project.realisation_end,
            "time_elapsed": time_elapsed(project, on),
            "budget_drawn": budget_drawn(line_figures(state) if lines is None else lines),
            "claim_deadline": claim_deadline(project),
            "final_claim_submitted": final_claim_submitted(state),
            "sustainability_end": sustainability_end(project.realisation_end,
                                                     project.sustainability_years),
            "retain_until": documents_kept_until(state, on),
        },
        "flags": schedule_flags(state, on),
    }


def documents_kept_until(state: LedgerState, on: date) -> date:
    """The retention date, or later: to the end of the tenth year after the last subsidy
    payment made by `on`."""
    paid = [p.paid_on for p in state.payouts() if p.paid_on <= on]
    return retain_until(state.project.retention_until, max(paid, default=None))


def final_claim_submitted(state: LedgerState) -> bool:
    return any(c.final for c in state.claims.values())


def schedule_flags(state: LedgerState, on: date) -> list[Flag]:
    """Activity flags, then milestone flags (each in registration order), then the final
    claim's, then the reports' (projections.reports.report_flags)."""
    flags = [f for a in state.activities.values() if (f := _activity_flag(state, a, on))]
    flags += [f for m in state.milestones.values() if (f := _milestone_flag(state, m, on))]
    project = state.project
    deadline = claim_deadline(project)
    if on > deadline and not final_claim_submitted(state):
        flags.append(
            flag(
                "FINAL_CLAIM_OVERDUE",
                ERROR,
                f"The final payment claim was due by {deadline} "
                f"({days(project.claim_deadline_days)} after the realisation end "
                f"{project.realisation_end}) and is "
                f"{days((on - deadline).days)} overdue.",
                event_refs(project.registered_position, project.end_position),
            )
        )
    return [*flags, *report_flags(state, on)]


def _activity_flag(state: LedgerState, a: ActivityState, on: date) -> Flag | None:
    status, late = activity_status(a, on)
    if status == "overdue":
        return flag(
            "ACTIVITY_OVERDUE",
            WARNING,
            f"Activity {a.code} was planned to end on {a.planned_end} and is not completed: "
            f"{days(late)} overdue.",
            [
                ref("activity", a.code),
                *event_refs(
                    state.project.registered_position,
                    a.started_position if happened_by(a.started_on, on) else None,
                ),
            ],
        )
    if status == "completed_late":
        return flag(
            "ACTIVITY_COMPLETED_LATE",
            WARNING,
            f"Activity {a.code} was completed on {a.completed_on}, {days(late)} after its "
            f"planned end {a.planned_end}.",
            [
                ref("activity", a.code),
                *event_refs(state.project.registered_position, a.completed_position),
            ],
        )
    return None


def _milestone_flag(state: LedgerState, m: MilestoneState, on: date) -> Flag | None:
    project = state.project
    status, late = milestone_status(m, on, project.realisation_end)
    achieved = happened_by(m.achieved_on, on)
    if status == "overdue":
        return flag(
            "MILESTONE_OVERDUE",
            WARNING,
            f"Milestone {m.code} was due on {m.due} and is not achieved: {days(late)} overdue.",
            [ref("milestone", m.code), *event_refs(project.registered_position)],
        )
    if status == "achieved_late":
        return flag(
            "MILESTONE_LATE",
            WARNING,
            f"Milestone {m.code} was achieved on {achieved}, {days(late)} after its due date "
            f"{m.due}.",
            [
                ref("milestone", m.code),
                *event_refs(project.registered_position, m.achieved_position),
            ],
        )
    if status == "missed":
        how = f"was achieved only on {achieved}" if achieved is not None else "was not achieved"
        return flag(
            "MILESTONE_MISSED",
            ERROR,
            f"Milestone {m.code}, due on {m.due}, {how}, after the realisation end "
            f"{project.realisation_end}: {days(late)} late.",
            [
                ref("milestone", m.code),
                *event_refs(
                    project.registered_position,
                    project.end_position,
                    m.achieved_position if achieved is not None else None,
                ),
            ],
        )
    return None

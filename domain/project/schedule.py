"""The schedule: activities started and completed, milestones achieved, the realisation end
moved by an approved change (DOMAIN.md, "Events")."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain import errors
from domain.records import Activity, DefaultSchedule, Stamp
from domain.reporting import check_obligations_end_in_time

if TYPE_CHECKING:
    from domain.project import GrantProject


def start_activity(project: GrantProject, stamp: Stamp, activity: str, started_on: date,
                   note: str | None = None) -> None:
    current = _activity(project, activity)
    if current.started_on is not None:
        raise errors.ActivityAlreadyStartedError(
            f"activity {activity} was started on {current.started_on}")
    project.record(project.ActivityStarted, stamp, activity=activity, started_on=started_on,
                   note=note)


def complete_activity(project: GrantProject, stamp: Stamp, activity: str, completed_on: date,
                      note: str | None = None) -> None:
    current = _activity(project, activity)
    if current.completed_on is not None:
        raise errors.ActivityAlreadyCompletedError(
            f"activity {activity} was completed on {current.completed_on}")
    if current.started_on is None:
        raise errors.ActivityNotStartedError(f"activity {activity} has not been started")
    if completed_on < current.started_on:
        raise errors.ActivityCompletedBeforeStartError(
            f"activity {activity} started on {current.started_on}, after {completed_on}")
    project.record(project.ActivityCompleted, stamp, activity=activity,
                   completed_on=completed_on, note=note)


def achieve_milestone(project: GrantProject, stamp: Stamp, milestone: str, achieved_on: date,
                      evidence: str | None = None, evidence_sha256: str | None = None) -> None:
    current = project.milestones.get(milestone)
    if current is None:
        raise errors.UnknownReferenceError("code", "milestone", milestone)
    if current.achieved_on is not None:
        raise errors.MilestoneAlreadyAchievedError(
            f"milestone {milestone} was achieved on {current.achieved_on}")
    if achieved_on > stamp.today:
        raise errors.MilestoneInFutureError(
            f"{achieved_on} is in the future (today is {stamp.today})")
    project.record(project.MilestoneAchieved, stamp, milestone=milestone,
                   achieved_on=achieved_on, evidence=evidence, evidence_sha256=evidence_sha256)


def change_realisation_end(project: GrantProject, stamp: Stamp, new_end: date,
                           reference: str) -> None:
    if new_end < project.realisation_start:
        raise errors.RealisationEndError(
            f"{new_end} is before the realisation start {project.realisation_start}")
    if project.latest_end is not None and new_end > project.latest_end:
        raise errors.RealisationEndError(
            f"{new_end} is after the call's latest end {project.latest_end}")
    if isinstance(project.report_plan, DefaultSchedule):  # its terms move with the end
        plan = project.report_plan
        try:
            check_obligations_end_in_time(new_end, plan.claim_deadline_days,
                                          plan.sustainability_years)
        except errors.InvalidCommandError as error:
            raise errors.RealisationEndError(error.message) from None
    project.record(project.RealisationEndChanged, stamp, new_end=new_end, reference=reference)


def _activity(project: GrantProject, code: str) -> Activity:
    try:
        return project.activities[code]
    except KeyError:
        raise errors.UnknownReferenceError("code", "activity", code,
                                           project.activities) from None

"""ActivityStarted, ActivityCompleted, MilestoneAchieved and RealisationEndChanged."""

from __future__ import annotations

from datetime import date

from builders import (
    START,
    last_event,
    manager,
    refused,
    registered_nek_project,
)

from domain import errors
from domain.events import event_data
from domain.project import GrantProject


def nek_project_with_started_activity() -> GrantProject:
    project = registered_nek_project()
    project.start_activity(manager(), activity="3.4", started_on=date(2017, 1, 9),
                           note="benchmarking interview booked")
    return project


def nek_project_with_completed_activity() -> GrantProject:
    project = nek_project_with_started_activity()
    project.complete_activity(manager(), activity="3.4", completed_on=date(2018, 2, 15))
    return project


def nek_project_with_bronze_label() -> GrantProject:
    project = registered_nek_project()
    project.achieve_milestone(manager(on=date(2018, 2, 15)), milestone="ECEI_BRONZE",
                              achieved_on=date(2018, 2, 15))
    return project


# ---- ActivityStarted ------------------------------------------------------------------------


def test_starting_an_activity_records_its_date_and_note() -> None:
    project = registered_nek_project()

    project.start_activity(manager(), activity="3.4", started_on=date(2017, 1, 9),
                           note="benchmarking interview booked")

    event = last_event(project)
    assert (type(event), event_data(event), project.activities["3.4"].started_on) == (
        GrantProject.ActivityStarted,
        {"activity": "3.4", "started_on": date(2017, 1, 9),
         "note": "benchmarking interview booked"},
        date(2017, 1, 9))


def test_starting_an_unknown_activity_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.start_activity(manager(), activity="6", started_on=date(2017, 1, 9))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "code", "6")


def test_starting_an_activity_twice_is_refused() -> None:
    project = nek_project_with_started_activity()

    with refused(project, errors.ActivityAlreadyStartedError) as refusal:
        project.start_activity(manager(), activity="3.4", started_on=date(2017, 2, 1))

    assert refusal.value.rule == "ACTIVITY_ALREADY_STARTED"


# ---- ActivityCompleted ----------------------------------------------------------------------


def test_completing_a_started_activity_records_its_date_and_note() -> None:
    project = nek_project_with_started_activity()

    project.complete_activity(manager(), activity="3.4", completed_on=date(2018, 2, 15),
                              note="ECEI Bronze Label awarded")

    event = last_event(project)
    assert (type(event), event_data(event), project.activities["3.4"].completed_on) == (
        GrantProject.ActivityCompleted,
        {"activity": "3.4", "completed_on": date(2018, 2, 15),
         "note": "ECEI Bronze Label awarded"},
        date(2018, 2, 15))


def test_an_activity_may_be_completed_on_the_day_it_started() -> None:
    project = nek_project_with_started_activity()

    project.complete_activity(manager(), activity="3.4", completed_on=date(2017, 1, 9))

    assert project.activities["3.4"].completed_on == date(2017, 1, 9)


def test_completing_an_unknown_activity_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.complete_activity(manager(), activity="6", completed_on=date(2017, 1, 9))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "code", "6")


def test_completing_an_activity_before_the_day_it_started_is_refused() -> None:
    project = nek_project_with_started_activity()

    with refused(project, errors.ActivityCompletedBeforeStartError) as refusal:
        project.complete_activity(manager(), activity="3.4", completed_on=date(2017, 1, 8))

    assert refusal.value.rule == "ACTIVITY_COMPLETED_BEFORE_START"


def test_completing_an_activity_never_started_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.ActivityNotStartedError) as refusal:
        project.complete_activity(manager(), activity="3.4", completed_on=date(2017, 9, 1))

    assert refusal.value.rule == "ACTIVITY_NOT_STARTED"


def test_completing_an_activity_twice_is_refused() -> None:
    project = nek_project_with_completed_activity()

    with refused(project, errors.ActivityAlreadyCompletedError) as refusal:
        project.complete_activity(manager(), activity="3.4", completed_on=date(2018, 2, 16))

    assert refusal.value.rule == "ACTIVITY_ALREADY_COMPLETED"


# ---- MilestoneAchieved ----------------------------------------------------------------------


def test_a_milestone_achieved_today_records_its_date_and_evidence() -> None:
    project = registered_nek_project()

    project.achieve_milestone(manager(on=date(2018, 2, 15)), milestone="ECEI_BRONZE",
                              achieved_on=date(2018, 2, 15), evidence="ESCA certificate",
                              evidence_sha256="5e" * 32)

    event = last_event(project)
    assert (type(event), event_data(event), project.milestones["ECEI_BRONZE"].achieved_on) == (
        GrantProject.MilestoneAchieved,
        {"milestone": "ECEI_BRONZE", "achieved_on": date(2018, 2, 15),
         "evidence": "ESCA certificate", "evidence_sha256": "5e" * 32},
        date(2018, 2, 15))


def test_a_milestone_achieved_after_its_due_date_is_accepted() -> None:
    project = registered_nek_project()

    project.achieve_milestone(manager(on=date(2018, 3, 1)), milestone="ECEI_BRONZE",
                              achieved_on=date(2018, 2, 15))

    assert (last_event(project).evidence, last_event(project).evidence_sha256) == (None, None)


def test_a_milestone_achieved_tomorrow_is_refused_as_a_date_in_the_future() -> None:
    project = registered_nek_project()

    with refused(project, errors.MilestoneInFutureError) as refusal:
        project.achieve_milestone(manager(on=date(2018, 2, 15)), milestone="ECEI_BRONZE",
                                  achieved_on=date(2018, 2, 16))

    assert refusal.value.rule == "MILESTONE_DATE_IN_FUTURE"


def test_achieving_an_unknown_milestone_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.achieve_milestone(manager(on=date(2018, 2, 15)), milestone="ECEI_GOLD",
                                  achieved_on=date(2018, 2, 15))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "code", "ECEI_GOLD")


def test_achieving_a_milestone_twice_is_refused() -> None:
    project = nek_project_with_bronze_label()

    with refused(project, errors.MilestoneAlreadyAchievedError) as refusal:
        project.achieve_milestone(manager(on=date(2018, 3, 1)), milestone="ECEI_BRONZE",
                                  achieved_on=date(2018, 3, 1))

    assert refusal.value.rule == "MILESTONE_ALREADY_ACHIEVED"


# ---- RealisationEndChanged ------------------------------------------------------------------


def test_an_approved_extension_moves_the_realisation_end() -> None:
    project = registered_nek_project()

    project.change_realisation_end(manager(), new_end=date(2018, 6, 30), reference="ZZ-3")

    event = last_event(project)
    assert (type(event), event_data(event), project.realisation_end) == (
        GrantProject.RealisationEndChanged,
        {"new_end": date(2018, 6, 30), "reference": "ZZ-3"}, date(2018, 6, 30))


def test_a_realisation_end_on_the_start_day_is_accepted() -> None:
    project = registered_nek_project()

    project.change_realisation_end(manager(), new_end=START, reference="ZZ-3")

    assert project.realisation_end == START


def test_a_realisation_end_before_the_start_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.RealisationEndError) as refusal:
        project.change_realisation_end(manager(), new_end=date(2016, 3, 31), reference="ZZ-3")

    assert refusal.value.rule == "REALISATION_END_INVALID"


def test_a_realisation_end_on_the_calls_latest_end_is_accepted() -> None:
    project = registered_nek_project(latest_end=date(2018, 9, 30))

    project.change_realisation_end(manager(), new_end=date(2018, 9, 30), reference="ZZ-3")

    assert project.realisation_end == date(2018, 9, 30)


def test_a_realisation_end_after_the_calls_latest_end_is_refused() -> None:
    project = registered_nek_project(latest_end=date(2018, 9, 30))

    with refused(project, errors.RealisationEndError) as refusal:
        project.change_realisation_end(manager(), new_end=date(2018, 10, 1), reference="ZZ-3")

    assert refusal.value.rule == "REALISATION_END_INVALID"

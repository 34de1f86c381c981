"""Schedule-compliance view: statuses on a reference date, the project's progress, its flags.

NEK's activity 3.4 is planned 2017-01-01 – 2017-09-30; milestone ECEI_BRONZE is due 2017-09-30;
the realisation runs 2016-04-01 – 2018-03-31.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from projection_builders import D, ProjectBuilder, rules

from projections import schedule_view

BEFORE_START, PLANNED_START = date(2016, 12, 31), date(2017, 1, 1)
PLANNED_END, AFTER_END = date(2017, 9, 30), date(2017, 10, 1)


def activity(view: dict[str, Any], code: str = "3.4") -> dict[str, Any]:
    return next(a for a in view["activities"] if a["code"] == code)


def bronze(view: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in view["milestones"] if m["code"] == "ECEI_BRONZE")


@pytest.mark.parametrize(
    ("on", "status", "days"),
    [
        (BEFORE_START, "not_started", 0),
        (PLANNED_START, "due", 0),
        (PLANNED_END, "due", 0),
        (AFTER_END, "overdue", 1),
    ],
    ids=["before-planned-start", "on-planned-start", "on-planned-end", "day-after-planned-end"],
)
def test_an_activity_not_started_is_not_started_then_due_then_overdue(
    on: date, status: str, days: int
) -> None:
    row = activity(schedule_view(ProjectBuilder().state(), on=on))

    assert (row["status"], row["days_late"], row["started_on"]) == (status, days, None)


@pytest.mark.parametrize(
    ("on", "status", "days"),
    [
        (date(2017, 2, 1), "in_progress", 0),
        (PLANNED_END, "in_progress", 0),
        (AFTER_END, "overdue", 1),
        (date(2017, 10, 31), "overdue", 31),
    ],
    ids=["on-start-date", "on-planned-end", "day-after-planned-end", "month-after"],
)
def test_a_started_activity_is_in_progress_until_its_planned_end_then_overdue(
    on: date, status: str, days: int
) -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))

    row = activity(schedule_view(builder.state(), on=on))

    assert (row["status"], row["days_late"], row["started_on"]) == (status, days, date(2017, 2, 1))


def test_a_start_after_the_reference_date_does_not_count_yet() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))

    row = activity(schedule_view(builder.state(), on=date(2017, 1, 31)))

    assert (row["status"], row["started_on"]) == ("due", None)


def test_an_activity_completed_on_its_planned_end_is_completed() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))
    builder.complete("3.4", PLANNED_END)

    row = activity(schedule_view(builder.state(), on=date(2018, 3, 1)))

    assert (row["status"], row["days_late"], row["completed_on"]) == ("completed", 0, PLANNED_END)


def test_an_activity_completed_the_day_after_its_planned_end_is_completed_late() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))
    builder.complete("3.4", AFTER_END)

    row = activity(schedule_view(builder.state(), on=date(2018, 3, 1)))

    assert (row["status"], row["days_late"]) == ("completed_late", 1)


def test_a_completion_after_the_reference_date_does_not_count_yet() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))
    builder.complete("3.4", date(2017, 9, 20))

    row = activity(schedule_view(builder.state(), on=date(2017, 9, 19)))

    assert (row["status"], row["completed_on"]) == ("in_progress", None)


def test_activity_rows_carry_their_plan_and_parent() -> None:
    view = schedule_view(ProjectBuilder().state(), on=PLANNED_START)

    assert view["activities"] == [
        {
            "code": "3",
            "parent": None,
            "title": "Promoting NEK abroad",
            "planned_start": date(2016, 4, 1),
            "planned_end": date(2018, 3, 31),
            "started_on": None,
            "completed_on": None,
            "status": "due",
            "days_late": 0,
        },
        {
            "code": "3.4",
            "parent": "3",
            "title": "Obtaining the ECEI Bronze Label",
            "planned_start": PLANNED_START,
            "planned_end": PLANNED_END,
            "started_on": None,
            "completed_on": None,
            "status": "due",
            "days_late": 0,
        },
    ]


@pytest.mark.parametrize(
    ("on", "status", "days"),
    [
        (PLANNED_END, "pending", 0),
        (AFTER_END, "overdue", 1),
        (date(2018, 3, 31), "overdue", 182),
        (date(2018, 4, 1), "missed", 183),
    ],
    ids=["on-due-date", "day-after-due", "on-realisation-end", "day-after-realisation-end"],
)
def test_a_milestone_not_achieved_is_pending_then_overdue_then_missed(
    on: date, status: str, days: int
) -> None:
    row = bronze(schedule_view(ProjectBuilder().state(), on=on))

    assert (row["status"], row["days_late"], row["achieved_on"]) == (status, days, None)


@pytest.mark.parametrize(
    ("achieved_on", "status", "days"),
    [
        (PLANNED_END, "achieved", 0),
        (AFTER_END, "achieved_late", 1),
        (date(2018, 3, 31), "achieved_late", 182),
        (date(2018, 4, 1), "missed", 183),
    ],
    ids=["on-due-date", "day-after-due", "on-realisation-end", "day-after-realisation-end"],
)
def test_a_milestone_achieved_late_within_the_realisation_is_late_and_after_it_missed(
    achieved_on: date, status: str, days: int
) -> None:
    builder = ProjectBuilder()
    builder.achieve("ECEI_BRONZE", achieved_on)

    row = bronze(schedule_view(builder.state(), on=date(2018, 5, 1)))

    assert (row["status"], row["days_late"], row["achieved_on"]) == (status, days, achieved_on)


def test_an_achievement_after_the_reference_date_does_not_count_yet() -> None:
    builder = ProjectBuilder()
    builder.achieve("ECEI_BRONZE", date(2017, 9, 15))

    row = bronze(schedule_view(builder.state(), on=date(2017, 9, 10)))

    assert (row["status"], row["achieved_on"]) == ("pending", None)


def test_a_later_realisation_end_turns_a_missed_milestone_into_a_late_one() -> None:
    builder = ProjectBuilder()
    builder.achieve("ECEI_BRONZE", date(2018, 4, 20))
    builder.change_end(date(2018, 6, 30))

    row = bronze(schedule_view(builder.state(), on=date(2018, 5, 1)))

    assert (row["status"], row["days_late"]) == ("achieved_late", 202)


def test_a_later_realisation_end_keeps_an_unachieved_milestone_overdue_instead_of_missed() -> None:
    builder = ProjectBuilder()
    builder.change_end(date(2018, 6, 30))

    row = bronze(schedule_view(builder.state(), on=date(2018, 4, 20)))

    assert (row["status"], row["days_late"]) == ("overdue", 202)


def test_milestone_rows_carry_their_due_date_and_activity() -> None:
    view = schedule_view(ProjectBuilder().state(), on=PLANNED_START)

    assert view["milestones"] == [
        {
            "code": "ECEI_BRONZE",
            "title": "ECEI Bronze Label obtained",
            "due": PLANNED_END,
            "activity": "3.4",
            "achieved_on": None,
            "status": "pending",
            "days_late": 0,
        }
    ]


def test_project_part_shows_elapsed_time_drawn_budget_and_the_claim_deadline() -> None:
    builder = ProjectBuilder()
    builder.expense("PERSONNEL", "1555240.00")

    view = schedule_view(builder.state(), on=date(2017, 3, 31))

    assert view["project"] == {
        "realisation_start": date(2016, 4, 1),
        "realisation_end": date(2018, 3, 31),
        "time_elapsed": D("0.4993"),
        "budget_drawn": D("0.2000"),
        "claim_deadline": date(2018, 5, 30),
        "final_claim_submitted": False,
        "sustainability_end": date(2023, 3, 31),
        "retain_until": date(2033, 12, 31),
    }
    assert (view["on"], view["position"], view["project_id"]) == (
        date(2017, 3, 31),
        2,
        builder.project.id,
    )


@pytest.mark.parametrize(
    ("on", "elapsed"),
    [
        (date(2016, 3, 1), "0.0000"),
        (date(2016, 4, 1), "0.0000"),
        (date(2018, 3, 31), "1.0000"),
        (date(2019, 1, 1), "1.0000"),
    ],
    ids=["before-start", "on-start", "on-end", "after-end"],
)
def test_time_elapsed_is_clamped_to_the_realisation_period(on: date, elapsed: str) -> None:
    view = schedule_view(ProjectBuilder().state(), on=on)

    assert view["project"]["time_elapsed"] == D(elapsed)


def test_time_elapsed_and_the_claim_deadline_follow_a_changed_realisation_end() -> None:
    builder = ProjectBuilder()
    builder.change_end(date(2018, 6, 30))

    project = schedule_view(builder.state(), on=date(2018, 3, 31))["project"]

    assert (project["realisation_end"], project["time_elapsed"], project["claim_deadline"]) == (
        date(2018, 6, 30),
        D("0.8890"),
        date(2018, 8, 29),
    )


def test_the_final_claim_is_not_overdue_on_the_deadline() -> None:
    view = schedule_view(ProjectBuilder().state(), on=date(2018, 5, 30))

    assert "FINAL_CLAIM_OVERDUE" not in rules(view)


def test_the_final_claim_is_overdue_the_day_after_the_deadline() -> None:
    view = schedule_view(ProjectBuilder().state(), on=date(2018, 5, 31))

    assert next(f for f in view["flags"] if f["rule"] == "FINAL_CLAIM_OVERDUE") == {
        "rule": "FINAL_CLAIM_OVERDUE",
        "severity": "error",
        "message": "The final payment claim was due by 2018-05-30 (60 days after the "
        "realisation end 2018-03-31) and is 1 day overdue.",
        "refs": [{"type": "event", "id": "1"}],
    }


def test_a_submitted_final_claim_is_never_overdue() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "10.00")
    builder.submit("1", expense, final=True, stage="2", submitted_on=date(2018, 6, 15))

    view = schedule_view(builder.state(), on=date(2018, 7, 1))

    assert view["project"]["final_claim_submitted"] is True
    assert "FINAL_CLAIM_OVERDUE" not in rules(view)


def test_overdue_activity_and_milestone_are_flagged_as_warnings() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))

    view = schedule_view(builder.state(), on=date(2017, 10, 11))

    assert view["flags"] == [
        {
            "rule": "ACTIVITY_OVERDUE",
            "severity": "warning",
            "message": "Activity 3.4 was planned to end on 2017-09-30 and is not completed: "
            "11 days overdue.",
            "refs": [
                {"type": "activity", "id": "3.4"},
                {"type": "event", "id": "1"},
                {"type": "event", "id": "2"},
            ],
        },
        {
            "rule": "MILESTONE_OVERDUE",
            "severity": "warning",
            "message": "Milestone ECEI_BRONZE was due on 2017-09-30 and is not achieved: "
            "11 days overdue.",
            "refs": [{"type": "milestone", "id": "ECEI_BRONZE"}, {"type": "event", "id": "1"}],
        },
        {
            "rule": "REPORT_OVERDUE",
            "severity": "error",
            "message": "The implementation report ZOR-1 was due on 2017-05-30 and is not "
            "submitted: 134 days overdue.",
            "refs": [{"type": "report", "id": "ZOR-1"}, {"type": "event", "id": "1"}],
        },
    ]


def test_late_completion_and_late_achievement_are_flagged_as_warnings() -> None:
    builder = ProjectBuilder()
    builder.start("3.4", date(2017, 2, 1))
    builder.complete("3.4", date(2017, 10, 5))
    builder.achieve("ECEI_BRONZE", date(2018, 2, 15))

    view = schedule_view(builder.state(), on=date(2018, 3, 1))

    assert view["flags"] == [
        {
            "rule": "ACTIVITY_COMPLETED_LATE",
            "severity": "warning",
            "message": "Activity 3.4 was completed on 2017-10-05, 5 days after its planned end "
            "2017-09-30.",
            "refs": [
                {"type": "activity", "id": "3.4"},
                {"type": "event", "id": "1"},
                {"type": "event", "id": "3"},
            ],
        },
        {
            "rule": "MILESTONE_LATE",
            "severity": "warning",
            "message": "Milestone ECEI_BRONZE was achieved on 2018-02-15, 138 days after its due "
            "date 2017-09-30.",
            "refs": [
                {"type": "milestone", "id": "ECEI_BRONZE"},
                {"type": "event", "id": "1"},
                {"type": "event", "id": "4"},
            ],
        },
        {
            "rule": "REPORT_OVERDUE",
            "severity": "error",
            "message": "The implementation report ZOR-1 was due on 2017-05-30 and is not "
            "submitted: 275 days overdue.",
            "refs": [{"type": "report", "id": "ZOR-1"}, {"type": "event", "id": "1"}],
        },
    ]


def test_a_missed_milestone_is_an_error_naming_the_late_achievement() -> None:
    builder = ProjectBuilder()
    builder.achieve("ECEI_BRONZE", date(2018, 4, 20))

    view = schedule_view(builder.state(), on=date(2018, 5, 1))

    assert [f for f in view["flags"] if f["rule"] == "MILESTONE_MISSED"] == [
        {
            "rule": "MILESTONE_MISSED",
            "severity": "error",
            "message": "Milestone ECEI_BRONZE, due on 2017-09-30, was achieved only on 2018-04-20, "
            "after the realisation end 2018-03-31: 202 days late.",
            "refs": [
                {"type": "milestone", "id": "ECEI_BRONZE"},
                {"type": "event", "id": "1"},
                {"type": "event", "id": "2"},
            ],
        }
    ]


def test_a_milestone_never_achieved_is_missed_after_the_changed_end() -> None:
    builder = ProjectBuilder()
    builder.change_end(date(2018, 2, 28))

    view = schedule_view(builder.state(), on=date(2018, 3, 1))

    assert [f for f in view["flags"] if f["rule"] == "MILESTONE_MISSED"] == [
        {
            "rule": "MILESTONE_MISSED",
            "severity": "error",
            "message": "Milestone ECEI_BRONZE, due on 2017-09-30, was not achieved, after the "
            "realisation end 2018-02-28: 152 days late.",
            "refs": [
                {"type": "milestone", "id": "ECEI_BRONZE"},
                {"type": "event", "id": "1"},
                {"type": "event", "id": "2"},
            ],
        }
    ]


def test_a_schedule_on_plan_has_no_flags() -> None:
    builder = ProjectBuilder()
    builder.start("3", date(2016, 4, 1))
    builder.start("3.4", date(2017, 1, 2))
    builder.complete("3.4", date(2017, 9, 1))
    builder.achieve("ECEI_BRONZE", date(2017, 9, 1))
    builder.submit_report("ZOR-1", date(2017, 5, 30))

    view = schedule_view(builder.state(), on=date(2017, 12, 1))

    assert view["flags"] == []


@pytest.mark.parametrize(
    ("on", "elapsed"), [(date(2016, 3, 31), "0.0000"), (date(2016, 4, 1), "1.0000")]
)
def test_a_one_day_realisation_has_elapsed_entirely_on_that_day(on: date, elapsed: str) -> None:
    builder = ProjectBuilder(
        realisation_end=date(2016, 4, 1), activities=[], milestones=[], stages=None
    )

    view = schedule_view(builder.state(), on=on)

    assert view["project"]["time_elapsed"] == D(elapsed)

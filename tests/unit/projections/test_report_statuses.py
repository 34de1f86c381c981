"""Reports in the schedule view: each status at its boundary days, the flags REPORT_OVERDUE and
CLAIM_WITHOUT_REPORT, the sustainability end and how long documents are kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from projection_builders import ProjectBuilder, rules

from projections import schedule_view

ZOR_1_DUE = date(2017, 5, 30)


def zor_1(builder: ProjectBuilder, on: date) -> dict[str, Any]:
    view = schedule_view(builder.state(), on=on)
    return next(r for r in view["reports"] if r["code"] == "ZOR-1")


def status(builder: ProjectBuilder, on: date) -> tuple[str, int]:
    row = zor_1(builder, on)
    return row["status"], row["days_late"]


def test_the_schedule_view_lists_the_default_reports_in_schedule_order() -> None:
    view = schedule_view(ProjectBuilder(sustainability_years=1).state(), on=date(2017, 1, 1))

    assert view["reports"] == [
        {"code": "ZOR-1", "kind": "implementation", "period_start": date(2016, 4, 1),
         "period_end": date(2017, 3, 31), "due": ZOR_1_DUE, "submitted_on": None,
         "decided_on": None, "status": "pending", "days_late": 0},
        {"code": "ZZOR", "kind": "final_implementation", "period_start": date(2017, 4, 1),
         "period_end": date(2018, 3, 31), "due": date(2018, 5, 30), "submitted_on": None,
         "decided_on": None, "status": "pending", "days_late": 0},
        {"code": "ZZOU", "kind": "final_sustainability", "period_start": date(2018, 4, 1),
         "period_end": date(2019, 3, 31), "due": date(2019, 4, 30), "submitted_on": None,
         "decided_on": None, "status": "pending", "days_late": 0},
    ]


@pytest.mark.parametrize(("on", "expected"), [
    (date(2017, 5, 29), ("pending", 0)),
    (ZOR_1_DUE, ("pending", 0)),
    (date(2017, 5, 31), ("overdue", 1)),
], ids=["day before due", "due day", "day after"])
def test_a_report_not_submitted_is_pending_to_its_due_day_and_overdue_after(
        on: date, expected: tuple[str, int]) -> None:
    assert status(ProjectBuilder(), on) == expected


def test_a_report_submitted_on_its_due_day_is_not_late() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", ZOR_1_DUE)

    row = zor_1(builder, date(2017, 6, 30))

    assert (row["status"], row["days_late"], row["submitted_on"], row["decided_on"]) == (
        "submitted", 0, ZOR_1_DUE, None)


def test_a_report_submitted_a_day_after_its_due_day_is_a_day_late() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 31))

    assert status(builder, date(2017, 6, 30)) == ("submitted", 1)


def test_a_submission_counts_only_from_its_date_on() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 31))

    row = zor_1(builder, ZOR_1_DUE)

    assert (row["status"], row["submitted_on"]) == ("pending", None)


def test_an_approved_report_shows_its_decision_from_the_day_of_it() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 2))
    builder.approve_report("ZOR-1", date(2017, 6, 12))

    before, after = zor_1(builder, date(2017, 6, 11)), zor_1(builder, date(2017, 6, 12))

    assert [(r["status"], r["decided_on"]) for r in (before, after)] == [
        ("submitted", None), ("approved", date(2017, 6, 12))]


def test_a_report_returned_before_its_due_date_is_returned_until_then() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 2))
    builder.return_report("ZOR-1", date(2017, 5, 10))

    assert [status(builder, on) for on in (date(2017, 5, 9), ZOR_1_DUE, date(2017, 5, 31))] == [
        ("submitted", 0), ("returned", 0), ("overdue", 1)]


def test_a_report_returned_after_its_due_date_is_overdue_from_the_return() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 20))
    builder.return_report("ZOR-1", date(2017, 6, 15))

    assert [status(builder, on) for on in (date(2017, 6, 14), date(2017, 6, 15))] == [
        ("submitted", 0), ("overdue", 16)]


def test_a_returned_report_submitted_again_after_its_due_date_is_late_by_that_submission() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 20))
    builder.return_report("ZOR-1", date(2017, 6, 15))
    builder.submit_report("ZOR-1", date(2017, 6, 20))

    row = zor_1(builder, date(2017, 7, 1))

    assert (row["status"], row["days_late"], row["submitted_on"], row["decided_on"]) == (
        "submitted", 21, date(2017, 6, 20), None)


# ---- flags ----------------------------------------------------------------------------------


def test_an_overdue_report_is_an_error_naming_the_report_and_its_schedule() -> None:
    view = schedule_view(ProjectBuilder().state(), on=date(2017, 5, 31))

    assert [f for f in view["flags"] if f["rule"] == "REPORT_OVERDUE"] == [{
        "rule": "REPORT_OVERDUE",
        "severity": "error",
        "message": "The implementation report ZOR-1 was due on 2017-05-30 and is not "
                   "submitted: 1 day overdue.",
        "refs": [{"type": "report", "id": "ZOR-1"}, {"type": "event", "id": "1"}],
    }]


def test_a_returned_report_overdue_names_the_return() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 20))
    builder.return_report("ZOR-1", date(2017, 6, 15))

    view = schedule_view(builder.state(), on=date(2017, 6, 20))

    assert [f for f in view["flags"] if f["rule"] == "REPORT_OVERDUE"] == [{
        "rule": "REPORT_OVERDUE",
        "severity": "error",
        "message": "The implementation report ZOR-1 was returned on 2017-06-15 and is not "
                   "submitted again; it was due on 2017-05-30: 21 days overdue.",
        "refs": [{"type": "report", "id": "ZOR-1"}, {"type": "event", "id": "1"},
                 {"type": "event", "id": "3"}],
    }]


def test_the_final_report_overdue_after_a_later_end_names_the_change() -> None:
    builder = ProjectBuilder()
    builder.submit_report("ZOR-1", date(2017, 5, 2))
    builder.change_end(date(2018, 6, 30))

    view = schedule_view(builder.state(), on=date(2018, 8, 30))

    assert [(f["message"], f["refs"]) for f in view["flags"] if f["rule"] == "REPORT_OVERDUE"
            ] == [("The final implementation report ZZOR was due on 2018-08-29 and is not "
                   "submitted: 1 day overdue.",
                   [{"type": "report", "id": "ZZOR"}, {"type": "event", "id": "3"}])]


def test_a_claim_submitted_before_its_stages_report_is_an_error() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit("1", expense, submitted_on=date(2017, 4, 20))
    builder.submit_report("ZOR-1", date(2017, 4, 21))

    view = schedule_view(builder.state(), on=date(2017, 5, 1))

    assert view["flags"] == [{
        "rule": "CLAIM_WITHOUT_REPORT",
        "severity": "error",
        "message": "Payment claim 1 for stage 1 was submitted on 2017-04-20 without its "
                   "implementation report ZOR-1: the programme does not process a claim "
                   "without it.",
        "refs": [{"type": "claim", "id": "1"}, {"type": "report", "id": "ZOR-1"},
                 {"type": "event", "id": "1"}, {"type": "event", "id": "3"}],
    }]


def test_a_report_submitted_on_the_claims_day_goes_with_the_claim() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit_report("ZOR-1", date(2017, 4, 20))
    builder.submit("1", expense, submitted_on=date(2017, 4, 20))

    assert rules(schedule_view(builder.state(), on=date(2017, 5, 1))) == []


def test_the_final_claim_travels_with_the_final_report() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit_report("ZOR-1", date(2017, 4, 20))
    builder.submit("1", expense, stage="2", final=True, submitted_on=date(2018, 4, 20))

    view = schedule_view(builder.state(), on=date(2018, 4, 25))

    assert [(f["refs"][:2]) for f in view["flags"] if f["rule"] == "CLAIM_WITHOUT_REPORT"] == [
        [{"type": "claim", "id": "1"}, {"type": "report", "id": "ZZOR"}]]


def test_a_claim_dated_after_the_reference_date_is_not_yet_without_its_report() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit("1", expense, submitted_on=date(2017, 4, 20))

    assert rules(schedule_view(builder.state(), on=date(2017, 4, 19))) == []


def test_a_project_with_an_empty_report_schedule_has_no_report_flags() -> None:
    builder = ProjectBuilder(reports=[])
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit("1", expense, submitted_on=date(2017, 4, 20))

    view = schedule_view(builder.state(), on=date(2018, 5, 1))

    assert (view["reports"], rules(view)) == (
        [], ["ACTIVITY_OVERDUE", "ACTIVITY_OVERDUE", "MILESTONE_MISSED"])


# ---- the years after the project ------------------------------------------------------------


def test_the_sustainability_end_follows_a_change_of_the_realisation_end() -> None:
    builder = ProjectBuilder(sustainability_years=3)
    builder.change_end(date(2018, 6, 30))

    project = schedule_view(builder.state(), on=date(2018, 7, 1))["project"]

    assert project["sustainability_end"] == date(2021, 6, 30)


def test_documents_are_kept_to_the_retention_date_without_payments() -> None:
    project = schedule_view(ProjectBuilder().state(), on=date(2018, 7, 1))["project"]

    assert project["retain_until"] == date(2033, 12, 31)


def test_a_late_payment_keeps_documents_to_the_end_of_its_tenth_year_from_its_day_on() -> None:
    builder = ProjectBuilder(retention_until=date(2030, 12, 31))
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit("1", expense)
    builder.approve("1")
    builder.pay_subsidy("1", "20.00", paid_on=date(2017, 7, 1))
    builder.pay_subsidy("1", "30.00", paid_on=date(2021, 3, 2))

    kept = [schedule_view(builder.state(), on=on)["project"]["retain_until"]
            for on in (date(2017, 6, 30), date(2017, 7, 1), date(2021, 3, 1), date(2021, 3, 2))]

    assert kept == [date(2030, 12, 31), date(2030, 12, 31), date(2030, 12, 31),
                    date(2031, 12, 31)]


"""ReportSubmitted, ReportApproved and ReportReturned: every invariant refused and accepted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from builders import (
    ZOR_1_ENDS,
    auditor,
    indicator_values,
    last_event,
    manager,
    nek_project_with_indicators,
    nek_project_with_returned_report,
    nek_project_with_submitted_report,
    refused,
    registered_nek_project,
)

from domain import errors
from domain.events import event_data
from domain.project import GrantProject
from domain.records import ReportProgress

SUBMITTED_ON = date(2017, 4, 20)


def submit(project: GrantProject, values: list[dict[str, Any]] | None = None,
           on: date = SUBMITTED_ON, report: str = "ZOR-1", today: date | None = None) -> None:
    project.submit_report(manager(today or on), report, on,
                          indicator_values() if values is None else values)


# ---- ReportSubmitted ------------------------------------------------------------------------


def test_submitting_a_report_records_every_indicator_with_its_comment() -> None:
    project = nek_project_with_indicators()

    project.submit_report(manager(SUBMITTED_ON), "ZOR-1", SUBMITTED_ON,
                          indicator_values("2", "0"), narrative="Support centre opened.")

    event = last_event(project)
    assert (type(event), event_data(event), project.reports["ZOR-1"]) == (
        GrantProject.ReportSubmitted,
        {"report": "ZOR-1", "submitted_on": SUBMITTED_ON, "narrative": "Support centre opened.",
         "indicator_values": [
             {"code": "PARTNERS", "value": Decimal("2"),
              "comment": "Fraunhofer ISE and two Bavarian clusters"},
             {"code": "PROPOSALS", "value": Decimal("0"),
              "comment": "none submitted yet; two in preparation"}]},
        ReportProgress("ZOR-1", SUBMITTED_ON))


def test_a_report_of_a_project_without_indicators_has_no_values() -> None:
    project = registered_nek_project()

    submit(project, values=[])

    assert event_data(last_event(project))["indicator_values"] == []


def test_a_report_may_be_submitted_on_the_last_day_of_its_period() -> None:
    project = nek_project_with_indicators()

    submit(project, on=ZOR_1_ENDS)

    assert project.reports["ZOR-1"].submitted_on == ZOR_1_ENDS


def test_a_report_submitted_the_day_before_its_period_ends_is_refused() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.ReportPeriodNotEndedError):
        submit(project, on=date(2017, 3, 30))


def test_a_report_dated_today_is_accepted_and_tomorrow_refused() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.ReportDateInFutureError):
        submit(project, on=date(2017, 4, 21), today=SUBMITTED_ON)
    submit(project, on=SUBMITTED_ON, today=SUBMITTED_ON)

    assert project.reports["ZOR-1"].submitted_on == SUBMITTED_ON


def test_an_unknown_report_is_refused_naming_the_code() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.UnknownReferenceError) as refusal:
        submit(project, report="ZOR-7")

    assert (refusal.value.field, refusal.value.kind, refusal.value.key) == (
        "code", "report", "ZOR-7")


def test_a_report_awaiting_its_decision_is_not_submitted_again() -> None:
    project = nek_project_with_submitted_report()

    with refused(project, errors.ReportAlreadySubmittedError):
        submit(project, on=date(2017, 4, 25))


def test_an_approved_report_is_not_submitted_again() -> None:
    project = nek_project_with_submitted_report()
    project.approve_report(auditor(date(2017, 5, 2)), "ZOR-1", date(2017, 5, 2))

    with refused(project, errors.ReportAlreadyApprovedError):
        submit(project, on=date(2017, 5, 3))


def test_a_returned_report_is_submitted_again_and_keeps_its_history() -> None:
    project = nek_project_with_returned_report()

    submit(project, indicator_values("3", "1"), on=date(2017, 5, 10))

    history = [(type(e).__name__, event_data(e).get("submitted_on") or e.decided_on)
               for e in project.pending_events[-3:]]
    assert (history, project.reports["ZOR-1"]) == (
        [("ReportSubmitted", SUBMITTED_ON), ("ReportReturned", date(2017, 5, 2)),
         ("ReportSubmitted", date(2017, 5, 10))],
        ReportProgress("ZOR-1", date(2017, 5, 10)))


def test_a_returned_report_is_submitted_again_on_the_day_it_was_returned_not_before() -> None:
    project = nek_project_with_returned_report()

    with refused(project, errors.ReportDateOutOfOrderError):
        submit(project, on=date(2017, 5, 1))
    submit(project, on=date(2017, 5, 2))

    assert project.reports["ZOR-1"].submitted_on == date(2017, 5, 2)


def test_every_indicator_is_stated_even_at_zero() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.IndicatorMissingError) as refusal:
        submit(project, values=indicator_values()[:1])

    assert (refusal.value.rule, refusal.value.field) == ("INDICATOR_MISSING", "indicator_values")


def test_an_indicator_given_twice_is_refused() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.IndicatorGivenTwiceError) as refusal:
        submit(project, values=[*indicator_values(), indicator_values()[0]])

    assert (refusal.value.rule, refusal.value.field) == (
        "INDICATOR_GIVEN_TWICE", "indicator_values.2.code")


def test_an_unknown_indicator_is_refused() -> None:
    project = nek_project_with_indicators()
    values = [*indicator_values(), {"code": "JOBS", "value": Decimal("1"), "comment": "c"}]

    with refused(project, errors.UnknownReferenceError) as refusal:
        submit(project, values=values)

    assert (refusal.value.field, refusal.value.kind) == ("indicator_values.2.code", "indicator")


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_an_indicator_without_a_comment_is_refused_even_at_zero(comment: str | None) -> None:
    project = nek_project_with_indicators()
    values = indicator_values()
    values[1]["comment"] = comment

    with refused(project, errors.IndicatorCommentMissingError) as refusal:
        submit(project, values=values)

    assert (refusal.value.rule, refusal.value.field) == (
        "INDICATOR_COMMENT_MISSING", "indicator_values.1.comment")


def test_a_negative_value_is_refused_and_zero_accepted() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.IndicatorValueNegativeError) as refusal:
        submit(project, values=indicator_values(partners="-0.01"))
    submit(project, values=indicator_values(partners="0"))

    assert (refusal.value.rule, refusal.value.field,
            event_data(last_event(project))["indicator_values"][0]["value"]) == (
        "INDICATOR_VALUE_NEGATIVE", "indicator_values.0.value", Decimal("0"))


def test_a_value_that_is_not_a_finite_number_is_refused() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.InvalidCommandError) as refusal:
        submit(project, values=indicator_values(partners="Infinity"))

    assert refusal.value.field == "indicator_values.0.value"


def test_a_sustainability_report_waits_for_its_year_to_end() -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.ReportPeriodNotEndedError):
        submit(project, report="ZOU-1", on=date(2019, 3, 30))
    submit(project, report="ZOU-1", on=date(2019, 3, 31))

    assert project.reports["ZOU-1"].submitted_on == date(2019, 3, 31)


# ---- ReportApproved and ReportReturned ------------------------------------------------------


def test_approving_a_submitted_report_records_the_decision() -> None:
    project = nek_project_with_submitted_report()

    project.approve_report(auditor(date(2017, 5, 2)), "ZOR-1", date(2017, 5, 2))

    event = last_event(project)
    assert (type(event), event_data(event), project.reports["ZOR-1"]) == (
        GrantProject.ReportApproved, {"report": "ZOR-1", "decided_on": date(2017, 5, 2)},
        ReportProgress("ZOR-1", SUBMITTED_ON, "approved", date(2017, 5, 2)))


def test_returning_a_submitted_report_records_the_reason() -> None:
    project = nek_project_with_submitted_report()

    project.return_report(auditor(date(2017, 5, 2)), "ZOR-1", date(2017, 5, 2),
                          reason="name the proposals")

    event = last_event(project)
    assert (type(event), event_data(event), project.reports["ZOR-1"]) == (
        GrantProject.ReportReturned,
        {"report": "ZOR-1", "decided_on": date(2017, 5, 2), "reason": "name the proposals"},
        ReportProgress("ZOR-1", SUBMITTED_ON, "returned", date(2017, 5, 2)))


@pytest.mark.parametrize("decide", ["approve", "return"])
def test_a_report_not_submitted_cannot_be_decided(decide: str) -> None:
    project = nek_project_with_indicators()

    with refused(project, errors.ReportNotSubmittedError):
        _decide(project, decide, date(2017, 5, 2))


@pytest.mark.parametrize("first", ["approve", "return"])
@pytest.mark.parametrize("then", ["approve", "return"])
def test_a_decided_report_is_not_decided_again_before_it_is_submitted_again(
        first: str, then: str) -> None:
    project = nek_project_with_submitted_report()
    _decide(project, first, date(2017, 5, 2))

    with refused(project, errors.ReportAlreadyDecidedError):
        _decide(project, then, date(2017, 5, 3))


def test_a_report_submitted_again_after_its_return_is_decided_again() -> None:
    project = nek_project_with_returned_report()
    submit(project, on=date(2017, 5, 10))

    project.approve_report(auditor(date(2017, 5, 20)), "ZOR-1", date(2017, 5, 20))

    assert project.reports["ZOR-1"] == ReportProgress("ZOR-1", date(2017, 5, 10), "approved",
                                                      date(2017, 5, 20))


@pytest.mark.parametrize("decide", ["approve", "return"])
def test_a_decision_before_the_submission_is_refused_and_on_its_day_accepted(
        decide: str) -> None:
    project = nek_project_with_submitted_report()

    with refused(project, errors.ReportDateOutOfOrderError):
        _decide(project, decide, date(2017, 4, 19))
    _decide(project, decide, SUBMITTED_ON)

    assert project.reports["ZOR-1"].decided_on == SUBMITTED_ON


@pytest.mark.parametrize("decide", ["approve", "return"])
def test_a_decision_dated_in_the_future_is_refused(decide: str) -> None:
    project = nek_project_with_submitted_report()

    with refused(project, errors.ReportDateInFutureError):
        _decide(project, decide, date(2017, 5, 3), today=date(2017, 5, 2))


@pytest.mark.parametrize("decide", ["approve", "return"])
def test_deciding_an_unknown_report_is_refused(decide: str) -> None:
    project = nek_project_with_submitted_report()

    with refused(project, errors.UnknownReferenceError):
        _decide(project, decide, date(2017, 5, 2), report="ZOR-9")


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_return_without_a_reason_is_refused(reason: str) -> None:
    project = nek_project_with_submitted_report()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.return_report(auditor(date(2017, 5, 2)), "ZOR-1", date(2017, 5, 2), reason)

    assert refusal.value.field == "reason"


def _decide(project: GrantProject, decide: str, on: date, today: date | None = None,
            report: str = "ZOR-1") -> None:
    stamp = auditor(today or on)
    if decide == "approve":
        project.approve_report(stamp, report, on)
    else:
        project.return_report(stamp, report, on, reason="incomplete")

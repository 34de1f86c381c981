"""Registration of indicators and reports, the report schedule (default and explicit), the
sustainability end and the retention date (DOMAIN.md, "Indicators, reports and the years after
the project")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from builders import (
    END,
    START,
    first_event,
    manager,
    nek_indicators,
    nek_registration,
    registered_nek_project,
)

from domain.errors import InvalidCommandError
from domain.events import event_data
from domain.project import GrantProject
from domain.records import ScheduledReport
from domain.reporting import add_years, retain_until, sustainability_end


def schedule(project: GrantProject) -> list[tuple[str, str, date, date, date]]:
    return [(r.code, r.kind, r.period_start, r.period_end, r.due)
            for r in project.report_schedule()]


def report(code: str, kind: str = "implementation", start: date = START,
           end: date = date(2017, 3, 31), due: date = date(2017, 5, 30)) -> dict[str, Any]:
    return {"code": code, "kind": kind, "period_start": start, "period_end": end, "due": due}


def with_indicator(**changes: Any) -> list[dict[str, Any]]:
    return [{**nek_indicators()[0], **changes}, nek_indicators()[1]]


# ---- the default schedule -------------------------------------------------------------------


def test_one_stage_gives_the_final_implementation_report_and_the_sustainability_years() -> None:
    project = registered_nek_project(stages=[], sustainability_years=3)

    assert schedule(project) == [
        ("ZZOR", "final_implementation", START, END, date(2018, 5, 30)),
        ("ZOU-1", "sustainability", date(2018, 4, 1), date(2019, 3, 31), date(2019, 4, 30)),
        ("ZOU-2", "sustainability", date(2019, 4, 1), date(2020, 3, 31), date(2020, 4, 30)),
        ("ZZOU", "final_sustainability", date(2020, 4, 1), date(2021, 3, 31),
         date(2021, 4, 30)),
    ]


def test_several_stages_give_one_report_each_due_on_the_stages_claim_deadline() -> None:
    project = registered_nek_project(claim_deadline_days=45, sustainability_years=1)

    assert schedule(project) == [
        ("ZOR-1", "implementation", START, date(2017, 3, 31), date(2017, 5, 15)),
        ("ZZOR", "final_implementation", date(2017, 4, 1), END, date(2018, 5, 15)),
        ("ZZOU", "final_sustainability", date(2018, 4, 1), date(2019, 3, 31),
         date(2019, 4, 30)),
    ]


def test_five_sustainability_years_are_the_default() -> None:
    project = registered_nek_project()

    assert [r.code for r in project.report_schedule()] == [
        "ZOR-1", "ZZOR", "ZOU-1", "ZOU-2", "ZOU-3", "ZOU-4", "ZZOU"]


def test_no_sustainability_years_give_no_sustainability_report() -> None:
    project = registered_nek_project(sustainability_years=0)

    assert [r.code for r in project.report_schedule()] == ["ZOR-1", "ZZOR"]


def test_a_later_end_extends_the_final_report_and_moves_the_sustainability_years() -> None:
    project = registered_nek_project(sustainability_years=2)

    project.change_realisation_end(manager(), date(2018, 6, 30), reference="change 2")

    assert schedule(project) == [
        ("ZOR-1", "implementation", START, date(2017, 3, 31), date(2017, 5, 30)),
        ("ZZOR", "final_implementation", date(2017, 4, 1), date(2018, 6, 30),
         date(2018, 8, 29)),
        ("ZOU-1", "sustainability", date(2018, 7, 1), date(2019, 6, 30), date(2019, 7, 30)),
        ("ZZOU", "final_sustainability", date(2019, 7, 1), date(2020, 6, 30),
         date(2020, 7, 30)),
    ]


def test_an_end_moved_into_the_first_stage_leaves_it_the_final_report() -> None:
    project = registered_nek_project(sustainability_years=0)

    project.change_realisation_end(manager(), date(2017, 2, 28), reference="change 3")

    assert schedule(project) == [
        ("ZZOR", "final_implementation", START, date(2017, 2, 28), date(2017, 4, 29))]


def test_sustainability_years_after_an_end_on_29_february_follow_each_other_without_gap() -> None:
    project = registered_nek_project(stages=[], realisation_end=date(2016, 2, 29),
                                     realisation_start=date(2015, 3, 1), activities=[],
                                     milestones=[], sustainability_years=2)

    assert schedule(project)[1:] == [
        ("ZOU-1", "sustainability", date(2016, 3, 1), date(2017, 2, 28), date(2017, 3, 30)),
        ("ZZOU", "final_sustainability", date(2017, 3, 1), date(2018, 2, 28),
         date(2018, 3, 30)),
    ]


# ---- an explicit schedule -------------------------------------------------------------------


def test_an_explicit_schedule_is_kept_as_given_and_does_not_follow_the_end() -> None:
    given = [report("ZoR 1"), report("ZZoR", "final_implementation", date(2017, 4, 1), END,
                                      date(2018, 6, 15))]
    project = registered_nek_project(reports=given)

    project.change_realisation_end(manager(), date(2018, 9, 30), reference="change 2")

    assert (event_data(first_event(project))["reports"], schedule(project)) == (given, [
        ("ZoR 1", "implementation", START, date(2017, 3, 31), date(2017, 5, 30)),
        ("ZZoR", "final_implementation", date(2017, 4, 1), END, date(2018, 6, 15))])


def test_an_explicit_empty_schedule_means_no_reports() -> None:
    project = registered_nek_project(reports=[])

    assert project.report_schedule() == []


def test_a_report_due_on_the_last_day_of_its_period_is_accepted() -> None:
    project = registered_nek_project(reports=[report("R", due=date(2017, 3, 31))])

    assert project.report_schedule() == [
        ScheduledReport("R", "implementation", START, date(2017, 3, 31), date(2017, 3, 31))]


# ---- registration of indicators, years and retention ----------------------------------------


def test_indicators_years_and_retention_are_recorded_as_given() -> None:
    project = registered_nek_project(indicators=nek_indicators(), sustainability_years=3,
                                     retention_until=date(2030, 12, 31))

    data = event_data(first_event(project))
    assert (data["indicators"], data["sustainability_years"], data["retention_until"],
            data["reports"], project.indicators) == (
        nek_indicators(), 3, date(2030, 12, 31), None, ["PARTNERS", "PROPOSALS"])


def test_a_falling_target_below_the_baseline_is_accepted() -> None:
    project = registered_nek_project(indicators=with_indicator(
        baseline=Decimal("120.50"), target=Decimal("80.25")))

    assert event_data(first_event(project))["indicators"][0]["target"] == Decimal("80.25")


REFUSED = [
    pytest.param({"indicators": [*nek_indicators(), nek_indicators()[0]]}, "indicators",
                 id="indicator codes not unique"),
    pytest.param({"indicators": with_indicator(target=Decimal("0"))},
                 "indicators.PARTNERS.target", id="target equal to the baseline"),
    pytest.param({"indicators": with_indicator(baseline=Decimal("5.00"))},
                 "indicators.PARTNERS.target", id="target equal to the baseline, other scale"),
    pytest.param({"indicators": with_indicator(kind="wished")},
                 "indicators.PARTNERS.kind", id="unknown indicator kind"),
    pytest.param({"indicators": with_indicator(target=Decimal("NaN"))},
                 "indicators.PARTNERS.target", id="target not a number"),
    pytest.param({"sustainability_years": -1}, "sustainability_years",
                 id="sustainability years negative"),
    pytest.param({"reports": [report("R"), report("R", end=date(2017, 4, 30),
                                                  due=date(2017, 6, 30))]},
                 "reports", id="report codes not unique"),
    pytest.param({"reports": [report("R", start=date(2017, 4, 1))]},
                 "reports.R.period_end", id="report period start after its end"),
    pytest.param({"reports": [report("R", due=date(2017, 3, 30))]},
                 "reports.R.due", id="report due before its period ends"),
    pytest.param({"reports": [report("R", "quarterly")]}, "reports.R.kind",
                 id="unknown report kind"),
    pytest.param({"reports": [report("F1", "final_implementation"),
                              report("F2", "final_implementation")]},
                 "reports", id="two final implementation reports"),
    pytest.param({"reports": [report("S1", "final_sustainability"),
                              report("S2", "final_sustainability")]},
                 "reports", id="two final sustainability reports"),
]


@pytest.mark.parametrize(("overrides", "field"), REFUSED)
def test_a_registration_breaking_a_rule_of_indicators_or_reports_is_refused(
        overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCommandError) as refusal:
        GrantProject.register(manager(), **nek_registration(**overrides))

    assert (type(refusal.value), refusal.value.field) == (InvalidCommandError, field)


def test_one_final_report_of_each_kind_is_accepted() -> None:
    project = registered_nek_project(reports=[
        report("F1", "final_implementation"),
        report("S1", "final_sustainability", date(2018, 4, 1), date(2019, 3, 31),
               date(2019, 4, 30))])

    assert [r.is_final for r in project.report_schedule()] == [True, True]


# ---- the years after the project ------------------------------------------------------------


def test_the_sustainability_end_is_the_realisation_end_plus_the_years() -> None:
    assert (sustainability_end(END, 5), sustainability_end(END, 0),
            sustainability_end(date(2016, 2, 29), 3)) == (
        date(2023, 3, 31), END, date(2019, 2, 28))


def test_documents_are_kept_to_the_retention_date_before_any_payment() -> None:
    assert retain_until(date(2033, 12, 31), None) == date(2033, 12, 31)


def test_a_payment_keeps_documents_to_the_end_of_the_tenth_year_after_it() -> None:
    assert (retain_until(date(2033, 12, 31), date(2024, 1, 15)),
            retain_until(date(2033, 12, 31), date(2023, 12, 31)),
            retain_until(date(2033, 12, 31), date(2018, 6, 1))) == (
        date(2034, 12, 31), date(2033, 12, 31), date(2033, 12, 31))


def test_adding_years_to_29_february_lands_on_28_february() -> None:
    assert (add_years(date(2016, 2, 29), 1), add_years(date(2016, 2, 29), 4)) == (
        date(2017, 2, 28), date(2020, 2, 29))


# ---- projects registered before version 1.1 -------------------------------------------------

NEW_FIELDS = ("indicators", "sustainability_years", "retention_until", "reports")


def registered_before_1_1() -> GrantProject.ProjectRegistered:
    """NEK's registration event as stored before version 1.1: without the new fields."""
    event = first_event(registered_nek_project())
    for name in NEW_FIELDS:
        del event.__dict__[name]
    return event


def test_a_project_registered_before_1_1_has_no_indicators_and_no_report_schedule() -> None:
    event = registered_before_1_1()

    project: GrantProject = event.mutate(None)

    assert (project.indicators, project.report_schedule(), project.reports,
            sorted(set(NEW_FIELDS) & set(event_data(event)))) == ([], [], {}, [])


def test_a_snapshot_taken_before_1_1_is_upcast_to_a_project_without_reports() -> None:
    project: GrantProject = registered_before_1_1().mutate(None)
    snapshot = GrantProject.Snapshot.take(project)
    for name in ("indicators", "report_plan", "reports", "class_version"):
        del snapshot.state[name]

    restored: GrantProject = snapshot.mutate(None)

    assert (restored.indicators, restored.report_plan, restored.reports,
            restored.report_schedule()) == ([], [], {}, [])

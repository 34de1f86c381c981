"""The indicators view: the value of the latest report not returned, achievement to the haléř,
statuses at the realisation end, and INDICATOR_SHORTFALL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from projection_builders import D, ProjectBuilder

from projections import indicators_view

END = date(2018, 3, 31)


def indicator(code: str, baseline: str, target: str, kind: str = "to_achieve") -> dict[str, Any]:
    return {"code": code, "name": f"Indicator {code}", "unit": "pieces",
            "baseline": Decimal(baseline), "target": Decimal(target), "kind": kind}


PARTNERS = indicator("PARTNERS", "0", "5")
PROPOSALS = indicator("PROPOSALS", "0", "2", "to_select")


def nek(*indicators: dict[str, Any]) -> ProjectBuilder:
    return ProjectBuilder(indicators=list(indicators or (PARTNERS, PROPOSALS)))


def row(builder: ProjectBuilder, on: date, code: str = "PARTNERS") -> dict[str, Any]:
    view = indicators_view(builder.state(), on=on)
    return next(i for i in view["indicators"] if i["code"] == code)


def figures(builder: ProjectBuilder, on: date, code: str = "PARTNERS") -> tuple[Any, ...]:
    r = row(builder, on, code)
    return r["value"], r["reported_in"], r["achievement"], r["status"]


def test_before_any_report_every_indicator_is_not_reported() -> None:
    builder = nek()

    view = indicators_view(builder.state(), on=date(2017, 1, 1))

    assert view == {
        "project_id": builder.project.id, "position": 1, "on": date(2017, 1, 1), "flags": [],
        "indicators": [
            {"code": "PARTNERS", "name": "Indicator PARTNERS", "unit": "pieces",
             "kind": "to_achieve", "baseline": D("0"), "target": D("5"), "value": None,
             "reported_in": None, "achievement": D("0.0000"), "status": "not_reported"},
            {"code": "PROPOSALS", "name": "Indicator PROPOSALS", "unit": "pieces",
             "kind": "to_select", "baseline": D("0"), "target": D("2"), "value": None,
             "reported_in": None, "achievement": D("0.0000"), "status": "not_reported"},
        ],
    }


def test_a_reported_value_below_the_target_is_in_progress_from_the_submission_day() -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "2"), ("PROPOSALS", "0"))

    assert [figures(builder, on) for on in (date(2017, 5, 1), date(2017, 5, 2))] == [
        (None, None, D("0.0000"), "not_reported"), (D("2"), "ZOR-1", D("0.4000"), "in_progress")]


def test_a_value_at_the_target_is_achieved() -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "5"), ("PROPOSALS", "3"))

    assert (figures(builder, date(2017, 6, 1)), figures(builder, date(2017, 6, 1), "PROPOSALS")
            ) == ((D("5"), "ZOR-1", D("1.0000"), "achieved"),
                  (D("3"), "ZOR-1", D("1.5000"), "achieved"))


@pytest.mark.parametrize(("value", "achievement", "status"), [
    ("1234.55", "0.9999", "in_progress"),
    ("1234.56", "1.0000", "achieved"),
    ("1000.01", "0.0000", "in_progress"),
    ("1117.28", "0.5000", "in_progress"),
    ("999.99", "-0.0001", "in_progress"),
], ids=["a haler short", "at the target", "a haler above the baseline", "half way",
        "a haler below the baseline"])
def test_achievement_is_exact_to_the_haler_and_shows_1_only_when_achieved(
        value: str, achievement: str, status: str) -> None:
    builder = nek(indicator("TURNOVER", "1000.00", "1234.56"))
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("TURNOVER", value))

    assert figures(builder, date(2017, 6, 1), "TURNOVER") == (
        D(value), "ZOR-1", D(achievement), status)


@pytest.mark.parametrize(("value", "achievement", "status"), [
    ("120.50", "0.0000", "in_progress"),
    ("100.00", "0.5093", "in_progress"),
    ("80.26", "0.9997", "in_progress"),
    ("80.25", "1.0000", "achieved"),
    ("60.00", "1.5031", "achieved"),
    ("130.00", "-0.2361", "in_progress"),
], ids=["at the baseline", "part way down", "a haler short", "at the target", "beyond it",
        "the wrong way"])
def test_a_falling_target_works_by_the_same_formula(value: str, achievement: str,
                                                     status: str) -> None:
    builder = nek(indicator("ENERGY", "120.50", "80.25"))
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("ENERGY", value))

    assert figures(builder, date(2017, 6, 1), "ENERGY") == (
        D(value), "ZOR-1", D(achievement), status)


def test_the_value_comes_from_the_latest_submission_not_returned() -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "2"), ("PROPOSALS", "0"))
    builder.submit_report("ZZOR", date(2018, 4, 10), ("PARTNERS", "4"), ("PROPOSALS", "1"))
    builder.return_report("ZZOR", date(2018, 4, 20))

    assert [figures(builder, on)[:2] for on in (date(2018, 4, 19), date(2018, 4, 20))] == [
        (D("4"), "ZZOR"), (D("2"), "ZOR-1")]


def test_a_returned_report_submitted_again_gives_its_new_value() -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "2"), ("PROPOSALS", "0"))
    builder.return_report("ZOR-1", date(2017, 5, 10))
    builder.submit_report("ZOR-1", date(2017, 5, 12), ("PARTNERS", "3"), ("PROPOSALS", "0"))

    assert [figures(builder, on)[:2] for on in (date(2017, 5, 11), date(2017, 5, 12))] == [
        (None, None), (D("3"), "ZOR-1")]


@pytest.mark.parametrize(("on", "status"), [(END, "in_progress"),
                                            (date(2018, 4, 1), "shortfall")],
                         ids=["on the realisation end", "the day after"])
def test_a_to_achieve_indicator_not_achieved_is_in_shortfall_the_day_after_the_end(
        on: date, status: str) -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "4"), ("PROPOSALS", "0"))

    assert (row(builder, on)["status"], row(builder, on, "PROPOSALS")["status"]) == (
        status, "in_progress")


def test_an_indicator_never_reported_is_in_shortfall_after_the_end() -> None:
    builder = nek()

    assert [figures(builder, date(2018, 4, 1), code)[3] for code in ("PARTNERS", "PROPOSALS")
            ] == ["shortfall", "not_reported"]


def test_shortfall_follows_a_later_realisation_end() -> None:
    builder = nek()
    builder.change_end(date(2018, 6, 30))

    assert [row(builder, on)["status"] for on in (date(2018, 6, 30), date(2018, 7, 1))] == [
        "not_reported", "shortfall"]


def test_an_achieved_indicator_is_never_in_shortfall() -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "6"), ("PROPOSALS", "0"))

    assert indicators_view(builder.state(), on=date(2019, 1, 1))["flags"] == []


def test_shortfall_is_an_error_naming_the_report_the_value_came_from() -> None:
    builder = nek()
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "4"), ("PROPOSALS", "0"))

    view = indicators_view(builder.state(), on=date(2018, 4, 1))

    assert view["flags"] == [{
        "rule": "INDICATOR_SHORTFALL",
        "severity": "error",
        "message": "Indicator PARTNERS (Indicator PARTNERS) was to reach 5 pieces from 0 by the "
                   "realisation end 2018-03-31; report ZOR-1 states 4 (achievement 0.8000).",
        "refs": [{"type": "indicator", "id": "PARTNERS"}, {"type": "report", "id": "ZOR-1"},
                 {"type": "event", "id": "1"}, {"type": "event", "id": "2"}],
    }]


def test_shortfall_without_any_report_names_the_registration_and_the_end() -> None:
    builder = nek(PARTNERS)
    builder.change_end(date(2018, 6, 30))

    view = indicators_view(builder.state(), on=date(2018, 7, 1))

    assert [(f["message"], f["refs"]) for f in view["flags"]] == [(
        "Indicator PARTNERS (Indicator PARTNERS) was to reach 5 pieces from 0 by the "
        "realisation end 2018-06-30; no report states it.",
        [{"type": "indicator", "id": "PARTNERS"}, {"type": "event", "id": "1"},
         {"type": "event", "id": "2"}])]

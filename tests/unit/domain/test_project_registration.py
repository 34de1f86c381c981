"""ProjectRegistered: the registration's checks, its defaults and the project's id."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from builders import (
    END,
    NEK_NUMBER,
    NEK_TITLE,
    START,
    first_event,
    manager,
    nek_activities,
    nek_lines,
    nek_milestones,
    nek_registration,
    nek_stages,
    registered_nek_project,
)

from domain.errors import InvalidCommandError
from domain.events import event_data
from domain.project import GrantProject


def with_activity(code: str, **changes: Any) -> list[dict[str, Any]]:
    return [{**a, **changes} if a["code"] == code else a for a in nek_activities()]


def with_line(code: str, **changes: Any) -> list[dict[str, Any]]:
    return [{**line, **changes} if line["code"] == code else line for line in nek_lines()]


def stages(*periods: tuple[str, date, date]) -> list[dict[str, Any]]:
    return [{"code": code, "start": start, "end": end} for code, start, end in periods]


def without(registration: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in registration.items() if k not in keys}


def registered_activities() -> list[dict[str, Any]]:
    """NEK's activities as the event stores them: every one with its parent, None at the top."""
    return [{"parent": None, **a} for a in nek_activities()]


# ---- accepted -------------------------------------------------------------------------------


def test_registration_without_optional_fields_records_every_default() -> None:
    registration = without(nek_registration(), "stages")

    project = GrantProject.register(manager(on=date(2016, 3, 21)), **registration)

    (event,) = project.pending_events
    assert type(event) is GrantProject.ProjectRegistered
    assert event_data(event) == {
        "registration_number": NEK_NUMBER,
        "acronym": "OPEIC",
        "title": NEK_TITLE,
        "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                        "vat_payer": True},
        "programme": "OP PIK",
        "call": "Spolupráce – Klastry, výzva I",
        "provider": "MPO",
        "realisation_start": START,
        "realisation_end": END,
        "eligible_from": START,
        "latest_end": None,
        "currency": "CZK",
        "support_rate": Decimal("0.50"),
        "max_subsidy": Decimal("3888100.00"),
        "line_transfer_tolerance": Decimal("0"),
        "claim_deadline_days": 60,
        "budget_lines": nek_lines(),
        "activities": registered_activities(),
        "milestones": nek_milestones(),
        "stages": [{"code": "1", "start": START, "end": END}],
        "indicators": [],
        "sustainability_years": 5,
        "retention_until": date(2033, 12, 31),
        "reports": None,
    }


def test_registration_keeps_the_optional_fields_it_is_given() -> None:
    registration = nek_registration(
        eligible_from=date(2016, 1, 1), latest_end=date(2018, 9, 30),
        line_transfer_tolerance=Decimal("0.10"), claim_deadline_days=90, currency="CZK",
    )

    project = GrantProject.register(manager(on=date(2016, 3, 21)), **registration)

    data = event_data(first_event(project))
    assert {k: data[k] for k in ("eligible_from", "latest_end", "line_transfer_tolerance",
                                 "claim_deadline_days", "currency", "stages")} == {
        "eligible_from": date(2016, 1, 1),
        "latest_end": date(2018, 9, 30),
        "line_transfer_tolerance": Decimal("0.10"),
        "claim_deadline_days": 90,
        "currency": "CZK",
        "stages": nek_stages(),
    }


def test_registration_records_amounts_with_two_places() -> None:
    registration = nek_registration(
        budget_lines=with_line("RENT", amount=Decimal("200000")), max_subsidy=Decimal("3888100"),
    )

    project = GrantProject.register(manager(), **registration)

    data = event_data(first_event(project))
    assert (str(data["budget_lines"][-1]["amount"]), str(data["max_subsidy"])) == (
        "200000.00", "3888100.00")


def test_stages_given_out_of_order_are_recorded_in_date_order() -> None:
    registration = nek_registration(stages=list(reversed(nek_stages())))

    project = GrantProject.register(manager(), **registration)

    assert event_data(first_event(project))["stages"] == nek_stages()


def test_a_support_rate_of_one_is_accepted() -> None:
    project = registered_nek_project(support_rate=Decimal("1"))

    assert event_data(first_event(project))["support_rate"] == Decimal("1")


def test_max_subsidy_equal_to_the_floored_rate_times_the_budget_is_accepted() -> None:
    # 0.50 × 7,776,201.00 = 3,888,100.50, floored to 3,888,100
    lines = with_line("RENT", amount=Decimal("200001.00"))

    project = registered_nek_project(budget_lines=lines, max_subsidy=Decimal("3888100.00"))

    assert event_data(first_event(project))["max_subsidy"] == Decimal("3888100.00")


def test_registration_leaves_the_project_at_version_one_with_its_state() -> None:
    project = registered_nek_project(line_transfer_tolerance=Decimal("0.05"))

    assert (project.version, project.registration_number, project.vat_payer,
            project.realisation_end, project.eligible_from, project.tolerance,
            project.lines["TRAVEL"].planned, sorted(project.activities),
            sorted(project.stages)) == (
        1, NEK_NUMBER, True, END, START, Decimal("0.05"), Decimal("900000.00"),
        ["1", "1.1", "1.2", "2", "3", "3.4", "4", "5"], ["1", "2"])


# ---- the project id -------------------------------------------------------------------------


def test_the_project_id_is_the_uuid5_of_the_registration_number() -> None:
    project = registered_nek_project()

    namespace = uuid5(NAMESPACE_URL, "https://grantledger/projects")
    assert (project.id, project.id.version) == (uuid5(namespace, NEK_NUMBER), 5)


def test_registering_the_same_number_again_gives_the_same_id_so_the_store_refuses_it() -> None:
    first = registered_nek_project()

    second = registered_nek_project(title="Another title", acronym="OTHER")

    assert second.id == first.id


def test_a_different_registration_number_gives_a_different_id() -> None:
    nek = registered_nek_project()

    other = registered_nek_project(registration_number="CZ.01.1.02/0.0/0.0/15_009/0002301")

    assert other.id != nek.id


# ---- refused --------------------------------------------------------------------------------

REFUSED_REGISTRATIONS = [
    pytest.param({"budget_lines": [*nek_lines(), {"code": "RENT", "name": "Rent (2)",
                                                  "amount": Decimal("1.00")}]},
                 "budget_lines", id="budget line codes not unique"),
    pytest.param({"activities": [*nek_activities(), {"code": "2", "title": "Again",
                                                     "planned_start": START,
                                                     "planned_end": END}]},
                 "activities", id="activity codes not unique"),
    pytest.param({"milestones": [*nek_milestones(), *nek_milestones()]},
                 "milestones", id="milestone codes not unique"),
    pytest.param({"stages": stages(("1", START, date(2017, 3, 31)),
                                   ("1", date(2017, 4, 1), END))},
                 "stages", id="stage codes not unique"),
    pytest.param({"activities": with_activity("3.4", parent="6")},
                 "activities.3.4.parent", id="parent activity does not exist"),
    pytest.param({"activities": with_activity("3.4", parent="3.4")},
                 "activities.3.4.parent", id="activity is its own parent"),
    pytest.param({"milestones": [{**nek_milestones()[0], "activity": "6"}]},
                 "milestones.ECEI_BRONZE.activity", id="milestone of an unknown activity"),
    pytest.param({"realisation_start": date(2018, 4, 1)},
                 "realisation_end", id="realisation start after its end"),
    pytest.param({"eligible_from": date(2018, 4, 1)},
                 "eligible_from", id="eligibility starts after the realisation end"),
    pytest.param({"activities": with_activity("3.4", planned_end=date(2016, 12, 31))},
                 "activities.3.4.planned_end", id="activity planned start after its end"),
    pytest.param({"activities": with_activity("1", planned_start=date(2016, 3, 31))},
                 "activities.1.planned_start", id="activity planned before the realisation"),
    pytest.param({"activities": with_activity("1", planned_end=date(2018, 4, 1))},
                 "activities.1.planned_end", id="activity planned after the realisation"),
    pytest.param({"milestones": [{**nek_milestones()[0], "due": date(2018, 4, 1)}]},
                 "milestones.ECEI_BRONZE.due", id="milestone due after the realisation"),
    pytest.param({"milestones": [{**nek_milestones()[0], "due": date(2016, 3, 31)}]},
                 "milestones.ECEI_BRONZE.due", id="milestone due before the realisation"),
    pytest.param({"stages": stages(("1", START, date(2017, 3, 31)),
                                   ("2", date(2017, 4, 1), date(2017, 3, 31)))},
                 "stages.2.end", id="stage start after its end"),
    pytest.param({"stages": stages(("1", START, date(2017, 3, 31)),
                                   ("2", date(2017, 3, 31), END))},
                 "stages.2.start", id="stages overlapping"),
    pytest.param({"stages": stages(("1", START, date(2017, 3, 31)),
                                   ("2", date(2017, 4, 2), END))},
                 "stages.2.start", id="stages leaving a gap"),
    pytest.param({"stages": stages(("1", date(2016, 4, 2), date(2017, 3, 31)),
                                   ("2", date(2017, 4, 1), END))},
                 "stages.1.start", id="stages leaving the first day uncovered"),
    pytest.param({"stages": stages(("1", START, date(2017, 3, 31)),
                                   ("2", date(2017, 4, 1), date(2018, 3, 30)))},
                 "stages", id="stages leaving the last day uncovered"),
    pytest.param({"stages": stages(("1", START, date(2017, 3, 31)),
                                   ("2", date(2017, 4, 1), date(2018, 4, 1)))},
                 "stages", id="stages running past the realisation end"),
    pytest.param({"max_subsidy": Decimal("3888100.01")},
                 "max_subsidy", id="max subsidy above rate times budget"),
    pytest.param({"budget_lines": with_line("RENT", amount=Decimal("200001.00")),
                  "max_subsidy": Decimal("3888100.50")},
                 "max_subsidy", id="max subsidy above the floored rate times budget"),
    pytest.param({"support_rate": Decimal("0")}, "support_rate", id="rate zero"),
    pytest.param({"support_rate": Decimal("-0.50")}, "support_rate", id="rate negative"),
    pytest.param({"support_rate": Decimal("1.01")}, "support_rate", id="rate above one"),
    pytest.param({"budget_lines": with_line("RENT", amount=Decimal("0.00"))},
                 "budget_lines.RENT.amount", id="line amount zero"),
    pytest.param({"budget_lines": with_line("RENT", amount=Decimal("-200000.00"))},
                 "budget_lines.RENT.amount", id="line amount negative"),
    pytest.param({"budget_lines": with_line("RENT", amount=Decimal("200000.001"))},
                 "budget_lines.RENT.amount", id="line amount below a haler"),
    pytest.param({"max_subsidy": Decimal("0.00")}, "max_subsidy", id="max subsidy zero"),
    pytest.param({"max_subsidy": Decimal("-1.00")}, "max_subsidy", id="max subsidy negative"),
    pytest.param({"budget_lines": []}, "budget_lines", id="no budget line"),
    pytest.param({"line_transfer_tolerance": Decimal("-0.01")},
                 "line_transfer_tolerance", id="tolerance negative"),
    pytest.param({"line_transfer_tolerance": Decimal("1.01")},
                 "line_transfer_tolerance", id="tolerance above one"),
    pytest.param({"claim_deadline_days": -1}, "claim_deadline_days", id="deadline negative"),
]


@pytest.mark.parametrize(("overrides", "field"), REFUSED_REGISTRATIONS)
def test_a_registration_breaking_a_rule_is_refused_naming_the_field(
        overrides: dict[str, Any], field: str) -> None:
    registration = nek_registration(**overrides)

    with pytest.raises(InvalidCommandError) as refusal:
        GrantProject.register(manager(), **registration)

    assert (type(refusal.value), refusal.value.rule, refusal.value.field) == (
        InvalidCommandError, "INVALID_FIELD", field)


@pytest.mark.parametrize("amount", [Decimal("Infinity"), Decimal("sNaN")], ids=str)
def test_a_budget_line_amount_that_is_not_a_finite_number_is_refused(amount: Decimal) -> None:
    registration = nek_registration(budget_lines=with_line("RENT", amount=amount))

    with pytest.raises(InvalidCommandError) as refusal:
        GrantProject.register(manager(), **registration)

    assert (type(refusal.value), refusal.value.field) == (
        InvalidCommandError, "budget_lines.RENT.amount")

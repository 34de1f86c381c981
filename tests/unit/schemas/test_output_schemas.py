"""Views and resources dump money as 2-place strings, ratios with 4, dates ISO, moments UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from schemas.common import CommandResultSchema, FlagSchema, ProblemSchema
from schemas.events import EventPageSchema
from schemas.resources import ClaimSchema, ExpenseSchema
from schemas.views import (
    BudgetViewSchema,
    IndicatorsViewSchema,
    ScheduleViewSchema,
    SubsidyViewSchema,
)

PROJECT_ID = UUID("0b7d7a56-8f7e-5a39-9e0f-3f6b8e1c2d4a")
EXPENSE_ID = UUID("5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01")
PRAGUE_SUMMER = timezone(timedelta(hours=2))


def figures(**overrides: Any) -> dict[str, Any]:
    """DOMAIN.md's worked example, totals, before the budget change."""
    base = {
        "planned": Decimal("7776200.00"), "recorded": Decimal("7776200.00"),
        "ineligible": Decimal("30000.00"), "eligible": Decimal("7746200.00"),
        "overrun": Decimal("50000.00"), "eligible_capped": Decimal("7696200.00"),
        "paid": Decimal("0.00"), "claimed": Decimal("0.00"), "approved": Decimal("0.00"),
        "remaining": Decimal("80000.00"), "utilisation": Decimal("0.98971212"),
    }
    return {**base, **overrides}


def flag() -> dict[str, Any]:
    return {"rule": "LINE_OVERRUN", "severity": "warning",
            "message": "TRAVEL is 50000.00 over its plan",
            "refs": [{"type": "line", "id": "TRAVEL"}, {"type": "expense", "id": EXPENSE_ID}]}


def budget_view(**overrides: Any) -> dict[str, Any]:
    view = {
        "project_id": PROJECT_ID, "position": 42,
        "as_of": datetime(2018, 3, 31, 14, 0, tzinfo=PRAGUE_SUMMER), "on": date(2018, 3, 31),
        "currency": "CZK",
        "lines": [{"code": "TRAVEL", "name": "Travel", **figures(
            planned=Decimal("900000"), utilisation=Decimal("1"))}],
        "totals": figures(), "flags": [flag()],
    }
    return {**view, **overrides}


def claim(**overrides: Any) -> dict[str, Any]:
    base = {
        "claim_number": "ZoP-1", "stage": "1", "final": False, "submitted_on": date(2017, 4, 20),
        "expense_ids": [EXPENSE_ID], "declared_eligible": Decimal("100000"),
        "requested_subsidy": Decimal("50000"), "status": "submitted", "approved_on": None,
        "exclusions": [], "approved_eligible": None, "approved_subsidy": None,
        "paid": Decimal("0"), "payouts": [], "submitted_head": {"version": 7, "hash": "ab" * 32},
        "approved_head": None,
    }
    return {**base, **overrides}


def test_the_budget_view_dumps_money_as_strings_and_ratios_with_four_places() -> None:
    dumped = BudgetViewSchema().dump(budget_view())

    assert dumped == {
        "project_id": "0b7d7a56-8f7e-5a39-9e0f-3f6b8e1c2d4a", "position": 42,
        "as_of": "2018-03-31T12:00:00Z", "on": "2018-03-31", "currency": "CZK",
        "lines": [{
            "code": "TRAVEL", "name": "Travel", "planned": "900000.00", "recorded": "7776200.00",
            "ineligible": "30000.00", "eligible": "7746200.00", "overrun": "50000.00",
            "eligible_capped": "7696200.00", "paid": "0.00", "claimed": "0.00",
            "approved": "0.00", "remaining": "80000.00", "utilisation": "1.0000",
        }],
        "totals": {
            "planned": "7776200.00", "recorded": "7776200.00", "ineligible": "30000.00",
            "eligible": "7746200.00", "overrun": "50000.00", "eligible_capped": "7696200.00",
            "paid": "0.00", "claimed": "0.00", "approved": "0.00", "remaining": "80000.00",
            "utilisation": "0.9897",
        },
        "flags": [{
            "rule": "LINE_OVERRUN", "severity": "warning",
            "message": "TRAVEL is 50000.00 over its plan",
            "refs": [{"type": "line", "id": "TRAVEL"},
                     {"type": "expense", "id": "5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01"}],
        }],
    }


def test_a_live_view_dumps_as_of_as_null() -> None:
    assert BudgetViewSchema().dump(budget_view(as_of=None))["as_of"] is None


def test_a_view_missing_a_figure_is_a_defect_not_a_silent_gap() -> None:
    view = budget_view(totals={k: v for k, v in figures().items() if k != "overrun"})

    with pytest.raises(KeyError, match="overrun"):
        BudgetViewSchema().dump(view)


def test_the_subsidy_view_dumps_the_worked_example() -> None:
    view = {
        "project_id": PROJECT_ID, "position": 42, "as_of": None,
        "support_rate": Decimal("0.50"), "max_subsidy": Decimal("3888100.00"),
        "eligible_total": Decimal("7696200.00"), "entitlement": Decimal("3848100.00"),
        "requested": Decimal("50000.00"), "approved": Decimal("0.00"), "paid": Decimal("0.00"),
        "corrections": Decimal("0.00"), "net_subsidy": Decimal("0.00"),
        "own_financing": Decimal("3848100.00"), "subsidy_share": Decimal("0.5"),
        "cap_reached": False, "claims": [claim()], "flags": [],
    }

    dumped = SubsidyViewSchema().dump(view)

    assert {k: dumped[k] for k in ("support_rate", "entitlement", "own_financing",
                                   "subsidy_share", "cap_reached")} == {
        "support_rate": "0.50", "entitlement": "3848100.00", "own_financing": "3848100.00",
        "subsidy_share": "0.5000", "cap_reached": False,
    }
    assert dumped["claims"][0] == {
        "claim_number": "ZoP-1", "stage": "1", "final": False, "submitted_on": "2017-04-20",
        "expense_ids": ["5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01"],
        "declared_eligible": "100000.00", "requested_subsidy": "50000.00",
        "status": "submitted", "approved_on": None, "exclusions": [],
        "approved_eligible": None, "approved_subsidy": None, "paid": "0.00", "payouts": [],
        "submitted_head": {"version": 7, "hash": "ab" * 32}, "approved_head": None,
    }


def test_an_approved_claim_dumps_its_exclusions_and_payouts() -> None:
    approved = claim(
        status="paid", approved_on=date(2017, 6, 1),
        exclusions=[{"expense_id": EXPENSE_ID, "amount": Decimal("1000"), "reason": "Hotel"}],
        approved_eligible=Decimal("99000"), approved_subsidy=Decimal("49500"),
        paid=Decimal("49500"), payouts=[{"amount": Decimal("49500"), "paid_on": date(2017, 7, 3)}],
        approved_head={"version": 9, "hash": "cd" * 32},
    )

    dumped = ClaimSchema().dump(approved)

    assert (dumped["exclusions"], dumped["payouts"], dumped["approved_subsidy"]) == (
        [{"expense_id": str(EXPENSE_ID), "amount": "1000.00", "reason": "Hotel"}],
        [{"amount": "49500.00", "paid_on": "2017-07-03"}],
        "49500.00",
    )


def test_the_schedule_view_dumps_statuses_dates_and_ratios() -> None:
    view = {
        "project_id": PROJECT_ID, "position": 42, "as_of": None, "on": date(2018, 3, 1),
        "activities": [{
            "code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
            "planned_start": date(2017, 1, 1), "planned_end": date(2017, 9, 30),
            "started_on": date(2017, 1, 2), "completed_on": None, "status": "overdue",
            "days_late": 152,
        }],
        "milestones": [{
            "code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained",
            "due": date(2017, 9, 30), "activity": "3.4", "achieved_on": date(2018, 2, 15),
            "status": "achieved_late", "days_late": 138,
        }],
        "reports": [{
            "code": "ZOR-1", "kind": "implementation", "period_start": date(2016, 4, 1),
            "period_end": date(2017, 3, 31), "due": date(2017, 5, 30),
            "submitted_on": date(2017, 5, 31), "decided_on": None, "status": "submitted",
            "days_late": 1,
        }],
        "project": {
            "realisation_start": date(2016, 4, 1), "realisation_end": date(2018, 3, 31),
            "time_elapsed": Decimal("0.9589"), "budget_drawn": Decimal("0.98971212"),
            "claim_deadline": date(2018, 5, 30), "final_claim_submitted": False,
            "sustainability_end": date(2023, 3, 31), "retain_until": date(2033, 12, 31),
        },
        "flags": [],
    }

    dumped = ScheduleViewSchema().dump(view)

    assert (dumped["activities"][0]["completed_on"], dumped["milestones"][0], dumped["project"],
            dumped["reports"]) \
        == (None, {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained",
                   "due": "2017-09-30", "activity": "3.4", "achieved_on": "2018-02-15",
                   "status": "achieved_late", "days_late": 138},
            {"realisation_start": "2016-04-01", "realisation_end": "2018-03-31",
             "time_elapsed": "0.9589", "budget_drawn": "0.9897",
             "claim_deadline": "2018-05-30", "final_claim_submitted": False,
             "sustainability_end": "2023-03-31", "retain_until": "2033-12-31"},
            [{"code": "ZOR-1", "kind": "implementation", "period_start": "2016-04-01",
              "period_end": "2017-03-31", "due": "2017-05-30", "submitted_on": "2017-05-31",
              "decided_on": None, "status": "submitted", "days_late": 1}])


def test_the_indicators_view_dumps_quantities_as_written_and_achievement_with_4_places() -> None:
    view = {
        "project_id": PROJECT_ID, "position": 42, "as_of": None, "on": date(2018, 3, 1),
        "indicators": [{
            "code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
            "kind": "to_achieve", "baseline": Decimal("0"), "target": Decimal("5"),
            "value": Decimal("2.5"), "reported_in": "ZOR-1", "achievement": Decimal("0.5"),
            "status": "in_progress",
        }, {
            "code": "PROPOSALS", "name": "Joint R&D&I project proposals", "unit": "proposals",
            "kind": "to_select", "baseline": Decimal("0"), "target": Decimal("2"),
            "value": None, "reported_in": None, "achievement": Decimal("0.0000"),
            "status": "not_reported",
        }],
        "flags": [],
    }

    dumped = IndicatorsViewSchema().dump(view)

    assert [(i["baseline"], i["target"], i["value"], i["achievement"])
            for i in dumped["indicators"]] == [("0", "5", "2.5", "0.5000"),
                                               ("0", "2", None, "0.0000")]


def test_an_expense_dumps_its_current_state() -> None:
    expense = {
        "expense_id": EXPENSE_ID, "document_number": "FV-2016-0042",
        "document_type": "invoice",
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
        "description": "Joint workshop, Stuttgart", "budget_line": "TRAVEL", "activity": None,
        "tax_point_date": date(2016, 6, 15), "amount_net": Decimal("100000"),
        "vat": Decimal("21000"), "eligible_amount": Decimal("100000"), "paid_on": None,
        "attachments": [], "status": "active", "time_eligible": True, "claim_number": None,
        "approved": False, "recorded_at": datetime(2016, 6, 16, 8, 30, tzinfo=UTC),
        "recorded_by": {"name": "jana", "role": "accountant"}, "recorded_version": 3,
        "last_changed_version": 3, "corrections": 0, "reversal_reason": None,
    }

    dumped = ExpenseSchema().dump(expense)

    assert {k: dumped[k] for k in ("amount_net", "vat", "paid_on", "recorded_at", "activity",
                                   "supplier")} == {
        "amount_net": "100000.00", "vat": "21000.00", "paid_on": None,
        "recorded_at": "2016-06-16T08:30:00Z", "activity": None,
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
    }


def test_an_event_page_dumps_the_event_data_as_given() -> None:
    event = {
        "position": 1, "project_id": PROJECT_ID, "version": 1, "type": "ExpensePaid",
        "recorded_at": datetime(2016, 6, 30, 10, 0, tzinfo=UTC),
        "recorded_by": {"name": "jana", "role": "accountant"},
        "data": {"expense_id": str(EXPENSE_ID), "paid_on": "2016-06-30"},
        "hash": "ab" * 32, "previous_hash": "00" * 32,
    }

    assert EventPageSchema().dump({"events": [event], "next_cursor": None}) == {
        "events": [{**event, "project_id": str(PROJECT_ID),
                    "recorded_at": "2016-06-30T10:00:00Z"}],
        "next_cursor": None,
    }


def test_a_problem_leaves_out_what_it_does_not_have() -> None:
    problem = {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
               "detail": "Some fields are invalid.", "errors": {"vat": ["Must not be negative."]}}

    assert ProblemSchema().dump(problem) == problem


def test_small_answers_dump_exactly_their_keys() -> None:
    assert (CommandResultSchema().dump({"position": 7, "extra": 1}),
            FlagSchema().dump(flag())["refs"][1]) == (
        {"position": 7}, {"type": "expense", "id": str(EXPENSE_ID)},
    )

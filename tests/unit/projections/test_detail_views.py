"""The project, its expenses and its payment claims in their current state."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from projection_builders import (
    NEK_NUMBER,
    D,
    ProjectBuilder,
    at,
)

from projections import claim_list, claim_state, expense_list, expense_state, project_detail


def test_project_detail_shows_the_registration_with_planned_lines_and_the_current_end() -> None:
    builder = ProjectBuilder(registered_at=at(date(2016, 4, 1)))
    builder.change_budget(("RENT", "TRAVEL", "50000.00"))
    builder.change_end(date(2018, 6, 30))
    builder.start("3", date(2016, 4, 1))
    builder.achieve("ECEI_BRONZE", date(2017, 9, 1))
    pairs = builder.pairs()

    detail = project_detail(builder.state())

    assert (detail["id"], detail["registration_number"], detail["acronym"]) == (
        builder.project.id,
        NEK_NUMBER,
        "OPEIC",
    )
    assert (
        detail["realisation_start"],
        detail["realisation_end"],
        detail["original_realisation_end"],
        detail["eligible_from"],
        detail["latest_end"],
    ) == (date(2016, 4, 1), date(2018, 6, 30), date(2018, 3, 31), date(2016, 4, 1), None)
    assert (
        detail["currency"],
        detail["support_rate"],
        detail["max_subsidy"],
        detail["line_transfer_tolerance"],
        detail["claim_deadline_days"],
    ) == ("CZK", D("0.50"), D("3888100.00"), D("0.00"), 60)
    assert detail["budget_lines"][2] == {
        "code": "TRAVEL",
        "name": "Travel",
        "registered": D("900000.00"),
        "planned": D("950000.00"),
    }
    assert detail["budget_lines"][5]["planned"] == D("150000.00")
    assert detail["activities"][0] == {
        "code": "3",
        "parent": None,
        "title": "Promoting NEK abroad",
        "planned_start": date(2016, 4, 1),
        "planned_end": date(2018, 3, 31),
        "started_on": date(2016, 4, 1),
        "completed_on": None,
    }
    assert detail["milestones"] == [
        {
            "code": "ECEI_BRONZE",
            "title": "ECEI Bronze Label obtained",
            "due": date(2017, 9, 30),
            "activity": "3.4",
            "achieved_on": date(2017, 9, 1),
        }
    ]
    assert detail["stages"] == [
        {"code": "1", "start": date(2016, 4, 1), "end": date(2017, 3, 31)},
        {"code": "2", "start": date(2017, 4, 1), "end": date(2018, 3, 31)},
    ]
    assert (detail["version"], detail["position"], detail["head"]) == (
        5,
        5,
        {"version": 5, "hash": pairs[-1][1].hash},
    )
    assert (detail["registered_at"], detail["registered_by"]) == (
        at(date(2016, 4, 1)),
        {"name": "manager-jana", "role": "manager"},
    )
    assert detail["beneficiary"] == {
        "name": "Národní energetický klastr, z.s.",
        "ico": "01234567",
        "vat_payer": True,
    }


def test_expense_state_shows_the_expense_as_recorded() -> None:
    builder = ProjectBuilder()
    expense = builder.expense(
        "TRAVEL", "100.00", vat="21.00", when=at(date(2016, 6, 16)), document_number="FV-2016-0042"
    )

    row = expense_state(builder.state(), str(expense))

    assert row == {
        "expense_id": str(expense),
        "document_number": "FV-2016-0042",
        "document_type": "invoice",
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
        "description": "Invoice 1",
        "budget_line": "TRAVEL",
        "activity": "3",
        "tax_point_date": date(2016, 6, 15),
        "amount_net": D("100.00"),
        "vat": D("21.00"),
        "eligible_amount": D("100.00"),
        "paid_on": date(2016, 6, 30),
        "attachments": [],
        "status": "active",
        "time_eligible": True,
        "claim_number": None,
        "approved": False,
        "recorded_at": at(date(2016, 6, 16)),
        "recorded_by": {"name": "accountant-jana", "role": "accountant"},
        "recorded_version": 2,
        "last_changed_version": 2,
        "corrections": 0,
        "reversal_reason": None,
    }


def test_expense_state_shows_corrections_payment_and_the_last_changing_version() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00", paid_on=None)
    builder.expense("RENT", "1.00")
    builder.correct(
        expense,
        tax_point_date=date(2016, 3, 1),
        supplier={"name": "Fraunhofer IAO", "ico": None, "country": "DE"},
        attachments=[{"kind": "invoice", "file_name": "a.pdf", "sha256": "ab" * 32}],
    )
    builder.correct(expense, budget_line="RENT", description="Rent of a booth")
    builder.pay(expense, date(2016, 7, 1))

    row = expense_state(builder.state(), str(expense))

    assert row is not None
    assert (
        row["budget_line"],
        row["description"],
        row["tax_point_date"],
        row["supplier"],
        row["paid_on"],
        row["time_eligible"],
        row["corrections"],
        row["recorded_version"],
        row["last_changed_version"],
    ) == (
        "RENT",
        "Rent of a booth",
        date(2016, 3, 1),
        {"name": "Fraunhofer IAO", "ico": None, "country": "DE"},
        date(2016, 7, 1),
        False,
        2,
        2,
        6,
    )
    assert row["attachments"] == [{"kind": "invoice", "file_name": "a.pdf", "sha256": "ab" * 32}]


def test_a_reversed_expense_stays_visible_with_its_reason() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.reverse(expense, reason="recorded twice")

    row = expense_state(builder.state(), str(expense))

    assert row is not None
    assert (row["status"], row["reversal_reason"], row["last_changed_version"]) == (
        "reversed",
        "recorded twice",
        3,
    )


def test_expense_state_follows_the_claim_and_its_approval() -> None:
    builder = ProjectBuilder()
    expense = builder.expense("TRAVEL", "100.00")
    builder.submit("1", expense)
    submitted = expense_state(builder.state(), str(expense))
    builder.approve("1")

    approved = expense_state(builder.state(), str(expense))

    assert submitted is not None and approved is not None
    assert (submitted["claim_number"], submitted["approved"]) == ("1", False)
    assert (approved["claim_number"], approved["approved"]) == ("1", True)


def test_an_unknown_expense_has_no_state() -> None:
    assert expense_state(ProjectBuilder().state(), str(uuid4())) is None


def test_expense_list_keeps_the_recording_order_and_the_reversed_expenses() -> None:
    builder = ProjectBuilder()
    ids = [builder.expense(code, "10.00") for code in ("RENT", "TRAVEL", "PERSONNEL")]
    builder.reverse(ids[1])

    rows = expense_list(builder.state())

    assert [(r["expense_id"], r["status"]) for r in rows] == [
        (str(ids[0]), "active"),
        (str(ids[1]), "reversed"),
        (str(ids[2]), "active"),
    ]


def test_a_submitted_claim_shows_what_was_declared_and_the_chain_head_at_submission() -> None:
    builder = ProjectBuilder()
    first = builder.expense("TRAVEL", "100.00")
    second = builder.expense("RENT", "33.33")
    head = builder.project.head

    builder.submit("1", first, second, submitted_on=date(2017, 4, 20))

    assert claim_state(builder.state(), "1") == {
        "claim_number": "1",
        "stage": "1",
        "final": False,
        "submitted_on": date(2017, 4, 20),
        "expense_ids": [str(first), str(second)],
        "declared_eligible": D("133.33"),
        "requested_subsidy": D("66.00"),
        "status": "submitted",
        "approved_on": None,
        "exclusions": [],
        "approved_eligible": None,
        "approved_subsidy": None,
        "paid": D("0.00"),
        "payouts": [],
        "submitted_head": head,
        "approved_head": None,
    }


def test_an_approved_claim_shows_exclusions_approved_amounts_and_payouts() -> None:
    builder = ProjectBuilder()
    first = builder.expense("TRAVEL", "100.00")
    second = builder.expense("RENT", "33.33")
    builder.submit("1", first, second)
    head = builder.project.head
    builder.approve("1", (second, "13.33"), approved_on=date(2017, 6, 1))
    builder.pay_subsidy("1", "40.00", paid_on=date(2017, 7, 1))
    builder.pay_subsidy("1", "20.00", paid_on=date(2017, 8, 1))

    row = claim_state(builder.state(), "1")

    assert row is not None
    assert (
        row["status"],
        row["approved_on"],
        row["approved_eligible"],
        row["approved_subsidy"],
        row["paid"],
        row["approved_head"],
    ) == ("approved", date(2017, 6, 1), D("120.00"), D("60.00"), D("60.00"), head)
    assert row["exclusions"] == [
        {"expense_id": str(second), "amount": D("13.33"), "reason": "not related to the project"}
    ]
    assert row["payouts"] == [
        {"amount": D("40.00"), "paid_on": date(2017, 7, 1)},
        {"amount": D("20.00"), "paid_on": date(2017, 8, 1)},
    ]


def test_an_unknown_claim_has_no_state_and_claims_are_listed_in_submission_order() -> None:
    builder = ProjectBuilder()
    first, second = builder.expense("TRAVEL", "1.00"), builder.expense("RENT", "2.00")
    builder.submit("2017/2", second)
    builder.submit("2017/1", first)

    state = builder.state()

    assert claim_state(state, "9") is None
    assert [(c["claim_number"], c["declared_eligible"]) for c in claim_list(state)] == [
        ("2017/2", Decimal("2.00")),
        ("2017/1", Decimal("1.00")),
    ]

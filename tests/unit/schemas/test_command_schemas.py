"""Command bodies load to the keyword arguments of the domain command, or name each bad field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from marshmallow import Schema, ValidationError

from domain.project import GrantProject
from schemas import (
    AchieveMilestoneSchema,
    ApproveClaimSchema,
    BudgetChangeSchema,
    CorrectExpenseSchema,
    FinancialCorrectionSchema,
    RecordExpenseSchema,
    RegisterProjectSchema,
    StartActivitySchema,
    SubmitClaimSchema,
)

DIGEST = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EXPENSE_ID = "5f0c7c1e-3d0b-4c8e-9a52-6f1f2b7f1a01"


def registration_body(**changes: Any) -> dict[str, Any]:
    """The registration example of API.md."""
    body = {
        "registration_number": "CZ.01.1.02/0.0/0.0/15_009/0002300",
        "acronym": "OPEIC",
        "title": "Development and strengthening of international cooperation of NEK in the "
                 "field of intelligent technologies and energy systems",
        "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                        "vat_payer": True},
        "programme": "OP PIK",
        "call": "Spolupráce – Klastry, výzva I",
        "provider": "MPO",
        "realisation_start": "2016-04-01",
        "realisation_end": "2018-03-31",
        "eligible_from": "2016-04-01",
        "currency": "CZK",
        "support_rate": "0.50",
        "max_subsidy": "3888100.00",
        "line_transfer_tolerance": "0.00",
        "claim_deadline_days": 60,
        "budget_lines": [
            {"code": "PERSONNEL", "name": "Personnel costs", "amount": "2400000.00"},
            {"code": "TRAVEL", "name": "Travel", "amount": "900000.00"},
        ],
        "activities": [
            {"code": "3", "title": "Promoting NEK abroad", "planned_start": "2016-04-01",
             "planned_end": "2018-03-31"},
            {"code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
             "planned_start": "2017-01-01", "planned_end": "2017-09-30"},
        ],
        "milestones": [
            {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained", "due": "2017-09-30",
             "activity": "3.4"},
        ],
        "stages": [
            {"code": "1", "start": "2016-04-01", "end": "2017-03-31"},
            {"code": "2", "start": "2017-04-01", "end": "2018-03-31"},
        ],
    }
    body.update(changes)
    return body


def expense_body(**changes: Any) -> dict[str, Any]:
    """The expense example of API.md, with a real digest."""
    body = {
        "document_number": "FV-2016-0042",
        "document_type": "invoice",
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
        "description": "Joint workshop, Stuttgart",
        "budget_line": "TRAVEL",
        "activity": "3.4",
        "tax_point_date": "2016-06-15",
        "amount_net": "100000.00",
        "vat": "21000.00",
        "eligible_amount": "100000.00",
        "paid_on": "2016-06-30",
        "attachments": [{"kind": "invoice", "file_name": "FV-2016-0042.pdf", "sha256": DIGEST}],
    }
    body.update(changes)
    return body


def errors_of(schema: Schema, body: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as raised:
        schema.load(body)
    return raised.value.messages  # type: ignore[return-value]


# ---- registration -----------------------------------------------------------------------


def test_the_registration_example_loads_to_the_register_arguments() -> None:
    assert RegisterProjectSchema().load(registration_body()) == {
        "registration_number": "CZ.01.1.02/0.0/0.0/15_009/0002300",
        "acronym": "OPEIC",
        "title": "Development and strengthening of international cooperation of NEK in the "
                 "field of intelligent technologies and energy systems",
        "beneficiary": {"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                        "vat_payer": True},
        "programme": "OP PIK",
        "call": "Spolupráce – Klastry, výzva I",
        "provider": "MPO",
        "realisation_start": date(2016, 4, 1),
        "realisation_end": date(2018, 3, 31),
        "eligible_from": date(2016, 4, 1),
        "currency": "CZK",
        "support_rate": Decimal("0.50"),
        "max_subsidy": Decimal("3888100.00"),
        "line_transfer_tolerance": Decimal("0.00"),
        "claim_deadline_days": 60,
        "budget_lines": [
            {"code": "PERSONNEL", "name": "Personnel costs", "amount": Decimal("2400000.00")},
            {"code": "TRAVEL", "name": "Travel", "amount": Decimal("900000.00")},
        ],
        "activities": [
            {"code": "3", "parent": None, "title": "Promoting NEK abroad",
             "planned_start": date(2016, 4, 1), "planned_end": date(2018, 3, 31)},
            {"code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
             "planned_start": date(2017, 1, 1), "planned_end": date(2017, 9, 30)},
        ],
        "milestones": [
            {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained",
             "due": date(2017, 9, 30), "activity": "3.4"},
        ],
        "stages": [
            {"code": "1", "start": date(2016, 4, 1), "end": date(2017, 3, 31)},
            {"code": "2", "start": date(2017, 4, 1), "end": date(2018, 3, 31)},
        ],
    }


INDICATOR = {"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
             "baseline": "0", "target": "5", "kind": "to_achieve"}
REPORT = {"code": "ZOR-1", "kind": "implementation", "period_start": "2016-04-01",
          "period_end": "2017-03-31", "due": "2017-05-30"}


def test_a_full_registration_loads_to_the_fields_of_project_registered() -> None:
    loaded = RegisterProjectSchema().load(registration_body(
        latest_end="2018-12-31", indicators=[INDICATOR], sustainability_years=3,
        retention_until="2030-12-31", reports=[REPORT]))

    assert set(loaded) == set(GrantProject.ProjectRegistered.__annotations__)


def test_indicators_and_reports_load_to_typed_values() -> None:
    loaded = RegisterProjectSchema().load(registration_body(
        indicators=[{**INDICATOR, "baseline": "12.5", "target": "0.0001", "kind": "to_select"}],
        sustainability_years=0, retention_until="2030-12-31", reports=[REPORT]))

    assert (loaded["indicators"], loaded["sustainability_years"], loaded["retention_until"],
            loaded["reports"]) == (
        [{"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
          "baseline": Decimal("12.5"), "target": Decimal("0.0001"), "kind": "to_select"}],
        0, date(2030, 12, 31),
        [{"code": "ZOR-1", "kind": "implementation", "period_start": date(2016, 4, 1),
          "period_end": date(2017, 3, 31), "due": date(2017, 5, 30)}])


def test_bad_indicators_and_reports_are_named_by_field() -> None:
    body = registration_body(
        indicators=[{**INDICATOR, "target": 5.5, "kind": "wished"}],
        sustainability_years=-1,
        reports=[{**REPORT, "kind": "monthly", "due": "30.5.2017"}])

    assert errors_of(RegisterProjectSchema(), body) == {
        "indicators": {0: {"target": ['Send indicator values as a decimal string such as "5": '
                                      "a JSON number with a fraction is a binary "
                                      "floating-point number, which is inexact."],
                           "kind": ["Must be one of: to_achieve, to_select."]}},
        "sustainability_years": ["Must be greater than or equal to 0 and less than or equal "
                                 "to 30."],
        "reports": {0: {"kind": ["Must be one of: implementation, final_implementation, "
                                 "sustainability, final_sustainability."],
                        "due": ["Not a valid date: write a day that exists as YYYY-MM-DD, "
                                "e.g. 2016-06-15."]}},
    }


def test_optional_registration_fields_left_out_stay_out_for_the_domain_to_default() -> None:
    body = registration_body()
    for key in ("eligible_from", "currency", "line_transfer_tolerance", "claim_deadline_days",
                "activities", "milestones", "stages"):
        del body[key]

    loaded = RegisterProjectSchema().load(body)

    assert sorted(loaded) == [
        "acronym", "beneficiary", "budget_lines", "call", "max_subsidy", "programme",
        "provider", "realisation_end", "realisation_start", "registration_number",
        "support_rate", "title",
    ]


def test_a_misspelt_registration_field_is_named_as_unknown() -> None:
    body = registration_body(support_rat="0.50")

    assert errors_of(RegisterProjectSchema(), body) == {"support_rat": ["Unknown field."]}


def test_a_bad_nested_field_is_named_with_its_path() -> None:
    body = registration_body()
    body["budget_lines"][1]["amount"] = 900000.5
    body["beneficiary"]["ico"] = "1234"

    errors = errors_of(RegisterProjectSchema(), body)

    assert (sorted(errors), sorted(errors["budget_lines"][1]), errors["beneficiary"]) == (
        ["beneficiary", "budget_lines"], ["amount"], {"ico": ["An IČO is 8 digits."]},
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("support_rate", "0", "Must lie in (0, 1]."),
        ("support_rate", "1.01", "Must lie in (0, 1]."),
        ("line_transfer_tolerance", "-0.10", "Must lie in [0, 1]."),
        ("max_subsidy", "0.00", "Must be greater than zero."),
        ("currency", "EUR", "Must be one of: CZK."),
        ("budget_lines", [], "Shorter than minimum length 1."),
        ("title", "  ", "Must not be blank."),
        ("claim_deadline_days", -1, "Must be greater than or equal to 0 and less than or equal "
                                    "to 3660."),
    ],
)
def test_a_registration_value_out_of_range_is_refused(field: str, value: Any,
                                                      message: str) -> None:
    assert errors_of(RegisterProjectSchema(), registration_body(**{field: value})) == {
        field: [message],
    }


def test_a_support_rate_of_one_is_accepted() -> None:
    assert RegisterProjectSchema().load(registration_body(support_rate="1"))["support_rate"] \
        == Decimal(1)


def test_a_missing_required_field_is_named() -> None:
    body = registration_body()
    del body["realisation_end"]

    assert errors_of(RegisterProjectSchema(), body) == {
        "realisation_end": ["Missing data for required field."],
    }


# ---- expenses ---------------------------------------------------------------------------


def test_the_expense_example_loads_to_the_record_expense_arguments() -> None:
    assert RecordExpenseSchema().load(expense_body()) == {
        "document_number": "FV-2016-0042",
        "document_type": "invoice",
        "supplier": {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
        "description": "Joint workshop, Stuttgart",
        "budget_line": "TRAVEL",
        "activity": "3.4",
        "tax_point_date": date(2016, 6, 15),
        "amount_net": Decimal("100000.00"),
        "vat": Decimal("21000.00"),
        "eligible_amount": Decimal("100000.00"),
        "paid_on": date(2016, 6, 30),
        "attachments": [{"kind": "invoice", "file_name": "FV-2016-0042.pdf", "sha256": DIGEST}],
    }


def test_a_recorded_expense_loads_to_the_fields_of_expense_recorded() -> None:
    loaded = RecordExpenseSchema().load(expense_body(expense_id=EXPENSE_ID))

    assert set(loaded) == set(GrantProject.ExpenseRecorded.__annotations__)


def test_an_expense_without_its_optional_fields_carries_them_as_null_or_empty() -> None:
    body = expense_body(supplier={"name": "Hotel Zlatý lev", "ico": "12345678"})
    for key in ("activity", "vat", "eligible_amount", "paid_on", "attachments"):
        del body[key]

    loaded = RecordExpenseSchema().load(body)

    assert {k: loaded[k] for k in ("supplier", "activity", "vat", "eligible_amount", "paid_on",
                                   "attachments")} == {
        "supplier": {"name": "Hotel Zlatý lev", "ico": "12345678", "country": "CZ"},
        "activity": None, "vat": Decimal("0.00"), "eligible_amount": None, "paid_on": None,
        "attachments": [],
    }
    assert "expense_id" not in loaded


def test_an_expense_id_given_by_the_client_loads_as_a_uuid() -> None:
    loaded = RecordExpenseSchema().load(expense_body(expense_id=EXPENSE_ID))

    assert loaded["expense_id"] == UUID(EXPENSE_ID)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"document_type": "receipt"}, {"document_type": [
            "Must be one of: invoice, advance_invoice, payroll, travel, internal."]}),
        ({"amount_net": "0.00"}, {"amount_net": ["Must be greater than zero."]}),
        ({"vat": "-1.00"}, {"vat": ["Must not be negative."]}),
        ({"description": ""}, {"description": ["Must not be blank."]}),
        ({"supplier": {"name": "Acme", "ico": "123"}}, {"supplier": {"ico": [
            "A Czech IČO is 8 digits."]}}),
        ({"supplier": {"name": "Acme", "country": "Germany"}}, {"supplier": {"country": [
            "An ISO 3166-1 alpha-2 country code, e.g. CZ."]}}),
        ({"attachments": [{"kind": "invoice", "file_name": "a.pdf", "sha256": "abc"}]},
         {"attachments": {0: {"sha256": ["Not a SHA-256 digest: 64 hex characters."]}}}),
        ({"expense_id": "42"}, {"expense_id": ["Not a valid UUID."]}),
        ({"amout_net": "5.00"}, {"amout_net": ["Unknown field."]}),
    ],
)
def test_a_bad_expense_field_is_named(changes: dict[str, Any], errors: dict[str, Any]) -> None:
    assert errors_of(RecordExpenseSchema(), expense_body(**changes)) == errors


def test_a_correction_loads_to_the_changed_fields_and_the_reason() -> None:
    body = {"amount_net": "90000.00", "activity": None, "reason": " Credit note CN-7 "}

    assert CorrectExpenseSchema().load(body) == {
        "changes": {"amount_net": Decimal("90000.00"), "activity": None},
        "reason": "Credit note CN-7",
    }


def test_a_correction_that_changes_nothing_is_refused() -> None:
    errors = errors_of(CorrectExpenseSchema(), {"reason": "Typo"})

    assert list(errors) == ["_schema"]
    assert errors["_schema"][0].startswith("A correction must change at least one field")


def test_a_correction_without_a_reason_is_refused() -> None:
    assert errors_of(CorrectExpenseSchema(), {"vat": "0.00"}) == {
        "reason": ["Missing data for required field."],
    }


# ---- schedule, budget, claims -----------------------------------------------------------


def test_optional_notes_and_evidence_load_as_null() -> None:
    assert (StartActivitySchema().load({"started_on": "2017-01-02"}),
            AchieveMilestoneSchema().load({"achieved_on": "2018-02-15"})) == (
        {"started_on": date(2017, 1, 2), "note": None},
        {"achieved_on": date(2018, 2, 15), "evidence": None, "evidence_sha256": None},
    )


def test_a_budget_change_loads_its_transfers() -> None:
    body = {"change_id": "BC-1", "kind": "approved", "reference": "MPO 2017/12",
            "reason": "Travel overrun",
            "transfers": [{"from_line": "RENT", "to_line": "TRAVEL", "amount": "50000"}]}

    assert BudgetChangeSchema().load(body) == {
        "change_id": "BC-1", "kind": "approved", "reference": "MPO 2017/12",
        "reason": "Travel overrun",
        "transfers": [{"from_line": "RENT", "to_line": "TRAVEL", "amount": Decimal("50000.00")}],
    }


def test_a_budget_change_needs_a_known_kind_and_a_transfer() -> None:
    body = {"change_id": "BC-1", "kind": "silent", "reference": "-", "reason": "-",
            "transfers": []}

    assert errors_of(BudgetChangeSchema(), body) == {
        "kind": ["Must be one of: notified, approved."],
        "transfers": ["Shorter than minimum length 1."],
    }


def test_a_claim_is_not_final_unless_said_and_needs_an_expense() -> None:
    body = {"claim_number": "ZoP-1", "stage": "1", "submitted_on": "2017-04-20",
            "expense_ids": [EXPENSE_ID]}

    assert SubmitClaimSchema().load(body) == {
        "claim_number": "ZoP-1", "stage": "1", "submitted_on": date(2017, 4, 20),
        "final": False, "expense_ids": [UUID(EXPENSE_ID)],
    }
    assert errors_of(SubmitClaimSchema(), {**body, "expense_ids": []}) == {
        "expense_ids": ["Shorter than minimum length 1."],
    }


def test_an_approval_without_exclusions_excludes_nothing() -> None:
    assert ApproveClaimSchema().load({"approved_on": "2017-06-01"}) == {
        "approved_on": date(2017, 6, 1), "exclusions": [],
    }


def test_a_financial_correction_may_name_no_expense() -> None:
    body = {"correction_id": "FC-1", "finding": "Public procurement breach",
            "amount": "10000.00", "decided_on": "2019-01-15", "reason": "Audit 2018/3"}

    assert FinancialCorrectionSchema().load(body)["expense_ids"] == []


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert errors_of(StartActivitySchema(), ["started_on"]) == {
        "_schema": ["Invalid input type."],
    }

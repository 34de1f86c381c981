"""ExpenseRecorded, ExpensePaid, ExpenseCorrected and ExpenseReversed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from builders import (
    CLAIM,
    E1,
    E2,
    FRAUNHOFER,
    INVOICE_SHA256,
    accountant,
    expense_id,
    invoice,
    last_event,
    nek_project_with_approved_claim,
    nek_project_with_expense,
    nek_project_with_reversed_expense,
    nek_project_with_submitted_claim,
    not_vat_payer,
    refused,
    registered_nek_project,
)

from domain import errors
from domain.events import event_data
from domain.project import GrantProject

UNKNOWN = expense_id(99)  # never recorded

# ---- ExpenseRecorded: accepted --------------------------------------------------------------


def test_an_expense_of_a_vat_payer_is_eligible_for_its_net_amount_by_default() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(), **invoice())

    event = last_event(project)
    assert type(event) is GrantProject.ExpenseRecorded
    assert event_data(event) == {
        "expense_id": E1,
        "supplier": {"name": "Expo Services s.r.o.", "ico": "25123456", "country": "CZ"},
        "document_number": "FV-2016-0042",
        "document_type": "invoice",
        "description": "Workshop trip to Fraunhofer ISE, Freiburg",
        "budget_line": "TRAVEL",
        "activity": "2",
        "tax_point_date": date(2016, 6, 15),
        "amount_net": Decimal("100000.00"),
        "vat": Decimal("21000.00"),
        "eligible_amount": Decimal("100000.00"),
        "paid_on": date(2016, 6, 30),
        "attachments": [{"kind": "invoice", "file_name": "FV-2016-0042.pdf",
                         "sha256": INVOICE_SHA256}],
    }


def test_an_expense_of_a_beneficiary_not_paying_vat_is_eligible_for_net_plus_vat_by_default(
) -> None:
    project = registered_nek_project(beneficiary=not_vat_payer())

    project.record_expense(accountant(), **invoice())

    assert last_event(project).eligible_amount == Decimal("121000.00")


def test_an_eligible_amount_below_the_default_is_recorded_as_given() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(), **invoice(eligible_amount=Decimal("60000.00")))

    assert last_event(project).eligible_amount == Decimal("60000.00")


def test_an_eligible_amount_equal_to_the_net_amount_is_accepted_for_a_vat_payer() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(), **invoice(eligible_amount=Decimal("100000.00")))

    assert last_event(project).eligible_amount == Decimal("100000.00")


def test_an_eligible_amount_equal_to_net_plus_vat_is_accepted_for_a_beneficiary_not_paying_vat(
) -> None:
    project = registered_nek_project(beneficiary=not_vat_payer())

    project.record_expense(accountant(), **invoice(eligible_amount=Decimal("121000.00")))

    assert last_event(project).eligible_amount == Decimal("121000.00")


def test_amounts_are_recorded_with_two_places() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(), **invoice(amount_net=Decimal("100000"), vat=Decimal("0"),
                                                   eligible_amount=Decimal("99999.5")))

    event = last_event(project)
    assert (str(event.amount_net), str(event.vat), str(event.eligible_amount)) == (
        "100000.00", "0.00", "99999.50")


def test_an_expense_records_who_recorded_it_and_when() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(on=date(2016, 7, 1)), **invoice())

    event = last_event(project)
    assert (event.recorded_by, event.timestamp, project.version) == (
        {"name": "jana", "role": "accountant"}, datetime(2016, 7, 1, 9, tzinfo=UTC), 2)


def test_an_unpaid_expense_without_an_activity_is_accepted() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(), **invoice(activity=None, paid_on=None))

    event = last_event(project)
    assert (event.activity, event.paid_on) == (None, None)


def test_an_expense_recorded_without_its_optional_payment_date_and_attachments_is_unpaid(
) -> None:
    project = registered_nek_project()
    fields = {k: v for k, v in invoice().items() if k not in ("paid_on", "attachments")}

    project.record_expense(accountant(), **fields)

    assert (last_event(project).paid_on, last_event(project).attachments) == (None, [])

def test_an_expense_before_the_eligibility_window_is_accepted_to_stay_visible() -> None:
    project = registered_nek_project()

    project.record_expense(accountant(), **invoice(tax_point_date=date(2016, 3, 15)))

    assert last_event(project).tax_point_date == date(2016, 3, 15)


def test_the_same_document_on_another_line_is_not_double_financing() -> None:
    project = nek_project_with_expense()

    project.record_expense(accountant(), **invoice(expense_id=E2, budget_line="PERSONNEL"))

    assert (last_event(project).expense_id, project.version) == (E2, 3)


def test_the_same_document_number_from_another_supplier_is_not_double_financing() -> None:
    project = nek_project_with_expense()

    project.record_expense(accountant(), **invoice(expense_id=E2, supplier=dict(FRAUNHOFER)))

    assert (last_event(project).expense_id, project.version) == (E2, 3)


def test_a_reversed_expense_frees_its_document_for_a_new_expense() -> None:
    project = nek_project_with_reversed_expense()

    project.record_expense(accountant(), **invoice(expense_id=E2))

    assert (last_event(project).expense_id, dict(project.documents)) == (
        E2, {"ico:25123456\x1fFV-2016-0042\x1fTRAVEL": str(E2)})


# ---- ExpenseRecorded: refused ---------------------------------------------------------------


def test_an_expense_on_an_unknown_budget_line_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.record_expense(accountant(), **invoice(budget_line="CATERING"))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "budget_line", "CATERING")


def test_an_expense_for_an_unknown_activity_is_refused() -> None:
    project = registered_nek_project()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.record_expense(accountant(), **invoice(activity="6"))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "activity", "6")


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-1.00")], ids=str)
def test_an_eligible_amount_not_above_zero_is_refused(amount: Decimal) -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.record_expense(accountant(), **invoice(eligible_amount=amount))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "eligible_amount")


def test_an_eligible_amount_above_the_net_amount_is_refused_for_a_vat_payer() -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.record_expense(accountant(), **invoice(eligible_amount=Decimal("100000.01")))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "eligible_amount")


def test_an_eligible_amount_above_net_plus_vat_is_refused_for_a_beneficiary_not_paying_vat(
) -> None:
    project = registered_nek_project(beneficiary=not_vat_payer())

    with refused(project, errors.InvalidCommandError) as refusal:
        project.record_expense(accountant(), **invoice(eligible_amount=Decimal("121000.01")))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "eligible_amount")


@pytest.mark.parametrize(("field", "value"), [
    ("amount_net", Decimal("0.00")),
    ("amount_net", Decimal("-100.00")),
    ("amount_net", Decimal("100000.001")),
    ("vat", Decimal("-0.01")),
    ("eligible_amount", Decimal("99999.999")),
])
def test_an_amount_no_rule_could_accept_is_refused(field: str, value: Decimal) -> None:
    project = registered_nek_project()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.record_expense(accountant(), **invoice(**{field: value}))

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", field)


def test_the_same_supplier_document_on_the_same_line_is_refused_as_double_financing() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.DoubleFinancingError) as refusal:
        project.record_expense(accountant(), **invoice(
            expense_id=E2, supplier={"name": "Expo Services, s.r.o.", "ico": "25123456",
                                     "country": "CZ"},
            document_number=" FV-2016-0042 ", amount_net=Decimal("5000.00")))

    assert refusal.value.rule == "DOUBLE_FINANCING"


def test_a_supplier_without_ico_is_told_apart_by_name_for_double_financing() -> None:
    project = nek_project_with_expense(supplier=dict(FRAUNHOFER))

    with refused(project, errors.DoubleFinancingError) as refusal:
        project.record_expense(accountant(), **invoice(
            expense_id=E2, supplier={"name": " fraunhofer-gesellschaft", "ico": None,
                                     "country": "DE"}))

    assert refusal.value.rule == "DOUBLE_FINANCING"


def test_an_expense_id_already_recorded_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.ExpenseIdTakenError) as refusal:
        project.record_expense(accountant(), **invoice(document_number="FV-2016-0043"))

    assert refusal.value.rule == "EXPENSE_ID_TAKEN"


# ---- ExpensePaid ----------------------------------------------------------------------------


def test_paying_an_unpaid_expense_records_the_payment_date() -> None:
    project = nek_project_with_expense(paid_on=None)

    project.pay_expense(accountant(), expense_id=E1, paid_on=date(2016, 7, 4))

    event = last_event(project)
    assert (type(event), event_data(event), project.expenses[str(E1)].paid_on) == (
        GrantProject.ExpensePaid, {"expense_id": E1, "paid_on": date(2016, 7, 4)},
        date(2016, 7, 4))


def test_paying_an_unknown_expense_is_refused() -> None:
    project = nek_project_with_expense(paid_on=None)

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.pay_expense(accountant(), expense_id=UNKNOWN, paid_on=date(2016, 7, 4))

    assert (refusal.value.rule, refusal.value.field, refusal.value.key) == (
        "UNKNOWN_REFERENCE", "expense_id", str(UNKNOWN))


def test_paying_a_reversed_expense_is_refused() -> None:
    project = registered_nek_project()
    project.record_expense(accountant(), **invoice(paid_on=None))
    project.reverse_expense(accountant(), expense_id=E1, reason="duplicate entry")

    with refused(project, errors.ExpenseReversedError) as refusal:
        project.pay_expense(accountant(), expense_id=E1, paid_on=date(2016, 7, 4))

    assert refusal.value.rule == "EXPENSE_REVERSED"


def test_paying_an_expense_twice_is_refused() -> None:
    project = nek_project_with_expense(paid_on=None)
    project.pay_expense(accountant(), expense_id=E1, paid_on=date(2016, 7, 4))

    with refused(project, errors.ExpenseAlreadyPaidError) as refusal:
        project.pay_expense(accountant(), expense_id=E1, paid_on=date(2016, 7, 5))

    assert refusal.value.rule == "EXPENSE_ALREADY_PAID"


def test_paying_an_expense_recorded_as_paid_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.ExpenseAlreadyPaidError) as refusal:
        project.pay_expense(accountant(), expense_id=E1, paid_on=date(2016, 7, 4))

    assert refusal.value.rule == "EXPENSE_ALREADY_PAID"


# ---- ExpenseCorrected: accepted -------------------------------------------------------------


def test_a_correction_records_the_changed_fields_and_the_reason() -> None:
    project = nek_project_with_expense()

    project.correct_expense(accountant(), expense_id=E1,
                            changes={"document_number": "FV-2016-0043"}, reason="typo")

    event = last_event(project)
    assert (type(event), event_data(event)) == (
        GrantProject.ExpenseCorrected,
        {"expense_id": E1, "changes": {"document_number": "FV-2016-0043"}, "reason": "typo"})


def test_a_correction_keeps_the_expense_id_and_updates_its_record() -> None:
    project = nek_project_with_expense()

    project.correct_expense(accountant(), expense_id=E1, changes={"budget_line": "PERSONNEL"},
                            reason="the trip was the cluster manager's work")

    assert (project.expenses[str(E1)].budget_line, dict(project.documents)) == (
        "PERSONNEL", {"ico:25123456\x1fFV-2016-0042\x1fPERSONNEL": str(E1)})


def test_correcting_the_net_amount_of_a_default_expense_makes_the_new_net_eligible() -> None:
    project = nek_project_with_expense()

    project.correct_expense(accountant(), expense_id=E1,
                            changes={"amount_net": Decimal("90000.00")}, reason="credit note")

    assert (last_event(project).changes["eligible_amount"],
            project.expenses[str(E1)].eligible_amount) == (Decimal("90000.00"),
                                                           Decimal("90000.00"))


def test_correcting_the_vat_keeps_an_eligible_amount_chosen_below_the_default() -> None:
    project = nek_project_with_expense(eligible_amount=Decimal("60000.00"))

    project.correct_expense(accountant(), expense_id=E1,
                            changes={"vat": Decimal("20000.00")}, reason="VAT rate corrected")

    assert (last_event(project).changes, project.expenses[str(E1)].eligible_amount) == (
        {"vat": Decimal("20000.00"), "eligible_amount": Decimal("60000.00")},
        Decimal("60000.00"))


def test_correcting_the_net_amount_below_a_chosen_eligible_amount_caps_it_at_the_net() -> None:
    project = nek_project_with_expense(eligible_amount=Decimal("60000.00"))

    project.correct_expense(accountant(), expense_id=E1,
                            changes={"amount_net": Decimal("50000.00")}, reason="credit note")

    assert project.expenses[str(E1)].eligible_amount == Decimal("50000.00")


def test_an_expense_in_a_claim_not_yet_approved_can_be_corrected() -> None:
    project = nek_project_with_submitted_claim()

    project.correct_expense(accountant(), expense_id=E1, changes={"description": "Freiburg"},
                            reason="clearer description")

    assert (type(last_event(project)), project.expenses[str(E1)].claim) == (
        GrantProject.ExpenseCorrected, CLAIM)


def test_a_correction_onto_a_line_where_the_document_is_reversed_is_accepted() -> None:
    project = nek_project_with_expense()
    project.record_expense(accountant(), **invoice(expense_id=E2, budget_line="PERSONNEL"))
    project.reverse_expense(accountant(), expense_id=E2, reason="wrong line")

    project.correct_expense(accountant(), expense_id=E1, changes={"budget_line": "PERSONNEL"},
                            reason="right line")

    assert project.expenses[str(E1)].budget_line == "PERSONNEL"


# ---- ExpenseCorrected: refused --------------------------------------------------------------


def test_correcting_an_unknown_expense_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.correct_expense(accountant(), expense_id=UNKNOWN,
                                changes={"description": "x"}, reason="typo")

    assert (refusal.value.rule, refusal.value.field) == ("UNKNOWN_REFERENCE", "expense_id")


def test_correcting_a_reversed_expense_is_refused() -> None:
    project = nek_project_with_reversed_expense()

    with refused(project, errors.ExpenseReversedError) as refusal:
        project.correct_expense(accountant(), expense_id=E1,
                                changes={"description": "x"}, reason="typo")

    assert refusal.value.rule == "EXPENSE_REVERSED"


def test_correcting_an_expense_in_an_approved_claim_is_refused() -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.ExpenseInApprovedClaimError) as refusal:
        project.correct_expense(accountant(), expense_id=E1,
                                changes={"description": "x"}, reason="typo")

    assert refusal.value.rule == "EXPENSE_IN_APPROVED_CLAIM"


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_a_correction_without_a_reason_is_refused(reason: str) -> None:
    project = nek_project_with_expense()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.correct_expense(accountant(), expense_id=E1,
                                changes={"description": "x"}, reason=reason)

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "reason")


def test_a_correction_onto_a_line_where_the_same_document_is_active_is_refused() -> None:
    project = nek_project_with_expense()
    project.record_expense(accountant(), **invoice(expense_id=E2, budget_line="PERSONNEL"))

    with refused(project, errors.DoubleFinancingError) as refusal:
        project.correct_expense(accountant(), expense_id=E2, changes={"budget_line": "TRAVEL"},
                                reason="wrong line")

    assert refusal.value.rule == "DOUBLE_FINANCING"


def test_a_correction_of_the_document_number_to_one_already_on_the_line_is_refused() -> None:
    project = nek_project_with_expense()
    project.record_expense(accountant(), **invoice(expense_id=E2, document_number="FV-2016-0043"))

    with refused(project, errors.DoubleFinancingError) as refusal:
        project.correct_expense(accountant(), expense_id=E2,
                                changes={"document_number": "FV-2016-0042"}, reason="typo")

    assert refusal.value.rule == "DOUBLE_FINANCING"


def test_a_correction_raising_the_eligible_amount_above_the_default_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.correct_expense(accountant(), expense_id=E1,
                                changes={"eligible_amount": Decimal("100000.01")}, reason="typo")

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "eligible_amount")


def test_a_correction_onto_an_unknown_line_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.correct_expense(accountant(), expense_id=E1, changes={"budget_line": "CATERING"},
                                reason="typo")

    assert (refusal.value.rule, refusal.value.field) == ("UNKNOWN_REFERENCE", "budget_line")


def test_a_correction_of_a_field_that_cannot_be_corrected_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.correct_expense(accountant(), expense_id=E1,
                                changes={"paid_on": date(2016, 7, 1)}, reason="typo")

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "paid_on")


def test_a_correction_changing_nothing_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.correct_expense(accountant(), expense_id=E1, changes={}, reason="typo")

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "changes")


# ---- ExpenseReversed ------------------------------------------------------------------------


def test_a_reversal_records_the_reason_and_keeps_the_expense_visible() -> None:
    project = nek_project_with_expense()

    project.reverse_expense(accountant(), expense_id=E1, reason="recorded on the wrong project")

    event = last_event(project)
    assert (type(event), event_data(event), project.expenses[str(E1)].reversed,
            dict(project.documents)) == (
        GrantProject.ExpenseReversed,
        {"expense_id": E1, "reason": "recorded on the wrong project"}, True, {})


def test_an_expense_in_a_claim_not_yet_approved_can_be_reversed() -> None:
    project = nek_project_with_submitted_claim()

    project.reverse_expense(accountant(), expense_id=E1, reason="refund from the supplier")

    assert project.expenses[str(E1)].reversed is True


def test_reversing_an_unknown_expense_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.UnknownReferenceError) as refusal:
        project.reverse_expense(accountant(), expense_id=UNKNOWN, reason="duplicate")

    assert (refusal.value.rule, refusal.value.field) == ("UNKNOWN_REFERENCE", "expense_id")


def test_reversing_an_expense_twice_is_refused() -> None:
    project = nek_project_with_reversed_expense()

    with refused(project, errors.ExpenseReversedError) as refusal:
        project.reverse_expense(accountant(), expense_id=E1, reason="duplicate")

    assert refusal.value.rule == "EXPENSE_REVERSED"


def test_reversing_an_expense_in_an_approved_claim_is_refused() -> None:
    project = nek_project_with_approved_claim()

    with refused(project, errors.ExpenseInApprovedClaimError) as refusal:
        project.reverse_expense(accountant(), expense_id=E2, reason="duplicate")

    assert refusal.value.rule == "EXPENSE_IN_APPROVED_CLAIM"


def test_a_reversal_without_a_reason_is_refused() -> None:
    project = nek_project_with_expense()

    with refused(project, errors.InvalidCommandError) as refusal:
        project.reverse_expense(accountant(), expense_id=E1, reason="")

    assert (refusal.value.rule, refusal.value.field) == ("INVALID_FIELD", "reason")


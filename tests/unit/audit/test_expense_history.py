"""An expense's versions side by side, from the events that touched it."""

from __future__ import annotations

from audit_builders import expense_id, history

from projections.expense_history import expense_history, touching_versions
from projections.ledger import Pair


def pairs() -> list[Pair]:
    """The history, each event at a made-up global position of ten times its version."""
    return [(event.originator_version * 10, event) for event in history()]


def test_the_versions_of_an_expense_are_the_events_that_touched_it_in_order() -> None:
    versions = expense_history(pairs(), str(expense_id(1)))

    assert versions is not None
    assert [(v["version"], v["type"], v["position"]) for v in versions] == [
        (2, "ExpenseRecorded", 20), (4, "ExpenseCorrected", 40),
        (5, "PaymentClaimSubmitted", 50), (6, "PaymentClaimApproved", 60)]


def test_a_correction_shows_each_changed_field_before_and_after_with_its_reason() -> None:
    versions = expense_history(pairs(), str(expense_id(1)))

    assert versions is not None
    correction = versions[1]
    assert (correction["changes"], correction["reason"], correction["recorded_by"]) == (
        [{"field": "amount_net", "before": "100000.00", "after": "90000.00"},
         {"field": "eligible_amount", "before": "100000.00", "after": "90000.00"}],
        "credit note FV-2016-9", {"name": "accountant-1", "role": "accountant"})


def test_the_recording_shows_every_field_as_new() -> None:
    versions = expense_history(pairs(), str(expense_id(1)))

    assert versions is not None
    recorded = versions[0]["changes"]
    assert all(change["before"] is None for change in recorded)
    assert {c["field"]: c["after"] for c in recorded}["tax_point_date"] == "2016-06-15"


def test_an_approval_shows_the_expense_approved_and_the_reason_of_its_exclusion() -> None:
    versions = expense_history(pairs(), str(expense_id(2)))

    assert versions is not None
    approval = versions[-1]
    assert (approval["type"], approval["changes"], approval["reason"]) == (
        "PaymentClaimApproved", [{"field": "approved", "before": False, "after": True}],
        "1000.00 excluded: no tender")


def test_each_version_carries_the_expense_as_it_stood_after_its_event() -> None:
    versions = expense_history(pairs(), str(expense_id(1)))

    assert versions is not None
    assert [(v["expense"]["eligible_amount"], v["expense"]["claim_number"])
            for v in versions] == [
        (versions[0]["expense"]["amount_net"], None),
        (versions[1]["expense"]["amount_net"], None),
        (versions[1]["expense"]["amount_net"], "1"),
        (versions[1]["expense"]["amount_net"], "1")]


def test_an_expense_the_project_never_had_has_no_history() -> None:
    assert expense_history(pairs(), str(expense_id(99))) is None


def test_every_expense_lists_the_versions_that_touched_it() -> None:
    found = touching_versions(pairs())

    assert found == {str(expense_id(1)): [2, 4, 5, 6], str(expense_id(2)): [3, 5, 6],
                     str(expense_id(3)): [7]}

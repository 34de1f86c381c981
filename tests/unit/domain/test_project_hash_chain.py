"""The tamper-evident chain: every event's hash covers its content and its predecessor's hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from builders import (
    E1,
    E2,
    accountant,
    auditor,
    expense_id,
    first_event,
    invoice,
    last_event,
    manager,
    nek_project_with_expense,
    nek_project_with_paid_subsidy,
    registered_nek_project,
)

from domain.events import event_data, event_type
from domain.hashing import event_hash


def recomputed_hash(event: Any, **changes: Any) -> str:
    """`event_hash` of the event's type, project, version, moment, author, data and
    predecessor, with `changes` applied to any of them (or to a field of its data)."""
    parts: dict[str, Any] = {
        "event_type": event_type(event), "project": event.originator_id,
        "version": event.originator_version, "recorded_at": event.timestamp,
        "recorded_by": event.recorded_by, "data": event_data(event),
        "previous_hash": event.previous_hash,
    }
    data_changes = {k: v for k, v in changes.items() if k not in parts}
    parts.update({k: v for k, v in changes.items() if k in parts})
    parts["data"] = {**parts["data"], **data_changes}
    return event_hash(**parts)


def history() -> list[Any]:
    """The 9 events of a project that registered, spent, claimed, was paid and corrected."""
    project = nek_project_with_paid_subsidy()
    project.record_expense(accountant(), **invoice(expense_id=expense_id(3),
                                                   document_number="FV-2017-0001"))
    project.start_activity(manager(), activity="2", started_on=date(2016, 6, 1))
    project.impose_correction(auditor(), correction_id="FC-1", finding="Audit 2018/07",
                              expense_ids=[E1], amount=Decimal("5000.00"),
                              decided_on=date(2018, 9, 10), reason="no tender")
    return list(project.collect_events())


def test_the_first_event_follows_sixty_four_zeros() -> None:
    project = registered_nek_project()

    first = first_event(project)

    assert first.previous_hash == "0" * 64


def test_each_event_names_the_hash_of_the_event_before_it() -> None:
    events = history()

    previous = [event.previous_hash for event in events[1:]]

    assert previous == [event.hash for event in events[:-1]]


def test_each_events_hash_is_recomputed_from_its_content() -> None:
    events = history()

    recomputed = [recomputed_hash(event) for event in events]

    assert recomputed == [event.hash for event in events]


def test_the_chain_numbers_its_events_from_one_without_gaps() -> None:
    events = history()

    versions = [event.originator_version for event in events]

    assert versions == list(range(1, 10))


def test_the_hash_is_the_sha256_of_the_canonical_json_of_the_event() -> None:
    project = nek_project_with_expense()
    project_id, previous = project.id, last_event(project).hash

    project.correct_expense(accountant(), expense_id=E1,
                            changes={"eligible_amount": Decimal("90000.00")},
                            reason="oprava překlepu")

    canonical = (
        '{"data":{"changes":{"eligible_amount":"90000.00"},'
        f'"expense_id":"{E1}","reason":"oprava překlepu"}},'
        f'"previous_hash":"{previous}","project":"{project_id}",'
        '"recorded_at":"2017-10-16T09:00:00+00:00",'
        '"recorded_by":{"name":"jana","role":"accountant"},'
        '"type":"ExpenseCorrected","version":3}'
    )
    assert last_event(project).hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


ALTERED_EXPENSE_FIELDS = {
    "expense_id": E2,
    "supplier": {"name": "Expo Services s.r.o.", "ico": "25123457", "country": "CZ"},
    "document_number": "FV-2016-0043",
    "document_type": "advance_invoice",
    "description": "Workshop trip to Fraunhofer ISE, Freiburg.",
    "budget_line": "MARKETING_PROMOTION",
    "activity": None,
    "tax_point_date": date(2016, 6, 16),
    "amount_net": Decimal("100000.01"),
    "vat": Decimal("21000.01"),
    "eligible_amount": Decimal("99999.99"),
    "paid_on": None,
    "attachments": [],
}


def test_the_fields_altered_below_are_every_data_field_of_an_expense() -> None:
    project = nek_project_with_expense()

    fields = set(event_data(last_event(project)))

    assert fields == set(ALTERED_EXPENSE_FIELDS)


@pytest.mark.parametrize(("field", "value"), sorted(ALTERED_EXPENSE_FIELDS.items()),
                         ids=sorted(ALTERED_EXPENSE_FIELDS))
def test_changing_any_data_field_of_an_event_changes_its_hash(field: str, value: Any) -> None:
    event = last_event(nek_project_with_expense())

    altered = recomputed_hash(event, **{field: value})

    assert altered != event.hash


@pytest.mark.parametrize(("part", "value"), [
    ("event_type", "ExpenseCorrected"),
    ("project", E2),
    ("version", 3),
    ("recorded_at", datetime(2017, 10, 16, 9, 0, 1, tzinfo=UTC)),
    ("recorded_by", {"name": "jana", "role": "manager"}),
    ("previous_hash", "0" * 64),
], ids=["type", "project", "version", "recorded_at", "recorded_by", "previous_hash"])
def test_changing_any_envelope_part_of_an_event_changes_its_hash(part: str, value: Any) -> None:
    event = last_event(nek_project_with_expense())

    altered = recomputed_hash(event, **{part: value})

    assert altered != event.hash


def test_changing_a_nested_registration_amount_changes_the_hash() -> None:
    event = first_event(registered_nek_project())
    lines = [dict(line) for line in event.budget_lines]
    lines[0]["amount"] = Decimal("2400000.01")

    altered = recomputed_hash(event, budget_lines=lines)

    assert altered != event.hash

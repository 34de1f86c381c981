"""Builders for the audit tests: a short NEK history made by the real aggregate, its events as
the stored links verification reads, and a forger who rewrites that history consistently."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.events import event_data, event_type
from domain.project import GrantProject
from domain.records import Stamp
from domain.verification import Link, StoredLink

ON = date(2017, 4, 20)
LINES = [
    {"code": "PERSONNEL", "name": "Personnel costs", "amount": Decimal("2400000.00")},
    {"code": "TRAVEL", "name": "Travel", "amount": Decimal("900000.00")},
]


def stamp(role: str, on: date = ON) -> Stamp:
    return Stamp(at=datetime.combine(on, time(9, 0), tzinfo=UTC), name=f"{role}-1", role=role,
                 today=on)


def expense_id(n: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://grantledger/tests/audit/expense/{n}")


def history() -> list[GrantProject.Event]:
    """Registered (v1); two paid TRAVEL invoices (v2, v3); the first corrected (v4); both in
    payment claim 1 (v5), approved (v6); a PERSONNEL invoice (v7)."""
    project = GrantProject.register(
        stamp("manager", date(2016, 3, 21)),
        registration_number="CZ.01.1.02/0.0/0.0/15_009/0002300", acronym="OPEIC",
        title="Národní energetický klastr – internacionalizace",
        beneficiary={"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                     "vat_payer": True},
        programme="OP PIK", call="Spolupráce – Klastry, výzva I", provider="MPO",
        realisation_start=date(2016, 4, 1), realisation_end=date(2018, 3, 31),
        support_rate=Decimal("0.50"), max_subsidy=Decimal("1650000.00"), budget_lines=LINES,
        activities=[], milestones=[],
    )
    for n, amount in ((1, "100000.00"), (2, "50000.00")):
        project.record_expense(
            stamp("accountant"), expense_id=expense_id(n), document_number=f"FV-2016-{n:04d}",
            document_type="invoice",
            supplier={"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
            description="Joint workshop, Stuttgart", budget_line="TRAVEL",
            tax_point_date=date(2016, 6, 15), amount_net=Decimal(amount), vat=Decimal("0.00"),
            paid_on=date(2016, 6, 30))
    project.correct_expense(stamp("accountant"), expense_id(1),
                            {"amount_net": Decimal("90000.00")}, reason="credit note FV-2016-9")
    project.submit_claim(stamp("manager"), "1", "1", ON, False, [expense_id(1), expense_id(2)])
    project.approve_claim(stamp("auditor", date(2017, 6, 1)), "1", date(2017, 6, 1), [
        {"expense_id": expense_id(2), "amount": Decimal("1000.00"), "reason": "no tender"}])
    project.record_expense(
        stamp("accountant", date(2017, 6, 2)), expense_id=expense_id(3),
        document_number="MZ-2017-06", document_type="payroll",
        supplier={"name": "NEK", "ico": "01234567", "country": "CZ"},
        description="Salaries, June", budget_line="PERSONNEL",
        tax_point_date=date(2017, 6, 30), amount_net=Decimal("80000.00"), vat=Decimal("0.00"))
    return list(project.collect_events())


def link(event: GrantProject.Event) -> StoredLink:
    """An event as verification reads it back from the store."""
    return StoredLink(
        version=event.originator_version, event_type=event_type(event),
        project=event.originator_id, recorded_at=event.timestamp,
        recorded_by=dict(event.recorded_by), data=event_data(event),
        previous_hash=event.previous_hash, hash=event.hash)


def links() -> list[Link]:
    return [link(event) for event in history()]


def with_data(stored: StoredLink, **changes: Any) -> StoredLink:
    """The same stored row with some of its data changed (and its stored hash left alone)."""
    return dataclasses.replace(stored, data={**stored.data, **changes})


def rehashed(chain: list[Link], *, fix_claim_heads: bool = True) -> list[StoredLink]:
    """What a forger with write access does after an edit: recompute every hash and link in
    order, and (if careful) the chain heads that payment claims recorded."""
    forged: list[StoredLink] = []
    new_hash: dict[int, str] = {}
    previous = "0" * 64
    for old in chain:
        assert isinstance(old, StoredLink)
        data = dict(old.data)
        head = data.get("chain_head")
        if fix_claim_heads and isinstance(head, dict):
            data["chain_head"] = {"version": head["version"], "hash": new_hash[head["version"]]}
        draft = dataclasses.replace(old, data=data, previous_hash=previous, hash="")
        forged.append(dataclasses.replace(draft, hash=draft.recomputed_hash))
        previous = new_hash[old.version] = forged[-1].hash
    return forged

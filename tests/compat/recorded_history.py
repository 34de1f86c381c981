"""One project's history with every kind of event, and its stored rows as the store keeps them.

`stored_events_1_2.json` holds the rows this module made on 7 December 2026, with the code of
version 1.2 as it stood before `domain/project.py` was split by topic. The tests load those
rows (every stored event must still load and verify) and record the same history again (the
events recorded today must be stored byte for byte as they were; a snapshot but for the
moment it was taken).

Run as a script (`PYTHONPATH=. .venv/bin/python tests/compat/recorded_history.py`), it
prints the rows as JSON. A deliberate change of an event (a new class version with its
upcaster) may add a new file next to this one, never rewrite the old one.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import StoredEvent

from domain.project import GrantProject
from domain.records import Stamp
from service.application import LedgerApplication

FIXTURE = Path(__file__).with_name("stored_events_1_2.json")
NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0009999"
START, STAGE_1_END, END = date(2016, 4, 1), date(2017, 3, 31), date(2018, 3, 31)
SUPPLIER = {"name": "Expo Services s.r.o.", "ico": "25123456", "country": "CZ"}
SUBJECT = "https://id.example.cz#jana.novakova"


def stamp(role: str, on: date, subject: str | None = None) -> Stamp:
    return Stamp(at=datetime.combine(on, time(9, 0), tzinfo=UTC), name=f"{role}-1", role=role,
                 today=on, subject=subject)


def expense_id(n: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://grantledger/tests/compat/expense/{n}")


def registered() -> GrantProject:
    return GrantProject.register(
        stamp("manager", date(2016, 3, 21)), registration_number=NUMBER, acronym="KOMPAT",
        title="Kompatibilita uložených událostí",
        beneficiary={"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                     "vat_payer": True},
        programme="OP PIK", call="Spolupráce – Klastry, výzva I", provider="MPO",
        realisation_start=START, realisation_end=END, support_rate=Decimal("0.50"),
        max_subsidy=Decimal("550000.00"),
        budget_lines=[
            {"code": "TRAVEL", "name": "Travel", "amount": Decimal("900000.00")},
            {"code": "RENT", "name": "Rent", "amount": Decimal("200000.00")},
        ],
        activities=[{"code": "1", "title": "Workshops", "planned_start": START,
                     "planned_end": END}],
        milestones=[{"code": "M1", "title": "First workshop", "due": date(2016, 9, 30),
                     "activity": "1"}],
        stages=[{"code": "1", "start": START, "end": STAGE_1_END},
                {"code": "2", "start": date(2017, 4, 1), "end": END}],
        indicators=[{"code": "PARTNERS", "name": "Foreign partners", "unit": "count",
                     "baseline": Decimal("0"), "target": Decimal("5"), "kind": "to_achieve"}],
        sustainability_years=3,
    )


def _expense(project: GrantProject, n: int, line: str, amount: str, on: date,
             paid_on: date | None) -> None:
    project.record_expense(
        stamp("accountant", on), expense_id=expense_id(n), document_number=f"FV-{n:04d}",
        document_type="invoice", supplier=SUPPLIER, description=f"Invoice {n}",
        budget_line=line, activity="1", tax_point_date=on, amount_net=Decimal(amount),
        vat=(Decimal(amount) * Decimal("0.21")).quantize(Decimal("0.01")), paid_on=paid_on,
        attachments=[{"name": f"fv-{n}.pdf", "sha256": f"{n:02d}" * 32}])


def project_with_history() -> GrantProject:
    """Every kind of event a project records, in an order its rules allow."""
    project = registered()
    on = date(2016, 5, 2)
    project.start_activity(stamp("manager", on), "1", on, note="kick-off")
    _expense(project, 1, "TRAVEL", "100000.00", date(2016, 6, 15), date(2016, 6, 30))
    _expense(project, 2, "RENT", "10000.00", date(2016, 7, 1), None)
    project.pay_expense(stamp("accountant", date(2016, 7, 20)), expense_id(2), date(2016, 7, 20))
    _expense(project, 3, "TRAVEL", "5000.00", date(2016, 8, 1), date(2016, 8, 5))
    project.correct_expense(stamp("accountant", date(2016, 8, 10)), expense_id(3),
                            {"amount_net": Decimal("4500.00"), "vat": Decimal("945.00")},
                            reason="credit note DB-7")
    _expense(project, 4, "TRAVEL", "700.00", date(2016, 8, 2), None)
    project.reverse_expense(stamp("accountant", date(2016, 8, 11)), expense_id(4),
                            reason="recorded twice")
    project.achieve_milestone(stamp("manager", date(2016, 9, 30)), "M1", date(2016, 9, 28),
                              evidence="minutes", evidence_sha256="ab" * 32)
    project.change_budget(stamp("manager", date(2016, 10, 3)), "ZL-1", "approved",
                          [{"from_line": "RENT", "to_line": "TRAVEL",
                            "amount": Decimal("50000.00")}],
                          reference="MPO 123/2016", reason="more travel")
    project.change_realisation_end(stamp("manager", date(2016, 11, 1)), date(2018, 6, 30),
                                   reference="MPO 456/2016")
    project.submit_claim(stamp("manager", date(2017, 4, 10)), "ZoP-1", "1", date(2017, 4, 10),
                         False, [expense_id(1), expense_id(2)])
    project.approve_claim(stamp("auditor", date(2017, 6, 1)), "ZoP-1", date(2017, 6, 1),
                          [{"expense_id": expense_id(2), "amount": Decimal("1000.00"),
                            "reason": "no tender"}])
    project.pay_subsidy(stamp("auditor", date(2017, 6, 20)), "ZoP-1", Decimal("40000.00"),
                        date(2017, 6, 20))
    project.impose_correction(stamp("auditor", date(2017, 7, 3)), "FK-1", "audit finding 3",
                              [expense_id(1)], Decimal("2500.00"), date(2017, 7, 3),
                              reason="late publicity")
    values = [{"code": "PARTNERS", "value": Decimal("2"), "comment": "two signed"}]
    project.submit_report(stamp("manager", date(2017, 4, 12)), "ZOR-1", date(2017, 4, 12),
                          values, narrative="first stage")
    project.return_report(stamp("auditor", date(2017, 4, 20)), "ZOR-1", date(2017, 4, 20),
                          reason="narrative too short")
    project.submit_report(stamp("manager", date(2017, 4, 25)), "ZOR-1", date(2017, 4, 25),
                          values, narrative="first stage, with the workshops")
    project.approve_report(stamp("auditor", date(2017, 5, 2)), "ZOR-1", date(2017, 5, 2))
    project.grant_access(stamp("admin", date(2017, 8, 1), subject="ops#admin"), SUBJECT,
                         "accountant", "Jana Nováková")
    project.revoke_access(stamp("manager", date(2017, 9, 1), subject=SUBJECT.replace(
        "jana.novakova", "eva")), SUBJECT, reason="left the team")
    project.complete_activity(stamp("manager", date(2017, 9, 2)), "1", date(2017, 9, 2),
                              note="all workshops held")
    _expense(project, 5, "TRAVEL", "1200.00", date(2017, 9, 4), None)
    return project


def stored_rows(application: LedgerApplication) -> dict[str, Any]:
    """The history's events, and a snapshot of the project after them, as stored rows."""
    project = project_with_history()
    events = [application.mapper.to_stored_event(e) for e in project.collect_events()]
    assert application.snapshots is not None
    snapshot = application.snapshots.mapper.to_stored_event(GrantProject.Snapshot.take(project))
    return {"events": [_row(s) for s in events], "snapshot": _row(snapshot)}


def _row(stored: StoredEvent) -> dict[str, Any]:
    return {"originator_id": str(stored.originator_id),
            "originator_version": stored.originator_version, "topic": stored.topic,
            "state": stored.state.decode("utf-8")}


def stored_event(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(originator_id=UUID(row["originator_id"]),
                       originator_version=row["originator_version"], topic=row["topic"],
                       state=row["state"].encode("utf-8"))


def in_memory_application() -> LedgerApplication:
    return LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


if __name__ == "__main__":
    rows = stored_rows(in_memory_application())
    json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")

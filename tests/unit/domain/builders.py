"""Builders for the domain tests: the NEK reference project of DOMAIN.md and what happens to it.

The split of NEK's budget into lines, its stages, sub-activities, milestone dates and every
expense here are illustrative (DOMAIN.md: not published); the registration number, title,
period, total and subsidy are NEK's published figures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from domain.errors import GrantLedgerError
from domain.project import GrantProject
from domain.records import Stamp

NEK_NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0002300"
NEK_TITLE = (
    "Development and strengthening of international cooperation of NEK in the field of "
    "intelligent technologies and energy systems"
)
START = date(2016, 4, 1)
END = date(2018, 3, 31)
RECORDING_DAY = date(2017, 10, 16)

SUPPLIER = {"name": "Expo Services s.r.o.", "ico": "25123456", "country": "CZ"}
FRAUNHOFER = {"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"}
INVOICE_SHA256 = "a3" * 32

CLAIM = "ZoP-1"


# ---- who records, and when ----------------------------------------------------------------


def stamp(role: str, name: str, on: date = RECORDING_DAY) -> Stamp:
    """A command recorded at 09:00 UTC on `on`, which is also "today" in Prague."""
    return Stamp(at=datetime.combine(on, time(9, 0), tzinfo=UTC), name=name, role=role,
                 today=on)


def manager(on: date = RECORDING_DAY) -> Stamp:
    return stamp("manager", "eva", on)


def accountant(on: date = RECORDING_DAY) -> Stamp:
    return stamp("accountant", "jana", on)


def auditor(on: date = RECORDING_DAY) -> Stamp:
    return stamp("auditor", "petr", on)


# ---- registration ---------------------------------------------------------------------------


def nek_lines() -> list[dict[str, Any]]:
    """DOMAIN.md's illustrative split of NEK's 7,776,200 CZK."""
    return [
        {"code": "PERSONNEL", "name": "Personnel costs", "amount": Decimal("2400000.00")},
        {"code": "EXTERNAL_SERVICES", "name": "Services of advisers, experts, studies",
         "amount": Decimal("2276200.00")},
        {"code": "TRAVEL", "name": "Travel", "amount": Decimal("900000.00")},
        {"code": "MARKETING_PROMOTION", "name": "Marketing and promotion",
         "amount": Decimal("800000.00")},
        {"code": "SEMINARS_CONFERENCES", "name": "Seminars and conferences",
         "amount": Decimal("1200000.00")},
        {"code": "RENT", "name": "Rent", "amount": Decimal("200000.00")},
    ]


def nek_activities() -> list[dict[str, Any]]:
    """NEK's five activities, two of them with (illustrative) sub-activities."""
    return [
        {"code": "1", "title": "External R&D&I cooperation",
         "planned_start": START, "planned_end": END},
        {"code": "1.1", "parent": "1", "title": "Support centre for R&D&I cooperation",
         "planned_start": START, "planned_end": date(2016, 12, 31)},
        {"code": "1.2", "parent": "1", "title": "Workshops, matchmaking and conferences",
         "planned_start": date(2016, 9, 1), "planned_end": END},
        {"code": "2", "title": "Cooperation with Fraunhofer",
         "planned_start": date(2016, 6, 1), "planned_end": date(2017, 12, 31)},
        {"code": "3", "title": "Promotion of NEK abroad",
         "planned_start": START, "planned_end": END},
        {"code": "3.4", "parent": "3", "title": "Obtaining the ECEI Bronze Label",
         "planned_start": date(2017, 1, 1), "planned_end": date(2017, 9, 30)},
        {"code": "4", "title": "Involvement in international cluster networks",
         "planned_start": START, "planned_end": END},
        {"code": "5", "title": "Coordinated approach to foreign markets",
         "planned_start": date(2016, 10, 1), "planned_end": END},
    ]


def nek_milestones() -> list[dict[str, Any]]:
    return [
        {"code": "ECEI_BRONZE", "title": "ECEI Bronze Label obtained", "due": date(2017, 9, 30),
         "activity": "3.4"},
    ]


def nek_stages() -> list[dict[str, Any]]:
    return [
        {"code": "1", "start": START, "end": date(2017, 3, 31)},
        {"code": "2", "start": date(2017, 4, 1), "end": END},
    ]


def nek_registration(**overrides: Any) -> dict[str, Any]:
    """The keyword arguments of `GrantProject.register` for NEK (optional fields left out,
    except the two illustrative stages)."""
    registration: dict[str, Any] = {
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
        "support_rate": Decimal("0.50"),
        "max_subsidy": Decimal("3888100.00"),
        "budget_lines": nek_lines(),
        "activities": nek_activities(),
        "milestones": nek_milestones(),
        "stages": nek_stages(),
    }
    registration.update(overrides)
    return registration


def registered_nek_project(**overrides: Any) -> GrantProject:
    """NEK just registered; its registration event is still pending."""
    return GrantProject.register(manager(on=date(2016, 3, 21)), **nek_registration(**overrides))


def not_vat_payer() -> dict[str, Any]:
    return {"name": "Národní energetický klastr, z.s.", "ico": "01234567", "vat_payer": False}


# ---- expenses -------------------------------------------------------------------------------


def expense_id(n: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"https://grantledger.test/expenses/{n}")


E1, E2, E3 = expense_id(1), expense_id(2), expense_id(3)


def invoice(**overrides: Any) -> dict[str, Any]:
    """The keyword arguments of `record_expense` for a paid travel invoice of 100,000 + VAT."""
    fields: dict[str, Any] = {
        "expense_id": E1,
        "supplier": dict(SUPPLIER),
        "document_number": "FV-2016-0042",
        "document_type": "invoice",
        "description": "Workshop trip to Fraunhofer ISE, Freiburg",
        "budget_line": "TRAVEL",
        "activity": "2",
        "tax_point_date": date(2016, 6, 15),
        "amount_net": Decimal("100000.00"),
        "vat": Decimal("21000.00"),
        "eligible_amount": None,
        "paid_on": date(2016, 6, 30),
        "attachments": [{"kind": "invoice", "file_name": "FV-2016-0042.pdf",
                         "sha256": INVOICE_SHA256}],
    }
    fields.update(overrides)
    return fields


def payroll(**overrides: Any) -> dict[str, Any]:
    """The keyword arguments of `record_expense` for April 2016's paid payroll: 33,333.33."""
    fields = invoice(
        expense_id=E2, supplier={"name": "Národní energetický klastr, z.s.", "ico": "01234567",
                                 "country": "CZ"},
        document_number="MZDY-2016-04", document_type="payroll",
        description="Cluster manager, April 2016", budget_line="PERSONNEL", activity="1.1",
        tax_point_date=date(2016, 4, 30), amount_net=Decimal("33333.33"), vat=Decimal("0.00"),
        paid_on=date(2016, 5, 10), attachments=[],
    )
    fields.update(overrides)
    return fields


def nek_project_with_expense(**overrides: Any) -> GrantProject:
    """NEK with one recorded expense: `invoice(**overrides)`."""
    project = registered_nek_project()
    project.record_expense(accountant(), **invoice(**overrides))
    return project


def nek_project_with_reversed_expense() -> GrantProject:
    project = nek_project_with_expense()
    project.reverse_expense(accountant(), expense_id=E1, reason="recorded on the wrong project")
    return project


# ---- payment claims -------------------------------------------------------------------------


def nek_project_with_claimable_expenses(**registration: Any) -> GrantProject:
    """NEK with two paid, time-eligible expenses: E1 100,000.00 and E2 33,333.33."""
    project = registered_nek_project(**registration)
    project.record_expense(accountant(), **invoice())
    project.record_expense(accountant(), **payroll())
    return project


def nek_project_with_submitted_claim(**registration: Any) -> GrantProject:
    """…and claim ZoP-1 for stage 1 declaring both: 133,333.33 eligible, 66,666 requested."""
    project = nek_project_with_claimable_expenses(**registration)
    project.submit_claim(manager(), claim_number=CLAIM, stage="1",
                         submitted_on=date(2017, 4, 20), final=False, expense_ids=[E1, E2])
    return project


def nek_project_with_approved_claim(**registration: Any) -> GrantProject:
    """…and ZoP-1 approved without exclusions: 66,666.00 of subsidy."""
    project = nek_project_with_submitted_claim(**registration)
    project.approve_claim(auditor(), claim_number=CLAIM, approved_on=date(2017, 6, 15),
                          exclusions=[])
    return project


def nek_project_with_paid_subsidy() -> GrantProject:
    """…and the 66,666.00 of ZoP-1 paid out."""
    project = nek_project_with_approved_claim()
    project.pay_subsidy(auditor(), claim_number=CLAIM, amount=Decimal("66666.00"),
                        paid_on=date(2017, 7, 3))
    return project


# ---- looking at the aggregate ---------------------------------------------------------------


def state(project: GrantProject) -> dict[str, Any]:
    """Everything the aggregate knows, without the events it has not yet handed over."""
    return {k: v for k, v in vars(project).items() if k != "_pending_events"}


def snapshot(project: GrantProject) -> tuple[int, int, dict[str, Any]]:
    """Version, number of pending events and state: what a refused command must not change."""
    return project.version, len(project.pending_events), state(copy.deepcopy(project))


def first_event(project: GrantProject) -> Any:
    return project.pending_events[0]


def last_event(project: GrantProject) -> Any:
    return project.pending_events[-1]


@contextmanager
def refused(project: GrantProject,
            error_class: type[GrantLedgerError]) -> Iterator[pytest.ExceptionInfo[Any]]:
    """Expects the command in the block to be refused with exactly `error_class`, and the
    project to have recorded nothing: no new pending event, same version, same state."""
    before = snapshot(project)
    with pytest.raises(error_class) as refusal:
        yield refusal
    assert type(refusal.value) is error_class
    assert snapshot(project) == before, "the refused command changed the project"


# ---- indicators and reports -----------------------------------------------------------------


def nek_indicators() -> list[dict[str, Any]]:
    """Two illustrative indicators (NEK's targets are not published)."""
    return [
        {"code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
         "baseline": Decimal("0"), "target": Decimal("5"), "kind": "to_achieve"},
        {"code": "PROPOSALS", "name": "Joint R&D&I project proposals", "unit": "proposals",
         "baseline": Decimal("0"), "target": Decimal("2"), "kind": "to_select"},
    ]


def indicator_values(partners: str = "2", proposals: str = "0") -> list[dict[str, Any]]:
    """A report's values of NEK's two indicators, each with its comment."""
    return [
        {"code": "PARTNERS", "value": Decimal(partners),
         "comment": "Fraunhofer ISE and two Bavarian clusters"},
        {"code": "PROPOSALS", "value": Decimal(proposals),
         "comment": "none submitted yet; two in preparation"},
    ]


ZOR_1_ENDS = date(2017, 3, 31)
"""Stage 1's last day: ZOR-1 covers 2016-04-01 – 2017-03-31 and is due 60 days later."""
ZOR_1_DUE = date(2017, 5, 30)


def nek_project_with_indicators(**overrides: Any) -> GrantProject:
    """NEK with its two indicators and the default report schedule."""
    return registered_nek_project(indicators=nek_indicators(), **overrides)


def nek_project_with_submitted_report(on: date = date(2017, 4, 20)) -> GrantProject:
    """…and ZOR-1 submitted on `on` (20 April 2017 by default)."""
    project = nek_project_with_indicators()
    project.submit_report(manager(on), "ZOR-1", on, indicator_values())
    return project


def nek_project_with_returned_report() -> GrantProject:
    """…and ZOR-1 returned on 2 May 2017."""
    project = nek_project_with_submitted_report()
    project.return_report(auditor(date(2017, 5, 2)), "ZOR-1", date(2017, 5, 2),
                          reason="the comment on proposals does not name them")
    return project

"""Builders for the projection tests: drive the real GrantProject aggregate, number its events.

The NEK project uses the illustrative budget split of DOMAIN.md (the real split is not
published). Every command is stamped one minute after the previous one, from 2018-06-01 08:00
UTC, unless a test gives the moment it was recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.project import GrantProject
from domain.records import Stamp
from projections import LedgerState, fold

NEK_NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0002300"
START, END = date(2016, 4, 1), date(2018, 3, 31)

NEK_LINES = [
    ("PERSONNEL", "Personnel costs", "2400000.00"),
    ("EXTERNAL_SERVICES", "Services of advisers, experts, studies", "2276200.00"),
    ("TRAVEL", "Travel", "900000.00"),
    ("MARKETING_PROMOTION", "Marketing and promotion", "800000.00"),
    ("SEMINARS_CONFERENCES", "Seminars and conferences", "1200000.00"),
    ("RENT", "Rent", "200000.00"),
]
NEK_ACTIVITIES = [
    {"code": "3", "title": "Promoting NEK abroad", "planned_start": START, "planned_end": END},
    {
        "code": "3.4",
        "parent": "3",
        "title": "Obtaining the ECEI Bronze Label",
        "planned_start": date(2017, 1, 1),
        "planned_end": date(2017, 9, 30),
    },
]
NEK_MILESTONES = [
    {
        "code": "ECEI_BRONZE",
        "title": "ECEI Bronze Label obtained",
        "due": date(2017, 9, 30),
        "activity": "3.4",
    },
]
NEK_STAGES = [
    {"code": "1", "start": START, "end": date(2017, 3, 31)},
    {"code": "2", "start": date(2017, 4, 1), "end": END},
]


def at(day: date, hour: int = 9) -> datetime:
    """A recording moment on that day (UTC)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class ProjectBuilder:
    """A registered project, commands as one-liners, and its events as numbered pairs."""

    def __init__(
        self,
        *,
        lines: list[tuple[str, str, str]] | None = None,
        max_subsidy: str = "3888100.00",
        support_rate: str = "0.50",
        registered_at: datetime | None = None,
        **registration: Any,
    ) -> None:
        self.clock = datetime(2018, 6, 1, 8, tzinfo=UTC)
        self.events: list[GrantProject.Event] = []
        self._documents = 0
        fields: dict[str, Any] = {
            "registration_number": NEK_NUMBER,
            "acronym": "OPEIC",
            "title": "Development and strengthening of international cooperation of NEK",
            "beneficiary": {
                "name": "Národní energetický klastr, z.s.",
                "ico": "01234567",
                "vat_payer": True,
            },
            "programme": "OP PIK",
            "call": "Spolupráce – Klastry, výzva I",
            "provider": "MPO",
            "realisation_start": START,
            "realisation_end": END,
            "currency": "CZK",
            "support_rate": Decimal(support_rate),
            "max_subsidy": Decimal(max_subsidy),
            "budget_lines": [
                {"code": c, "name": n, "amount": Decimal(a)} for c, n, a in (lines or NEK_LINES)
            ],
            "activities": NEK_ACTIVITIES,
            "milestones": NEK_MILESTONES,
            "stages": NEK_STAGES,
        }
        fields.update(registration)
        self.project = GrantProject.register(self.stamp(registered_at, "manager"), **fields)

    def stamp(self, when: datetime | None = None, role: str = "manager") -> Stamp:
        if when is None:
            self.clock += timedelta(minutes=1)
            when = self.clock
        return Stamp(at=when, name=f"{role}-jana", role=role, today=when.date())

    def stamp_by(self, day: date, role: str = "manager") -> Stamp:
        """The next stamp, the clock first moved on to `day` if it is behind it (a report
        cannot be dated after the day it is recorded)."""
        if self.clock.date() < day:
            self.clock = at(day, 8)
        return self.stamp(None, role)

    # ---- results ----------------------------------------------------------------------

    def pairs(self) -> list[tuple[int, GrantProject.Event]]:
        """Every event so far, numbered 1..n as its position."""
        for event in self.project.collect_events():
            assert isinstance(event, GrantProject.Event)
            self.events.append(event)
        return list(enumerate(self.events, start=1))

    def state(self) -> LedgerState:
        return fold(self.pairs())

    # ---- commands -------------------------------------------------------------------

    def expense(
        self,
        line: str,
        amount: str,
        *,
        tax_point: date = date(2016, 6, 15),
        paid_on: date | None = date(2016, 6, 30),
        when: datetime | None = None,
        activity: str | None = "3",
        vat: str = "0.00",
        document_number: str | None = None,
    ) -> UUID:
        expense_id = uuid4()
        self._documents += 1
        self.project.record_expense(
            self.stamp(when, "accountant"),
            expense_id=expense_id,
            supplier={"name": "Fraunhofer-Gesellschaft", "ico": None, "country": "DE"},
            document_number=document_number or f"FV-{self._documents:04d}",
            budget_line=line,
            activity=activity,
            amount_net=Decimal(amount),
            vat=Decimal(vat),
            eligible_amount=Decimal(amount),
            document_type="invoice",
            description=f"Invoice {self._documents}",
            tax_point_date=tax_point,
            paid_on=paid_on,
            attachments=[],
        )
        return expense_id

    def pay(self, expense_id: UUID, paid_on: date, when: datetime | None = None) -> None:
        self.project.pay_expense(self.stamp(when, "accountant"), expense_id, paid_on)

    def correct(
        self, expense_id: UUID, reason: str = "typo in the invoice", **changes: Any
    ) -> None:
        self.project.correct_expense(self.stamp(None, "accountant"), expense_id, changes, reason)

    def reverse(self, expense_id: UUID, reason: str = "recorded twice") -> None:
        self.project.reverse_expense(self.stamp(None, "accountant"), expense_id, reason)

    def start(self, activity: str, started_on: date) -> None:
        self.project.start_activity(self.stamp(), activity, started_on)

    def complete(self, activity: str, completed_on: date) -> None:
        self.project.complete_activity(self.stamp(), activity, completed_on)

    def achieve(self, milestone: str, achieved_on: date) -> None:
        self.project.achieve_milestone(
            self.stamp(), milestone, achieved_on, evidence="ESCA certificate"
        )

    def change_budget(
        self, *transfers: tuple[str, str, str], kind: str = "approved", change_id: str = "BC-1"
    ) -> None:
        self.project.change_budget(
            self.stamp(),
            change_id,
            kind,
            [{"from_line": f, "to_line": t, "amount": Decimal(a)} for f, t, a in transfers],
            reference="MPO letter 2017/123",
            reason="travel costs higher than planned",
        )

    def change_end(self, new_end: date) -> None:
        self.project.change_realisation_end(self.stamp(), new_end, reference="change 2")

    def submit(
        self,
        number: str,
        *expense_ids: UUID,
        final: bool = False,
        stage: str = "1",
        submitted_on: date = date(2017, 4, 20),
    ) -> None:
        self.project.submit_claim(
            self.stamp(), number, stage, submitted_on, final, list(expense_ids)
        )

    def approve(
        self, number: str, *exclusions: tuple[UUID, str], approved_on: date = date(2017, 6, 1)
    ) -> None:
        self.project.approve_claim(
            self.stamp(None, "auditor"),
            number,
            approved_on,
            [
                {"expense_id": e, "amount": Decimal(a), "reason": "not related to the project"}
                for e, a in exclusions
            ],
        )

    def pay_subsidy(self, number: str, amount: str, paid_on: date = date(2017, 7, 1)) -> None:
        self.project.pay_subsidy(self.stamp(None, "auditor"), number, Decimal(amount), paid_on)

    def submit_report(
        self,
        code: str,
        submitted_on: date,
        *values: tuple[str, str],
        when: datetime | None = None,
        narrative: str | None = None,
    ) -> None:
        """Submits a report with (indicator code, value) pairs, each with a comment."""
        self.project.submit_report(
            self.stamp(when) if when else self.stamp_by(submitted_on),
            code,
            submitted_on,
            [{"code": c, "value": Decimal(v), "comment": f"{c} as counted"} for c, v in values],
            narrative,
        )

    def approve_report(self, code: str, decided_on: date) -> None:
        self.project.approve_report(self.stamp_by(decided_on, "auditor"), code, decided_on)

    def return_report(self, code: str, decided_on: date, reason: str = "incomplete") -> None:
        self.project.return_report(self.stamp_by(decided_on, "auditor"), code, decided_on, reason)

    def impose_correction(
        self, amount: str, *expense_ids: UUID, correction_id: str = "FC-1"
    ) -> None:
        self.project.impose_correction(
            self.stamp(None, "auditor"),
            correction_id,
            "public procurement breach",
            list(expense_ids),
            Decimal(amount),
            date(2018, 1, 10),
            "tender not published",
        )


def nek_worked_example(
    builder: ProjectBuilder | None = None,
) -> tuple[ProjectBuilder, dict[str, UUID]]:
    """DOMAIN.md's worked example: the six lines' expenses plus one EXTERNAL_SERVICES invoice
    of 30,000 with tax point date 2016-03-15. Returns the builder and the expense ids by line
    code, the early invoice's as "EARLY"."""
    b = builder or ProjectBuilder()
    ids = {
        code: b.expense(code, amount)
        for code, amount in [
            ("PERSONNEL", "2380000.00"),
            ("EXTERNAL_SERVICES", "2276200.00"),
            ("TRAVEL", "950000.00"),
            ("MARKETING_PROMOTION", "790000.00"),
            ("SEMINARS_CONFERENCES", "1200000.00"),
            ("RENT", "150000.00"),
        ]
    }
    ids["EARLY"] = b.expense("EXTERNAL_SERVICES", "30000.00", tax_point=date(2016, 3, 15))
    return b, ids


def line(view: dict[str, Any], code: str) -> dict[str, Any]:
    """One line row of a budget view."""
    return next(row for row in view["lines"] if row["code"] == code)


def rules(view: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in view["flags"]]


def D(text: str) -> Decimal:
    return Decimal(text)

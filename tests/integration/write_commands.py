"""The command the write-path tests send: an expense of 100 CZK on TRAVEL, by an accountant;
and how much the writer's counters moved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from domain.commands import RecordExpense
from service.metrics import DECIDED_AGAIN, WRITES_IN_TURN
from service.principals import Actor

ACCOUNTANT = Actor.static("eva", "accountant")


def expense(project_id: UUID, document: str) -> RecordExpense:
    return RecordExpense(
        project_id=project_id, expense_id=uuid4(), document_number=document,
        document_type="invoice", supplier={"name": "S", "ico": "12345678", "country": "CZ"},
        description="d", budget_line="TRAVEL", tax_point_date=date(2016, 6, 1),
        amount_net=Decimal("100.00"), vat=Decimal("21.00"))


def writes_counted() -> Callable[[], tuple[float, float]]:
    """From now on: writes decided again, writes in turn."""
    counters = (DECIDED_AGAIN, WRITES_IN_TURN)
    start = [counter._value.get() for counter in counters]
    return lambda: (counters[0]._value.get() - start[0], counters[1]._value.get() - start[1])

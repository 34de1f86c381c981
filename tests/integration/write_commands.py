"""The command the write-path tests send: an expense of 100 CZK on TRAVEL, by an accountant."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from domain.commands import RecordExpense
from service.principals import Actor

ACCOUNTANT = Actor.static("eva", "accountant")


def expense(project_id: UUID, document: str) -> RecordExpense:
    return RecordExpense(
        project_id=project_id, expense_id=uuid4(), document_number=document,
        document_type="invoice", supplier={"name": "S", "ico": "12345678", "country": "CZ"},
        description="d", budget_line="TRAVEL", tax_point_date=date(2016, 6, 1),
        amount_net=Decimal("100.00"), vat=Decimal("21.00"))

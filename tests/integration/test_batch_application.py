"""A batch of commands to one project: decided in order against one state, saved in one
transaction, all or nothing; a dry run saves nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from support import make_settings

from domain.commands import RecordExpense, RegisterProject
from domain.errors import DoubleFinancingError, UnknownReferenceError
from service.application import BatchRefusedError, LedgerApplication
from service.bootstrap import open_ledger
from service.demo import NEK_REGISTRATION
from service.principals import Actor

ACCOUNTANT = Actor.static("eva", "accountant")


@pytest.fixture
def ledger(tmp_path: Path) -> LedgerApplication:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    return open_ledger(make_settings(url))


def nek(ledger: LedgerApplication) -> UUID:
    manager = Actor.static("m", "manager")
    return ledger.register(RegisterProject(NEK_REGISTRATION), manager).project.id


def expense(project_id: UUID, n: int, line: str = "TRAVEL", document: str | None = None
            ) -> RecordExpense:
    return RecordExpense(
        project_id=project_id, expense_id=uuid5(project_id, str(n)),
        document_number=document or f"FV-{n}", document_type="invoice",
        supplier={"name": "S", "ico": "12345678", "country": "CZ"}, description="d",
        budget_line=line, tax_point_date=date(2016, 6, 1), amount_net=Decimal("100.00"),
        vat=Decimal("21.00"))


def test_a_batch_is_saved_in_order_with_each_commands_position(ledger: LedgerApplication
                                                                ) -> None:
    project_id = nek(ledger)
    before = ledger.recorder.max_notification_id()

    outcome = ledger.handle_batch([expense(project_id, n) for n in range(3)], ACCOUNTANT)

    assert [o.positions for o in outcome.outcomes] == [(before + 1,), (before + 2,),
                                                        (before + 3,)]
    assert outcome.project.version == 4


def test_a_refused_command_names_every_refusal_and_records_nothing(ledger: LedgerApplication
                                                                   ) -> None:
    project_id = nek(ledger)
    head = ledger.recorder.max_notification_id()
    batch = [expense(project_id, 0), expense(project_id, 1, line="NO_SUCH_LINE"),
             expense(project_id, 2), expense(project_id, 3, document="FV-0")]

    with pytest.raises(BatchRefusedError) as refused:
        ledger.handle_batch(batch, ACCOUNTANT)

    assert {i: type(e) for i, e in refused.value.refusals.items()} == {
        1: UnknownReferenceError, 3: DoubleFinancingError}
    assert ledger.recorder.max_notification_id() == head
    assert ledger.handle(expense(project_id, 0), ACCOUNTANT).project.version == 2


def test_a_dry_run_decides_everything_and_saves_nothing(ledger: LedgerApplication) -> None:
    project_id = nek(ledger)
    head = ledger.recorder.max_notification_id()

    outcome = ledger.handle_batch([expense(project_id, n) for n in range(2)], ACCOUNTANT,
                                  dry_run=True)

    assert outcome.project.version == 3
    assert [o.positions for o in outcome.outcomes] == [(), ()]
    assert ledger.recorder.max_notification_id() == head

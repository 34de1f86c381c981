"""A batch's answer is rendered without its schema's dump (service.web.api.expense_batch):
byte for byte what BatchRecordedSchema dumps, as stored for its Idempotency-Key."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from uuid import UUID

import pytest

from schemas import BatchRecordedSchema
from service.web.api.expense_batch import _answer
from service.web.idempotency import dumps

IDS = [UUID(int=7), UUID("9b2f0c1e-4a5d-4e6f-8a7b-1c2d3e4f5a6b")]
DAYS = [date(2015, 1, 1), date(2017, 6, 15)]


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_answer_is_the_schemas_dump_byte_for_byte(dry_run: bool) -> None:
    commands = [SimpleNamespace(expense_id=i, tax_point_date=d)
                for i, d in zip(IDS, DAYS, strict=True)]
    project = SimpleNamespace(is_time_eligible=lambda day: day >= date(2016, 4, 1))
    results = [SimpleNamespace(positions=() if dry_run else (41 + n,)) for n in range(2)]
    outcome = SimpleNamespace(project=project, outcomes=results)

    status, body, location = _answer(commands, outcome, dry_run)  # type: ignore[arg-type]

    positions = [None, None] if dry_run else [41, 42]
    expected = dumps(BatchRecordedSchema(), {
        "expenses": [{"expense_id": IDS[n], "position": positions[n],
                      "time_eligible": n == 1} for n in range(2)],
        "position": positions[-1], "dry_run": dry_run})
    assert (status, body, location) == (200 if dry_run else 201, expected, None)
    assert body.startswith('{"dry_run":')

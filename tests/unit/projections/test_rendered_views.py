"""What the projector stores: the five views, rendered together, as each view gives it alone."""

from __future__ import annotations

from datetime import date

import pytest
from projection_builders import D, ProjectBuilder, at, nek_worked_example

from projections.materialise import VIEWS, rendered


@pytest.mark.parametrize("on", [date(2016, 12, 31), date(2018, 3, 1), date(2018, 9, 1)])
def test_rendering_together_gives_each_view_as_alone(on: date) -> None:
    builder, ids = nek_worked_example(ProjectBuilder(indicators=[{
        "code": "PARTNERS", "name": "Foreign partners cooperating", "unit": "partners",
        "baseline": D("0"), "target": D("5"), "kind": "to_achieve"}]))
    builder.submit_report("ZOR-1", date(2017, 5, 2), ("PARTNERS", "2"))
    builder.expense("TRAVEL", "1.00", paid_on=None, when=at(date(2017, 1, 2)))  # unpaid
    builder.expense("TRAVEL", "900000.00", when=at(date(2017, 1, 3)))  # the line overruns
    builder.submit("1", ids["PERSONNEL"])
    state = builder.state()

    together = rendered(state, on)

    assert together == {name: view(state, on) for name, view in VIEWS.items()}
    assert list(together) == ["budget", "subsidy", "schedule", "indicators", "portfolio"]
    assert together["budget"]["flags"]

"""What the projector stores: the four views, rendered together, as each view gives it alone."""

from __future__ import annotations

from datetime import date

import pytest
from projection_builders import at, nek_worked_example

from projections.materialise import VIEWS, rendered


@pytest.mark.parametrize("on", [date(2016, 12, 31), date(2018, 3, 1), date(2018, 9, 1)])
def test_rendering_together_gives_each_view_as_alone(on: date) -> None:
    builder, ids = nek_worked_example()
    builder.expense("TRAVEL", "1.00", paid_on=None, when=at(date(2017, 1, 2)))  # unpaid
    builder.expense("TRAVEL", "900000.00", when=at(date(2017, 1, 3)))  # the line overruns
    builder.submit("1", ids["PERSONNEL"])
    state = builder.state()

    together = rendered(state, on)

    assert together == {name: view(state, on) for name, view in VIEWS.items()}
    assert list(together) == list(VIEWS)
    assert together["budget"]["flags"]

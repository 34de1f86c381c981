"""A project's expense figures kept as its events are folded, so that rendering its views costs
O(lines) rather than a pass over every expense (a project of 10,000 expenses took three).

Each active expense contributes to its line's `recorded`, and to `ineligible` or `paid`
(DOMAIN.md, the budget view); an event that changes an expense takes its old contribution
away and adds the new one. The claims add what they claimed and what was approved. Beside
the sums: the expenses the budget's flags name — those outside the eligibility window and
those still unpaid (in the order they were recorded, which is the order of their age).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.money import ZERO


@dataclass(frozen=True)
class Contribution:
    """What an active expense adds to its line's figures."""

    line: str
    amount: Decimal
    in_window: bool
    paid: bool


@dataclass
class LineSums:
    recorded: Decimal = ZERO
    ineligible: Decimal = ZERO
    paid: Decimal = ZERO
    claimed: Decimal = ZERO
    approved: Decimal = ZERO

    def count(self, part: Contribution, sign: int) -> None:
        amount = part.amount * sign
        self.recorded += amount
        if not part.in_window:
            self.ineligible += amount
        elif part.paid:
            self.paid += amount


@dataclass
class RunningFigures:
    lines: dict[str, LineSums] = field(default_factory=dict)
    outside_window: dict[str, None] = field(default_factory=dict)
    """The active expenses whose tax point date lies outside the eligibility window."""
    unpaid: dict[str, None] = field(default_factory=dict)
    """The active expenses not paid yet, in the order they were recorded."""
    revision: int = field(default=0, compare=False, repr=False)
    """Counts the changes to what an expense counts on its line, other than its recording."""
    crossings: dict[str, tuple[Decimal, int, tuple[str, int]]] = field(
        default_factory=dict, compare=False, repr=False)
    """Of each overrun line: the ceiling and revision it was found at, and the expense whose
    recording crossed that ceiling (with its position). Recording more expenses leaves it
    where it is, so a project's views need not pass over every expense again to name it."""

    def change(self, expense_id: str, old: Contribution | None,
               new: Contribution | None) -> None:
        """An expense's contribution changed from `old` to `new` (None: it counts as zero)."""
        if old is not None:
            if new is None or (old.line, old.amount, old.in_window) != (
                    new.line, new.amount, new.in_window):
                self.revision += 1
            self.lines[old.line].count(old, -1)
        if new is not None:
            self.lines[new.line].count(new, +1)
        _keep(self.outside_window, expense_id, new is not None and not new.in_window)
        # An expense is unpaid from its recording until it is paid or reversed, so that this
        # order stays the order of recording.
        _keep(self.unpaid, expense_id, new is not None and not new.paid)

    def __getstate__(self) -> dict[str, Any]:
        """A checkpoint holds no crossings: they are found again after it is loaded."""
        state = dict(vars(self))
        del state["revision"], state["crossings"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state, revision=0, crossings={})


def _keep(members: dict[str, None], key: str, member: bool) -> None:
    if member:
        members.setdefault(key, None)
    else:
        members.pop(key, None)

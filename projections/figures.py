"""The budget figures of each line, shared by the budget, subsidy, schedule and portfolio views.

One definition of every figure (DOMAIN.md, "The views"):

- planned: registered amount after budget changes;
- recorded: Σ eligible amount of active expenses on the line, as corrected;
- ineligible: the part of recorded whose tax point date lies outside the eligibility window;
- eligible: recorded − ineligible;
- overrun: max(0, eligible − ceiling), the ceiling being planned × (1 + tolerance) rounded down
  to the haléř (a limit is never exceeded by rounding);
- eligible_capped: eligible − overrun;
- paid: Σ eligible amount of active, time-eligible expenses that are paid;
- claimed: Σ eligible amount, as at submission, of the line's expenses in submitted claims,
  an expense reversed since counting as zero (DOMAIN.md: in every view);
- approved: Σ over approved claims of the line's active expenses at approval, less exclusions;
- remaining: planned − eligible_capped; utilisation: eligible_capped / planned (4 places).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from domain.money import HALER, ZERO, ratio, subsidy_for
from projections.ledger import ClaimItem, ClaimState, LedgerState

FIGURES = (
    "planned",
    "recorded",
    "ineligible",
    "eligible",
    "overrun",
    "eligible_capped",
    "paid",
    "claimed",
    "approved",
    "remaining",
)


@dataclass(frozen=True)
class LineFigures:
    code: str
    name: str
    planned: Decimal
    ceiling: Decimal
    recorded: Decimal
    ineligible: Decimal
    eligible: Decimal
    overrun: Decimal
    eligible_capped: Decimal
    paid: Decimal
    claimed: Decimal
    approved: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.eligible_capped

    @property
    def utilisation(self) -> Decimal:
        return ratio(self.eligible_capped, self.planned)


def line_ceiling(planned: Decimal, tolerance: Decimal) -> Decimal:
    """What a line may draw: planned × (1 + tolerance), rounded down to the haléř."""
    return (planned * (1 + tolerance)).quantize(HALER, rounding=ROUND_DOWN)


def line_figures(state: LedgerState) -> list[LineFigures]:
    """Every line's figures, in registration order, from the sums the fold keeps
    (projections.running): O(lines), whatever the number of expenses."""
    tolerance = state.project.line_transfer_tolerance
    result = []
    for code, line in state.lines.items():
        s = state.figures.lines[code]
        eligible = s.recorded - s.ineligible
        ceiling = line_ceiling(line.planned, tolerance)
        overrun = max(ZERO, eligible - ceiling)
        result.append(
            LineFigures(
                code=code,
                name=line.name,
                planned=line.planned,
                ceiling=ceiling,
                recorded=s.recorded,
                ineligible=s.ineligible,
                eligible=eligible,
                overrun=overrun,
                eligible_capped=eligible - overrun,
                paid=s.paid,
                claimed=s.claimed,
                approved=s.approved,
            )
        )
    return result


def total(lines: Iterable[LineFigures], figure: str) -> Decimal:
    values: list[Decimal] = [getattr(line, figure) for line in lines]
    return sum(values, ZERO)


def eligible_total(lines: Iterable[LineFigures]) -> Decimal:
    """Σ eligible_capped over the lines: what the subsidy is computed on."""
    return sum((line.eligible_capped for line in lines), ZERO)


def budget_drawn(lines: list[LineFigures]) -> Decimal:
    """Total eligible_capped / total planned, 4 places."""
    return ratio(eligible_total(lines), sum((line.planned for line in lines), ZERO))


def uncapped_subsidy(state: LedgerState, eligible: Decimal) -> Decimal:
    """floor(rate × eligible), before the maximum subsidy."""
    return subsidy_for(state.project.support_rate, eligible)


def entitlement(state: LedgerState, eligible: Decimal) -> Decimal:
    """min(floor(rate × eligible), max subsidy)."""
    return min(uncapped_subsidy(state, eligible), state.project.max_subsidy)


def active_items(state: LedgerState, items: Iterable[ClaimItem]) -> Iterator[ClaimItem]:
    """The items of a claim whose expense is not reversed (now): a reversed one counts as zero."""
    return (item for item in items if not state.expenses[item.expense_id].reversed)


def requested_subsidy(state: LedgerState, claim: ClaimState) -> Decimal:
    """What a claim requests, its expenses reversed since submission counted as zero:
    floor(rate × the rest as declared), never above what the submission requested (the
    maximum subsidy left then capped it)."""
    declared = sum((item.eligible_amount for item in active_items(state, claim.submitted_items)),
                   ZERO)
    return min(uncapped_subsidy(state, declared), claim.requested_subsidy)

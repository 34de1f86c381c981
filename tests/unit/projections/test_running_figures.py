"""The running figures the fold keeps (projections.running) equal the budget rules of DOMAIN.md
recomputed from every expense, after any history: recorded, paid, corrected (amount, line,
tax point date), reversed (before or after a claim), the realisation end moved, claims
submitted and approved with exclusions."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from projection_builders import NEK_LINES, ProjectBuilder

from domain.errors import GrantLedgerError
from domain.money import ZERO
from projections import LedgerState, fold
from projections.budget import UNPAID_AFTER_DAYS, budget_view
from projections.figures import line_figures

LINES = [code for code, _, _ in NEK_LINES]


def recomputed(state: LedgerState) -> dict[str, dict[str, Decimal]]:
    """DOMAIN.md's budget rules, straight from the expenses and the claims."""
    project = state.project
    sums = {code: dict.fromkeys(("recorded", "ineligible", "paid", "claimed", "approved"), ZERO)
            for code in state.lines}
    for e in state.expenses.values():
        if e.reversed:
            continue
        sums[e.budget_line]["recorded"] += e.eligible_amount
        if not project.is_time_eligible(e.tax_point_date):
            sums[e.budget_line]["ineligible"] += e.eligible_amount
        elif e.paid_on is not None:
            sums[e.budget_line]["paid"] += e.eligible_amount
    for claim in state.claims.values():
        for item in claim.submitted_items:
            if not state.expenses[item.expense_id].reversed:
                sums[item.budget_line]["claimed"] += item.eligible_amount
        line_of = {item.expense_id: item.budget_line for item in claim.approved_items}
        for item in claim.approved_items:
            sums[item.budget_line]["approved"] += item.eligible_amount
        for exclusion in claim.exclusions:
            sums[line_of[exclusion.expense_id]]["approved"] -= exclusion.amount
    return sums


def random_history(seed: int, lines: list[tuple[str, str, str]] | None = None,
                   after_each: Callable[[ProjectBuilder], None] = lambda b: None
                   ) -> ProjectBuilder:
    """Sixty commands drawn at random; the ones the domain refuses are skipped. `after_each`
    sees the builder after every command recorded."""
    rng = random.Random(seed)
    b = ProjectBuilder(lines=lines, max_subsidy="100000.00") if lines else ProjectBuilder()
    codes = [code for code, _, _ in lines] if lines else LINES
    expenses: list[UUID] = []
    claims = 0

    def day() -> date:
        return date(2016, 3, 1) + timedelta(days=rng.randrange(800))

    for _ in range(60):
        action = rng.choice(["record"] * 4 + ["pay", "correct", "reverse", "end", "claim"]
                            + (["budget"] if lines else []))
        try:
            if action == "record" or not expenses:
                amount = f"{rng.randrange(1, 90000)}.{rng.randrange(100):02d}"
                expenses.append(b.expense(rng.choice(codes), amount, tax_point=day(),
                                          paid_on=rng.choice([None, day()])))
            elif action == "pay":
                b.pay(rng.choice(expenses), day())
            elif action == "correct":
                change = rng.choice([{"budget_line": rng.choice(codes)},
                                     {"amount_net": Decimal(rng.randrange(1, 90000)),
                                      "eligible_amount": Decimal(rng.randrange(1, 50))},
                                     {"tax_point_date": day()}])
                b.correct(rng.choice(expenses), **change)
            elif action == "reverse":
                b.reverse(rng.choice(expenses))
            elif action == "budget":
                giver, taker = rng.sample(codes, 2)
                b.change_budget((giver, taker, f"{rng.randrange(1, 40000)}.00"),
                                change_id=f"BC-{len(b.events)}")
            elif action == "end":
                b.change_end(date(2018, 3, 31) + timedelta(days=rng.randrange(-300, 300)))
            else:
                claims += 1
                chosen = rng.sample(expenses, min(3, len(expenses)))
                b.submit(f"Z-{claims}", *chosen, stage=rng.choice(["1", "2"]))
                if rng.random() < 0.5:
                    b.approve(f"Z-{claims}", (chosen[0], "1.00"))
        except GrantLedgerError:
            continue
        after_each(b)
    return b


@pytest.mark.parametrize("seed", range(40))
def test_the_running_line_figures_equal_the_rules_over_every_expense(seed: int) -> None:
    state = random_history(seed).state()

    running = {f.code: {name: getattr(f, name) for name in
                        ("recorded", "ineligible", "paid", "claimed", "approved")}
               for f in line_figures(state)}

    assert running == recomputed(state)


@pytest.mark.parametrize("seed", range(40))
def test_the_flagged_expenses_are_those_the_rules_name(seed: int) -> None:
    state = random_history(seed).state()
    on = date(2026, 11, 29)

    flags = budget_view(state, on)["flags"]

    project = state.project
    active = [e for e in state.expenses.values() if not e.reversed]
    outside = [e.expense_id for e in active if not project.is_time_eligible(e.tax_point_date)]
    unpaid = [e.expense_id for e in active if e.paid_on is None
              and (on - e.recorded_at.date()).days > UNPAID_AFTER_DAYS]
    assert [f["refs"][0]["id"] for f in flags if f["rule"] == "EXPENSE_OUTSIDE_PERIOD"] == outside
    assert [f["refs"][0]["id"] for f in flags if f["rule"] == "EXPENSE_UNPAID"] == unpaid


@pytest.mark.parametrize("seed", range(40))
def test_the_overrun_flags_kept_as_events_fold_equal_those_of_a_fresh_fold(seed: int) -> None:
    """The expense that crossed an overrun line's ceiling is found once and kept while only
    more expenses are recorded; a correction, reversal, moved end or budget change that alters
    what the expenses count finds it again."""
    live, on = LedgerState(), date(2026, 11, 29)
    seen: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []

    def compare(builder: ProjectBuilder) -> None:
        pairs = builder.pairs()
        for position, event in pairs[live.version:]:
            live.apply(position, event)
        seen.append((budget_view(live, on)["flags"], budget_view(fold(pairs), on)["flags"]))

    random_history(seed, [("A", "Line A", "150000.00"), ("B", "Line B", "300000.00")], compare)

    assert [kept for kept, _ in seen] == [fresh for _, fresh in seen]
    assert any(flag["rule"] == "LINE_OVERRUN" for flags, _ in seen for flag in flags)

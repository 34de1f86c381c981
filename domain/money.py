"""Exact money: CZK with two places, subsidies floored to whole crowns."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

ZERO = Decimal("0.00")
HALER = Decimal("0.01")
CROWN = Decimal("1")
RATIO_PLACES = Decimal("0.0001")


def money(value: Decimal | int | str) -> Decimal:
    """The amount with exactly two places; refuses sub-haléř precision instead of rounding."""
    amount = Decimal(value)
    exact = amount.quantize(HALER, rounding=ROUND_DOWN)
    if exact != amount:
        raise ValueError(f"{value} has more than two decimal places")
    return exact


def floor_crowns(amount: Decimal) -> Decimal:
    """Rounds a subsidy down to whole crowns, written with two places."""
    return amount.quantize(CROWN, rounding=ROUND_FLOOR).quantize(HALER)


def subsidy_for(rate: Decimal, eligible: Decimal) -> Decimal:
    """The subsidy a rate pays on an eligible amount: floor(rate × eligible)."""
    return floor_crowns(rate * eligible)


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole with four places; zero when there is no whole."""
    if whole == 0:
        return Decimal("0.0000")
    return (part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)

"""Checks of a command's values that several topics share."""

from __future__ import annotations

from decimal import Decimal

from domain import errors
from domain.money import money


def money_field(value: Decimal, field: str) -> Decimal:
    """`value` as an amount with two places, or a 422 naming `field`."""
    try:
        return money(value)
    except (ValueError, ArithmeticError):
        raise errors.InvalidCommandError(field, f"{value} is not an amount with two places") \
            from None


def positive_money_field(value: Decimal, field: str) -> Decimal:
    """`value` as an amount with two places greater than zero."""
    amount = money_field(value, field)
    if amount <= 0:
        raise errors.InvalidCommandError(field, "must be greater than zero")
    return amount


def require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise errors.InvalidCommandError("reason", "a reason is required")

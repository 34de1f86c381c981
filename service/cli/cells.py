"""Cells of an accountant's spreadsheet read exactly: amounts as Czech and English write them,
dates as `31.12.2016`, `31. 12. 2016` or `2016-12-31`.

An amount never passes through a binary float when it is text. A number cell of a workbook
does arrive as a float (openpyxl reads Excel's doubles): it is taken by its shortest repr, the
decimal Excel shows, and refused unless that is a whole number of haléře.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from service.cli.speech import gettext

CENTS = Decimal("0.01")
SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
CURRENCY = re.compile(r"(?i)^(?:czk)?(.*?)(?:,-)?(?:kč|czk)?$")
DIGITS_AND_SEPARATORS = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
CZECH_DATE = re.compile(r"([0-9]{1,2})\.\s*([0-9]{1,2})\.\s*([0-9]{4})")


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says how to write it."""


def amount(value: Any, decimal: str | None = None) -> Decimal:
    """An amount in CZK with at most two decimal places. `decimal` is the file's decimal
    separator, where its other amounts show it: there `1,234` (with a decimal comma) or
    `1.234` (with a decimal point) could be a thousand or a slip, and is refused."""
    if isinstance(value, bool):
        raise CellError(gettext("{value} is not an amount").format(value=value))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        number = _written_amount(str(value), decimal)
    if not number.is_finite() or number != number.quantize(CENTS):
        raise CellError(gettext("{value} is not a whole number of haléře: round it to two "
                                "decimal places in the sheet").format(value=_shown(value)))
    return number.quantize(CENTS)


def _written_amount(text: str, decimal: str | None = None) -> Decimal:
    """`1 234,50`, `1234,50`, `1234.50`, `1,234.50` or `1.234,50` (spaces of any kind)."""
    cleaned = SPACES.sub("", text).replace("\u2212", "-")
    cleaned = CURRENCY.fullmatch(cleaned).group(1)  # type: ignore[union-attr]  # matches all
    sign, digits = ("-", cleaned[1:]) if cleaned.startswith("-") else ("", cleaned)
    if not DIGITS_AND_SEPARATORS.fullmatch(digits):
        raise CellError(gettext("{text!r} is not an amount: write it as 1 234,50 or 1234.50")
                        .format(text=text))
    whole, fraction = _split_decimal(digits, text, decimal)
    try:
        return Decimal(f"{sign}{whole}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        raise CellError(gettext("{value} is not an amount").format(value=repr(text))) from None


def _split_decimal(digits: str, text: str, decimal: str | None) -> tuple[str, str]:
    """The whole part without its grouping, and the decimal places. With both `,` and `.` the
    last is the decimal separator. With one of them, it groups thousands when it appears more
    than once or is followed by exactly three digits after one to three (`1,234`, `12.500`:
    an amount has at most two decimal places), unless it is the file's decimal separator
    once (ambiguous: refused); otherwise it is the decimal separator."""
    separators = [c for c in digits if c in ".,"]
    if not separators:
        return digits, ""
    if len(set(separators)) == 2:
        decimal = separators[-1]
        if separators.count(decimal) > 1:
            raise CellError(gettext("{text!r} is not an amount: {separator!r} appears more than "
                                    "once").format(text=text, separator=decimal))
        head, _, tail = digits.rpartition(decimal)
        return _ungrouped(head, ".,".replace(decimal, ""), text), tail
    separator = separators[0]
    if len(separators) == 1 and separator == decimal and _grouped(separator).fullmatch(digits):
        whole, _, tail = digits.partition(separator)
        example = f"{whole}{separator}{tail[:2]}" if separator == "," else f"{whole}.{tail[:2]}"
        raise CellError(gettext(
            "{text!r} is ambiguous: the file's amounts use {separator!r} as the decimal "
            "separator, so is it {thousands} or a slip for {slip}? Write {written} (or "
            "{spaced}) for the thousands").format(
                text=text, separator=separator, thousands=f"{whole}{tail}", slip=example,
                written=f"{whole}{tail}{separator}00", spaced=f"{whole} {tail}"))
    if len(separators) > 1 or _grouped(separator).fullmatch(digits):
        return _ungrouped(digits, separator, text), ""
    head, _, tail = digits.partition(separator)
    return head, tail


def _grouped(separator: str) -> re.Pattern[str]:
    return re.compile(rf"[1-9][0-9]{{0,2}}(?:{re.escape(separator)}[0-9]{{3}})+")


def _ungrouped(digits: str, separator: str, text: str) -> str:
    if not _grouped(separator).fullmatch(digits):
        raise CellError(gettext("{text!r} is not an amount: its thousands are not grouped by "
                                "three").format(text=text))
    return digits.replace(separator, "")


def decimal_separator(texts: list[str]) -> str | None:
    """The decimal separator amounts written as text show unambiguously (`1 234,50`,
    `1.234,50`, `12,5`: a comma; `1234.50`, `1,234.50`: a point), if they agree on one."""
    found = set()
    for written in texts:
        digits = SPACES.sub("", written).lstrip("-")
        separators = [c for c in digits if c in ".,"]
        if len(set(separators)) == 2:
            found.add(separators[-1])
        elif len(separators) == 1 and not _grouped(separators[0]).fullmatch(digits):
            found.add(separators[0])
    return found.pop() if len(found) == 1 else None


def day(value: Any) -> date:
    """A date: a date cell, or text as `31.12.2016`, `31. 12. 2016` or `2016-12-31`."""
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise CellError(gettext("{value} has a time of day: give the date alone")
                            .format(value=value))
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal):
        raise CellError(gettext("{value} is a number, not a date: format the cell as a date "
                                "or write 31.12.2016").format(value=_shown(value)))
    text = str(value).strip()
    iso, czech = ISO_DATE.fullmatch(text), CZECH_DATE.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if czech:
            return date(int(czech[3]), int(czech[2]), int(czech[1]))
    except ValueError:
        raise CellError(gettext("{text!r} is not a day of the calendar").format(text=text)) \
            from None
    raise CellError(gettext("{text!r} is not a date: write it as 31.12.2016 or 2016-12-31")
                    .format(text=text))


def text(value: Any) -> str:
    """A cell as text; a whole number from a workbook without its `.0`, a date in ISO form."""
    if isinstance(value, float):
        number = Decimal(repr(value))
        return str(int(number)) if number == number.to_integral_value() else format(number, "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, float | str) else str(value)

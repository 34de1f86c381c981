"""Figures and dates as a Czech or an English reader writes them, from the API's strings.

Money arrives as a decimal string with two places and is formatted from its Decimal, never
through a float: `1 234 567,89 Kč` in Czech, `CZK 1,234,567.89` in English (British, for
`31 Mar 2018`), always with two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, parse_pattern

PRAGUE = ZoneInfo("Europe/Prague")
# The locales whose formats the pages use, by the language the reader chose (parsed once:
# parsing a locale or a pattern per figure was most of a page's rendering time).
FORMAT_LOCALES = {"cs": Locale.parse("cs_CZ"), "en": Locale.parse("en_GB")}
MONEY_PATTERNS = {"cs": parse_pattern("#,##0.00\u00a0¤"), "en": parse_pattern("¤\u00a0#,##0.00")}
PERCENT_PATTERNS = {"cs": parse_pattern("#,##0.0\u00a0%"), "en": parse_pattern("#,##0.0%")}
# Formatted figures and dates, kept: a page shows a hundred, and its next view the same ones.
CACHED = 8192


def decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None


@lru_cache(maxsize=CACHED)
def money(value: str | None, language: str, currency: str = "CZK") -> str:
    amount = decimal(value)
    if amount is None:
        return "—"
    return str(MONEY_PATTERNS[language].apply(amount, FORMAT_LOCALES[language],
                                              currency=currency, currency_digits=False))


def number(value: str | None, language: str) -> str:
    """An indicator's value or target as given (its own places)."""
    amount = decimal(value)
    return "—" if amount is None else format_decimal(amount, locale=FORMAT_LOCALES[language],
                                                     decimal_quantization=False)


@lru_cache(maxsize=CACHED)
def percent(ratio: str | None, language: str) -> str:
    amount = decimal(ratio)
    if amount is None:
        return "—"
    return str(PERCENT_PATTERNS[language].apply(amount, FORMAT_LOCALES[language]))


@lru_cache(maxsize=CACHED)
def day(value: str | date | None, language: str) -> str:
    """`31. 3. 2018` / `31 Mar 2018`."""
    if value is None:
        return "—"
    when = date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(when, "medium", locale=FORMAT_LOCALES[language])


def moment(value: str | datetime | None, language: str) -> str:
    """A moment in Prague's time: the date as `day` writes it, and the time to the second."""
    if value is None:
        return "—"
    when = parse_moment(value) if isinstance(value, str) else value
    local = when.astimezone(PRAGUE)
    clock = format_time(local, "HH:mm:ss", locale=FORMAT_LOCALES[language])
    return f"{day(local.date(), language)} {clock}"


def parse_moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))

"""Figures, dates and moments as the pages write them, and what `as_of` and `on` mean."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from service.web.pages.formats import day, moment, money, percent
from service.web.pages.time_travel import time_travel

NBSP = "\u00a0"


@pytest.mark.parametrize(("amount", "czech", "english"), [
    ("1234567.89", "1 234 567,89 Kč", "CZK 1,234,567.89"),
    ("0.00", "0,00 Kč", "CZK 0.00"),
    ("-20000.00", "-20 000,00 Kč", "-CZK 20,000.00"),
    ("99999999999999999.99", "99 999 999 999 999 999,99 Kč", "CZK 99,999,999,999,999,999.99"),
    ("0.01", "0,01 Kč", "CZK 0.01"),
])
def test_money_is_the_apis_decimal_written_as_czech_and_english_readers_write_it(
        amount: str, czech: str, english: str) -> None:
    assert money(amount, "cs").replace(NBSP, " ") == czech
    assert money(amount, "en").replace(NBSP, " ") == english


def test_a_missing_amount_is_a_dash() -> None:
    assert (money(None, "cs"), percent(None, "en"), day(None, "cs")) == ("—", "—", "—")


def test_ratios_are_percentages_to_a_tenth() -> None:
    assert (percent("0.6674", "cs").replace(NBSP, " "), percent("0.6674", "en"),
            percent("1.4000", "en")) == ("66,7 %", "66.7%", "140.0%")


def test_dates_and_moments_in_czech_and_english() -> None:
    assert (day("2018-03-31", "cs"), day("2018-03-31", "en")) == ("31. 3. 2018", "31 Mar 2018")
    assert moment("2018-03-31T12:00:05Z", "cs") == "31. 3. 2018 14:00:05"  # Prague, summer
    assert moment("2018-01-31T12:00:05Z", "en") == "31 Jan 2018 13:00:05"  # Prague, winter


@pytest.mark.parametrize(("given", "api"), [
    ({"as_of": "2018-03-31"}, "2018-03-31T21:59:59.999999Z"),  # the end of the day, CEST
    ({"as_of": "2018-01-31"}, "2018-01-31T22:59:59.999999Z"),  # the end of the day, CET
    ({"as_of": "2018-03-31", "at": "14:30"}, "2018-03-31T12:30:00Z"),
    ({"as_of": "2018-03-31T10:00:00+01:00"}, "2018-03-31T09:00:00Z"),
    ({"as_of": "2018-03-31T10:00:00Z"}, "2018-03-31T10:00:00Z"),
])
def test_as_of_a_date_is_the_end_of_that_day_in_prague(given: dict[str, str],
                                                       api: str) -> None:
    assert time_travel(MultiDict(given)).api_query == {"as_of": api}


def test_on_goes_to_the_api_as_given_and_both_carry_on_from_page_to_page() -> None:
    travel = time_travel(MultiDict({"as_of": "2018-03-31", "on": "2018-01-01", "at": ""}))

    assert travel.api_query == {"as_of": "2018-03-31T21:59:59.999999Z", "on": "2018-01-01"}
    assert travel.page_query == {"as_of": "2018-03-31", "on": "2018-01-01"}
    assert travel.as_of == datetime(2018, 3, 31, 21, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize("given", [{"as_of": "yesterday"}, {"on": "31.3.2018"},
                                   {"as_of": "2018-02-30"}, {"as_of": "2018-03-31", "at": "2pm"}])
def test_what_is_no_moment_or_date_is_refused_saying_how_to_write_it(
        given: dict[str, str]) -> None:
    with pytest.raises(BadRequest, match=r"YYYY-MM-DD|HH:MM"):
        time_travel(MultiDict(given))

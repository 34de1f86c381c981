"""The API's field types: exact money and rates, strict dates, UTC moments, non-blank text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from schemas.fields import (
    Code,
    Day,
    Moment,
    Money,
    Rate,
    Ratio,
    Sha256,
    StrictBoolean,
    StrictInteger,
    Text,
)

DIGEST = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"


class Probe(Schema):
    money = Money()
    rate = Rate()
    ratio = Ratio()
    digest = Sha256()
    day = Day()
    moment = Moment()
    code = Code()
    note = Text(allow_none=True)
    flag = StrictBoolean()
    count = StrictInteger()


def load(field: str, value: Any) -> Any:
    return Probe().load({field: value})[field]


def error(field: str, value: Any) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        Probe().load({field: value})
    return raised.value.messages[field]  # type: ignore[index,call-overload,no-any-return]


def dump(field: str, value: Any) -> Any:
    return Probe(only=[field]).dump({field: value})[field]


# ---- money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "loaded"),
    [
        ("100000.00", Decimal("100000.00")),
        ("12.5", Decimal("12.50")),
        ("7", Decimal("7.00")),
        (7776200, Decimal("7776200.00")),
        ("-50.00", Decimal("-50.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_money_loads_to_a_decimal_with_exactly_two_places(sent: Any, loaded: Decimal) -> None:
    value = load("money", sent)

    assert (value, value.as_tuple().exponent) == (loaded, -2)


def test_money_sent_as_a_json_float_is_refused_with_a_hint_to_send_a_string() -> None:
    assert error("money", 12.5) == [
        'Send amounts as a decimal string such as "100000.00": a JSON number with a fraction '
        "is a binary floating-point number, which is inexact."
    ]


def test_money_with_three_decimal_places_is_refused() -> None:
    assert error("money", "12.345") == ["Has more than 2 decimal places."]


@pytest.mark.parametrize("sent", ["1e3", "1E3", "NaN", "Infinity", "-Infinity", "", "12,50",
                                  "abc", ".5", "5.", "+5", "0x10", True, None, [], {}])
def test_money_that_is_not_a_plain_decimal_is_refused(sent: Any) -> None:
    assert error("money", sent)


def test_money_above_the_largest_amount_is_refused() -> None:
    assert error("money", "1000000000000.00") == ["Must not exceed 999999999999.99 in magnitude."]


def test_money_dumps_as_a_string_with_two_places() -> None:
    assert [dump("money", v) for v in (Decimal("7776200"), Decimal("12.5"), 3, None)] == [
        "7776200.00", "12.50", "3.00", None,
    ]


def test_money_refuses_to_dump_a_float() -> None:
    with pytest.raises(TypeError):
        dump("money", 12.5)


# ---- rates and ratios -------------------------------------------------------------------


def test_rate_loads_as_written_and_dumps_as_a_string() -> None:
    rate = load("rate", "0.50")

    assert (rate, dump("rate", rate)) == (Decimal("0.50"), "0.50")


def test_rate_with_more_than_four_places_or_as_a_float_is_refused() -> None:
    assert (error("rate", "0.12345"), error("rate", 0.5)[0][:30]) == (
        ["Has more than 4 decimal places."], 'Send rates as a decimal string',
    )


def test_ratio_dumps_with_four_places_and_is_never_loaded() -> None:
    assert (dump("ratio", Decimal("0.5")), dump("ratio", Decimal("0.99996"))) == (
        "0.5000", "1.0000",
    )
    assert Probe().fields["ratio"].dump_only


# ---- digests, dates, moments ------------------------------------------------------------


def test_sha256_loads_lowercased() -> None:
    assert load("digest", DIGEST) == DIGEST.lower()


@pytest.mark.parametrize("sent", [DIGEST[:-1], DIGEST + "0", "g" * 64])
def test_sha256_that_is_not_64_hex_characters_is_refused(sent: str) -> None:
    assert error("digest", sent) == ["Not a SHA-256 digest: 64 hex characters."]


def test_day_loads_an_iso_date_and_dumps_it_back() -> None:
    assert (load("day", "2016-04-01"), dump("day", date(2016, 4, 1))) == (
        date(2016, 4, 1), "2016-04-01",
    )


@pytest.mark.parametrize("sent", ["20160401", "2016-W13-5", "2016-02-30", "01.04.2016", 20160401])
def test_day_in_any_other_form_is_refused(sent: Any) -> None:
    assert error("day", sent) == [
        "Not a valid date: write a day that exists as YYYY-MM-DD, e.g. 2016-06-15."]


@pytest.mark.parametrize(
    ("sent", "loaded"),
    [
        ("2018-03-31T12:00:00Z", datetime(2018, 3, 31, 12, tzinfo=UTC)),
        ("2018-03-31T14:00:00+02:00", datetime(2018, 3, 31, 12, tzinfo=UTC)),
        ("2018-03-31T12:00:00", datetime(2018, 3, 31, 12, tzinfo=UTC)),
        ("2018-03-31T12:00:00.5Z", datetime(2018, 3, 31, 12, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_moment_loads_in_utc_reading_one_without_offset_as_utc(sent: str,
                                                                 loaded: datetime) -> None:
    moment = load("moment", sent)

    assert (moment, moment.utcoffset()) == (loaded, timedelta(0))


@pytest.mark.parametrize(
    "sent", ["2018-03-31", "yesterday", "2018-03-31T12:00:00+0200", 1522497600]
)
def test_moment_that_is_not_rfc_3339_is_refused(sent: Any) -> None:
    assert error("moment", sent) == [
        "Not a valid moment: write it as YYYY-MM-DDThh:mm:ss with Z or an offset, "
        "e.g. 2018-03-01T09:30:00Z or 2018-03-01T10:30:00+01:00."]


def test_moment_dumps_in_utc_with_a_z() -> None:
    prague_summer = timezone(timedelta(hours=2))

    assert [dump("moment", m) for m in (
        datetime(2018, 3, 31, 14, 0, tzinfo=prague_summer),
        datetime(2018, 3, 31, 12, 0, 0, 250000, tzinfo=UTC),
    )] == ["2018-03-31T12:00:00Z", "2018-03-31T12:00:00.250000Z"]


# ---- text, booleans, integers -----------------------------------------------------------


def test_text_is_stripped() -> None:
    assert load("code", "  TRAVEL ") == "TRAVEL"


def test_blank_text_is_refused_unless_nullable_where_it_reads_as_null() -> None:
    assert (error("code", "   "), load("note", "  ")) == (["Must not be blank."], None)


def test_code_longer_than_64_characters_is_refused() -> None:
    assert error("code", "X" * 65) == ["Longer than 64 characters."]


@pytest.mark.parametrize("sent", [1, 0, "true", "yes", None])
def test_boolean_must_be_json_true_or_false(sent: Any) -> None:
    assert error("flag", sent)


@pytest.mark.parametrize("sent", [True, "60", 60.0])
def test_integer_must_be_a_json_integer(sent: Any) -> None:
    assert error("count", sent)

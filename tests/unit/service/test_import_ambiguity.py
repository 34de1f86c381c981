"""The importer asks instead of guessing: an amount that reads two ways in its file is refused,
and a dry run warns of tax points outside the eligibility window and of IČO check digits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.cli import cells
from service.cli.importer import ico_check_digit_holds, row_warnings, rows
from service.cli.speech import speaking


@pytest.mark.parametrize(("texts", "expected"), [
    (["1 234,50", "1,234"], ","),
    (["1.234,50"], ","),
    (["12,5"], ","),
    (["1,234.50", "1.234"], "."),
    (["1234.50"], "."),
    (["1,234", "12.500"], None),  # each could be a thousand: no sign either way
    (["1234,50", "1234.50"], None),  # disagreeing
])
def test_the_files_decimal_separator_is_what_its_unambiguous_amounts_show(
        texts: list[str], expected: str | None) -> None:
    assert cells.decimal_separator(texts) == expected


def test_1_234_in_a_decimal_comma_file_is_refused_as_ambiguous() -> None:
    with pytest.raises(cells.CellError) as refused:
        cells.amount("1,234", ",")

    assert str(refused.value) == (
        "'1,234' is ambiguous: the file's amounts use ',' as the decimal separator, so is it "
        "1234 or a slip for 1,23? Write 1234,00 (or 1 234) for the thousands")


@pytest.mark.parametrize(("text", "decimal", "expected"), [
    ("1,234", ".", "1234.00"),  # English grouping in an English file
    ("1.234", ",", "1234.00"),  # Czech grouping by points in a Czech file
    ("12.500", ",", "12500.00"),
    ("1 234,50", ",", "1234.50"),
    ("1,234", None, "1234.00"),  # a file that shows no decimal separator: read as before
])
def test_grouping_that_is_not_the_files_decimal_separator_still_reads(
        text: str, decimal: str | None, expected: str) -> None:
    assert cells.amount(text, decimal) == Decimal(expected)


def test_1_234_point_in_a_decimal_point_file_is_refused_too() -> None:
    with pytest.raises(cells.CellError, match="ambiguous"):
        cells.amount("1.234", ".")


@pytest.mark.parametrize(("ico", "holds"), [
    ("46900896", True), ("25732404", True), ("27386929", True), ("00000001", True),
    ("01234567", False), ("12345678", False), ("4690089", False), ("4690089X", False),
])
def test_the_ico_check_digit(ico: str, holds: bool) -> None:
    assert ico_check_digit_holds(ico) is holds


def body(tax_point: str, ico: str | None, country: str | None = "CZ") -> dict[str, object]:
    return {"tax_point_date": tax_point, "supplier": {"name": "S", "ico": ico,
                                                      "country": country}}


WINDOW = (date(2016, 4, 1), date(2018, 3, 31))


def test_a_row_warns_of_its_tax_point_outside_the_window_and_a_wrong_check_digit() -> None:
    assert row_warnings(body("2016-03-15", "12345678"), WINDOW) == [
        ("tax_point_date", "15.03.2016 is before the eligibility window 01.04.2016 – "
                           "31.03.2018: the expense will be recorded but count as ineligible"),
        ("supplier.ico", "12345678 is not a valid IČO (its check digit is wrong): check it "
                         "against the business register (ARES)")]
    assert row_warnings(body("2018-04-01", None), WINDOW)[0][1].startswith(
        "01.04.2018 is after the eligibility window")


def test_a_row_within_the_window_with_a_valid_or_foreign_number_warns_of_nothing() -> None:
    assert row_warnings(body("2016-04-01", "46900896"), WINDOW) == []
    assert row_warnings(body("2018-03-31", "DE123456789", "DE"), WINDOW) == []
    assert row_warnings(None, WINDOW) == []


def test_counts_in_proper_plurals() -> None:
    english = [rows(n) for n in (0, 1, 2, 5, 1500)]
    with speaking("cs"):
        czech = [rows(n) for n in (0, 1, 2, 4, 5, 1500)]

    assert english == ["0 rows", "1 row", "2 rows", "5 rows", "1,500 rows"]
    assert czech == ["0 řádků", "1 řádek", "2 řádky", "4 řádky", "5 řádků", "1\u00a0500 řádků"]

"""Cells of an accountant's spreadsheet read exactly, and a sheet's headings matched to the
import's columns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from service.cli import cells
from service.cli.expense_rows import LayoutError, expense_rows, layout
from service.cli.sheet_files import SheetFile, UnreadableFileError, read_sheet


@pytest.mark.parametrize(("written", "expected"), [
    ("1 234,50", "1234.50"), ("1234,50", "1234.50"), ("1234.50", "1234.50"),
    ("1,234.50", "1234.50"), ("1.234,50", "1234.50"), ("1\u00a0234,50", "1234.50"),
    ("1\u202f234,5", "1234.50"), ("1 234 567,89", "1234567.89"), ("1,234", "1234.00"),
    ("12.500", "12500.00"), ("0,50", "0.50"), ("1 234,- Kč", "1234.00"), ("-12,30", "-12.30"),
    ("999 999 999 999,99", "999999999999.99"), (1234, "1234.00"), (1234.5, "1234.50"),
    (999999999999.99, "999999999999.99"),
])
def test_amounts_are_read_as_czech_and_english_write_them(written: object,
                                                          expected: str) -> None:
    assert cells.amount(written) == Decimal(expected)


@pytest.mark.parametrize(("written", "why"), [
    ("12,3,4", "not grouped by three"), ("1234,567", "not a whole number of haléře"),
    ("1.2345", "not a whole number of haléře"), ("abc", "is not an amount"),
    (0.1 + 0.2, "0.30000000000000004 is not a whole number of haléře"),
    (True, "is not an amount"),
])
def test_what_is_not_an_amount_of_haler_is_refused_with_the_reason(written: object,
                                                                   why: str) -> None:
    with pytest.raises(cells.CellError, match=why):
        cells.amount(written)


@pytest.mark.parametrize("written", ["31.12.2016", "31. 12. 2016", "2016-12-31",
                                     datetime(2016, 12, 31), date(2016, 12, 31)])
def test_dates_are_read_in_czech_and_iso_forms_and_from_date_cells(written: object) -> None:
    assert cells.day(written) == date(2016, 12, 31)


@pytest.mark.parametrize(("written", "why"), [
    ("31.02.2016", "not a day of the calendar"), ("12/31/2016", "write it as 31.12.2016"),
    (42735, "a number, not a date"), (datetime(2016, 12, 31, 9, 30), "a time of day"),
])
def test_what_is_not_a_date_is_refused_with_the_reason(written: object, why: str) -> None:
    with pytest.raises(cells.CellError, match=why):
        cells.day(written)


def test_a_whole_number_cell_reads_as_text_without_its_fraction() -> None:
    assert (cells.text(2016042.0), cells.text(" FV-1 ")) == ("2016042", "FV-1")


def test_a_csv_in_windows_1250_with_semicolons_is_detected() -> None:
    content = "Číslo dokladu;Částka bez DPH\r\nFV-1;\"1 234,50\"\r\n".encode("cp1250")

    sheet = read_sheet(Path("v.csv"), content)

    assert (sheet.encoding, sheet.delimiter, sheet.headings, sheet.rows) == (
        "cp1250", ";", ["Číslo dokladu", "Částka bez DPH"], [(2, ["FV-1", "1 234,50"])])


def test_empty_rows_are_skipped_and_the_others_keep_their_numbers() -> None:
    content = "\ufeffDocument number,Net amount\n\n,,\nFV-1,\"1,234.50\"\n,\nFV-2,5\n".encode()

    sheet = read_sheet(Path("v.csv"), content)

    assert (sheet.encoding, sheet.delimiter, [n for n, _ in sheet.rows]) == (
        "utf-8-sig", ",", [4, 6])


def test_a_file_that_is_no_spreadsheet_is_unreadable() -> None:
    with pytest.raises(UnreadableFileError, match="not an XLSX workbook"):
        read_sheet(Path("v.xlsx"), b"%PDF-1.4 not a workbook")


def test_headings_in_czech_english_or_without_diacritics_name_the_same_columns() -> None:
    sheet = SheetFile(["cislo dokladu", "Document type", "DODAVATEL", "Popis",
                       "budget_line", "DUZP", "Net amount", "ICO"], [])

    columns = layout(sheet)

    assert [c.field for c in columns.positions.values()] == [
        "document_number", "document_type", "supplier.name", "description", "budget_line",
        "tax_point_date", "amount_net", "supplier.ico"]


def test_unknown_columns_are_refused_by_name() -> None:
    sheet = SheetFile(["Číslo dokladu", "Poznámka", "Typ dokladu", "Středisko"], [])

    with pytest.raises(LayoutError, match="unknown columns 'Poznámka', 'Středisko'; "
                                          "the columns it reads are: Číslo dokladu, "):
        layout(sheet)


def test_a_file_without_a_column_every_row_needs_is_refused() -> None:
    sheet = SheetFile(["Číslo dokladu", "Typ dokladu", "Dodavatel", "Popis", "DUZP",
                       "Částka bez DPH"], [])

    with pytest.raises(LayoutError, match="no column 'Rozpočtová položka' \\(Budget line\\)"):
        layout(sheet)


HEADINGS = ["Číslo dokladu", "Typ dokladu", "Dodavatel", "IČO dodavatele", "Popis",
            "Rozpočtová položka", "DUZP", "Částka bez DPH", "DPH", "Datum úhrady"]


def test_a_row_becomes_a_batch_item_with_its_ico_given_back_its_leading_zeros() -> None:
    sheet = SheetFile(HEADINGS, [(2, ["FV-1", "Mzdy", "NEK", 1234567.0, "Červen",
                                      "PERSONNEL", datetime(2016, 6, 30), 540000.0, None,
                                      "12. 7. 2016"])])

    (row,) = expense_rows(sheet, layout(sheet))

    assert (row.number, row.errors, row.body) == (2, [], {
        "document_number": "FV-1", "document_type": "payroll", "description": "Červen",
        "budget_line": "PERSONNEL", "tax_point_date": "2016-06-30",
        "amount_net": "540000.00", "paid_on": "2016-07-12",
        "supplier": {"name": "NEK", "ico": "01234567"}})


def test_every_bad_cell_of_a_row_is_named_by_its_column() -> None:
    sheet = SheetFile(HEADINGS, [(7, ["", "účtenka", "NEK", None, "x", "TRAVEL", "31.2.2016",
                                      "12,3,4", "0", None])])

    (row,) = expense_rows(sheet, layout(sheet))

    assert row.body is None
    assert [column for column, _ in row.errors] == [
        "Číslo dokladu", "Typ dokladu", "DUZP", "Částka bez DPH"]
    assert row.errors[0] == ("Číslo dokladu", "is empty; every row needs it")

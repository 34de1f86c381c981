"""Tables as an XLSX workbook (XlsxWriter), byte for byte the same for the same tables.

XlsxWriter in memory dates every part of the zip 1980-01-01; the document's created and
modified moments are set to the ledger's last event, so two exports of one ledger state are
identical. Numbers are written as numbers (money in a CZK format, ratios as percentages), dates
as dates; text is never read as a formula or a link, whatever it starts with.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from service.sheets.csvfile import csv_cell
from service.sheets.tables import Cell, Kind, Table

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS: dict[str, str] = {
    "money": '#,##0.00 "Kč"',
    "ratio": "0.00%",
    "integer": "0",
    "number": "General",
    "text": "@",
}
DATE_FORMATS = {"cs": "d.m.yyyy", "en": "yyyy-mm-dd"}
MAX_WIDTH = 60
PREAMBLE_VALUES = 3  # the column of the preamble's values: its labels overflow the ones before


class WorkbookFile:
    """A workbook being written: add tables in the order their sheets should have, then
    `content()`."""

    def __init__(self, *, title: str, moment: datetime | None, lang: str = "en") -> None:
        self._buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self._buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        created = (moment or datetime(1980, 1, 1, tzinfo=UTC)).astimezone(UTC)
        self.book.set_properties({"title": title, "author": "Grantledger",
                                  "created": created.replace(tzinfo=None)})
        self.formats = {kind: self.book.add_format({"num_format": code})
                        for kind, code in NUMBER_FORMATS.items()}
        self.formats["date"] = self.book.add_format({"num_format": DATE_FORMATS[lang]})
        self.bold = {kind: self.book.add_format({"num_format": code, "bold": True})
                     for kind, code in {**NUMBER_FORMATS,
                                        "date": DATE_FORMATS[lang]}.items()}
        self.heading = self.book.add_format({"bold": True, "bottom": 1, "valign": "top"})
        self.heading_right = self.book.add_format({"bold": True, "bottom": 1, "valign": "top",
                                                   "align": "right"})

    def add(self, table: Table) -> Worksheet:
        """A sheet with the table: its preamble, a frozen heading row with a filter, the rows,
        and the totals in bold."""
        sheet = self.book.add_worksheet(table.name)
        row = self._preamble(sheet, table)
        first = row
        for column, spec in enumerate(table.columns):
            right = spec.kind in ("money", "ratio", "number", "integer", "date")
            sheet.write_string(row, column, spec.heading,
                               self.heading_right if right else self.heading)
        for values in table.rows:
            row += 1
            self._row(sheet, row, values, table, bold=False)
        if table.rows:
            sheet.autofilter(first, 0, row, len(table.columns) - 1)
        if table.totals is not None:
            row += 1
            self._row(sheet, row, table.totals, table, bold=True)
        sheet.freeze_panes(first + 1, 0)
        self._widths(sheet, table)
        self._print_setup(sheet, first)
        return sheet

    def content(self) -> bytes:
        self.book.close()
        return self._buffer.getvalue()

    def _preamble(self, sheet: Worksheet, table: Table) -> int:
        """Name–value lines above the table; returns the row of its headings."""
        column = min(PREAMBLE_VALUES, len(table.columns) - 1)
        for row, (label, cell) in enumerate(table.preamble):
            sheet.write_string(row, 0, label, self.bold["text"])
            self.write(sheet, row, column, cell.value, cell.kind)
        return len(table.preamble) + 1 if table.preamble else 0

    def _row(self, sheet: Worksheet, row: int, values: tuple[Any, ...], table: Table, *,
             bold: bool) -> None:
        for column, (value, spec) in enumerate(zip(values, table.columns, strict=True)):
            self.write(sheet, row, column, value, spec.kind, bold=bold)

    def write(self, sheet: Worksheet, row: int, column: int, value: Any, kind: Kind, *,
              bold: bool = False) -> None:
        """One cell, by what it holds: a number, a date, a truth value or text."""
        formats = self.bold if bold else self.formats
        if isinstance(value, Cell):
            value, kind = value.value, value.kind
        if value is None:
            sheet.write_blank(row, column, None, formats["text"] if bold else None)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value, formats["text"] if bold else None)
        elif isinstance(value, Decimal | int):
            number_kind = kind if kind in ("money", "ratio", "integer") else "number"
            # Excel keeps numbers as binary doubles; an amount of up to 15 digits reads back
            # exactly (Decimal(repr(float))).
            sheet.write_number(row, column, float(value), formats[number_kind])
        elif isinstance(value, date) and not isinstance(value, datetime):
            sheet.write_datetime(row, column, value, formats["date"])
        else:
            sheet.write_string(row, column, csv_cell(value, kind), formats["text"])

    @staticmethod
    def _widths(sheet: Worksheet, table: Table) -> None:
        """Each column as wide as its heading and its widest value as shown (of the first
        rows and the totals), at most `MAX_WIDTH` characters."""
        rows = [*table.rows[:200], *([table.totals] if table.totals else [])]
        for column, spec in enumerate(table.columns):
            longest = max([len(spec.heading) + 2, 8,
                           *(_shown_width(row[column], spec.kind) + 2 for row in rows)])
            sheet.set_column(column, column, min(longest, MAX_WIDTH))

    @staticmethod
    def _print_setup(sheet: Worksheet, heading_row: int) -> None:
        """Printed on A4 across, as wide as one page, the heading row on every page."""
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(heading_row)


def _shown_width(value: Any, kind: Kind) -> int:
    """About how many characters a cell takes as its format shows it."""
    if isinstance(value, Cell):
        return _shown_width(value.value, value.kind)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        if kind == "money":
            return len(f"{value:,.2f}") + 4
        if kind == "ratio":
            return len(f"{value * 100:.2f}") + 2
    return len(csv_cell(value, kind))


def workbook(tables: list[Table], *, title: str, moment: datetime | None,
             lang: str = "en") -> bytes:
    """The tables as a workbook, one sheet each, in the order given."""
    book = WorkbookFile(title=title, moment=moment, lang=lang)
    for table in tables:
        book.add(table)
    return book.content()

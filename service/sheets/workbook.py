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
        self.heading = self.book.add_format({"bold": True, "bottom": 1, "text_wrap": True,
                                             "valign": "top"})

    def add(self, table: Table) -> Worksheet:
        """A sheet with the table: its preamble, a frozen heading row with a filter, the rows,
        and the totals in bold."""
        sheet = self.book.add_worksheet(table.name)
        row = self._preamble(sheet, table)
        first = row
        for column, spec in enumerate(table.columns):
            sheet.write_string(row, column, spec.heading, self.heading)
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
        return sheet

    def content(self) -> bytes:
        self.book.close()
        return self._buffer.getvalue()

    def _preamble(self, sheet: Worksheet, table: Table) -> int:
        for row, (label, cell) in enumerate(table.preamble):
            sheet.write_string(row, 0, label, self.bold["text"])
            self.write(sheet, row, 1, cell.value, cell.kind)
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
        for column, spec in enumerate(table.columns):
            cells = [row[column] for row in table.rows[:200]]
            longest = max([len(spec.heading) // 2 + 1, 10,
                           *(len(csv_cell(c, spec.kind)) + 2 for c in cells)])
            sheet.set_column(column, column, min(longest, MAX_WIDTH))


def workbook(tables: list[Table], *, title: str, moment: datetime | None,
             lang: str = "en") -> bytes:
    """The tables as a workbook, one sheet each, in the order given."""
    book = WorkbookFile(title=title, moment=moment, lang=lang)
    for table in tables:
        book.add(table)
    return book.content()

"""Rows of an expense sheet as bodies of the batch endpoint, or the reasons they cannot be.

Columns are found by their headings (the import template's, in Czech or English, in any
order; see schemas.spreadsheets); a heading that names no column is refused by name, as is a
file without a column every row needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from schemas.spreadsheets import (
    DOCUMENT_TYPE_NAMES,
    IMPORT_COLUMNS,
    SheetColumn,
    document_type_code,
    normalised_heading,
)
from service.cli import cells
from service.cli.sheet_files import SheetFile
from service.cli.speech import gettext, ngettext

BY_NAME = {name: column for column in IMPORT_COLUMNS for name in column.names}
IMPORT_FIELDS = {column.field: column for column in IMPORT_COLUMNS}


class LayoutError(ValueError):
    """The headings are not those of an expense sheet; the message names what is wrong."""


@dataclass(frozen=True)
class Layout:
    """Which column of the file is which field, and the language its headings are in."""

    positions: dict[int, SheetColumn]
    written: dict[str, str]
    lang: str

    def heading(self, field_name: str) -> str:
        """The file's own heading of a field (the template's when the file lacks it)."""
        if field_name in self.written:
            return self.written[field_name]
        known = IMPORT_FIELDS.get(field_name)
        return known.heading(self.lang) if known else field_name


@dataclass
class ExpenseRow:
    """A row of the file: the expense body it makes, or what is wrong with it (column and
    message)."""

    number: int
    body: dict[str, Any] | None
    errors: list[tuple[str, str]] = field(default_factory=list)


def layout(sheet: SheetFile) -> Layout:
    positions: dict[int, SheetColumn] = {}
    unknown = []
    for position, heading in enumerate(sheet.headings):
        if not heading:
            if any(_holds(row, position) for _, row in sheet.rows):
                unknown.append(gettext("(column {letter}, no heading)").format(
                    letter=get_column_letter(position + 1)))
            continue
        column = BY_NAME.get(normalised_heading(heading))
        if column is None:
            unknown.append(repr(heading))
        elif column in positions.values():
            raise LayoutError(gettext("the column {heading!r} is there twice")
                              .format(heading=heading))
        else:
            positions[position] = column
    if unknown:
        raise LayoutError(ngettext(
            "unknown column {names}; the columns it reads are: {czech} (or in English: "
            "{english})",
            "unknown columns {names}; the columns it reads are: {czech} (or in English: "
            "{english})", len(unknown)).format(
                names=", ".join(unknown), czech=", ".join(c.cs for c in IMPORT_COLUMNS),
                english=", ".join(c.en for c in IMPORT_COLUMNS)))
    missing = [c for c in IMPORT_COLUMNS if c.required and c not in positions.values()]
    if missing:
        raise LayoutError(ngettext(
            "the file has no column {columns}; every row needs it",
            "the file has no column {columns}; every row needs it", len(missing)).format(
                columns=", ".join(f"{c.cs!r} ({c.en})" for c in missing)))
    return Layout(positions, {column.field: sheet.headings[position]
                              for position, column in positions.items()},
                  _language(sheet.headings))


def _holds(row: list[Any], position: int) -> bool:
    return position < len(row) and row[position] is not None and cells.text(row[position]) != ""


def _language(headings: list[str]) -> str:
    names = {normalised_heading(h) for h in headings}
    czech = sum(normalised_heading(c.cs) in names for c in IMPORT_COLUMNS)
    english = sum(normalised_heading(c.en) in names for c in IMPORT_COLUMNS)
    return "en" if english > czech else "cs"


def expense_rows(sheet: SheetFile, columns: Layout) -> list[ExpenseRow]:
    decimal = file_decimal(sheet, columns)
    return [_row(number, values, columns, decimal) for number, values in sheet.rows]


def file_decimal(sheet: SheetFile, columns: Layout) -> str | None:
    """The decimal separator of the file's amounts written as text: as they show it, else as
    the language of its headings writes it (Czech a comma, English a point); None for a file
    with no amount as text (a workbook's number cells)."""
    money = [position for position, column in columns.positions.items()
             if column.kind == "money"]
    texts = [str(values[position]) for _, values in sheet.rows for position in money
             if position < len(values) and isinstance(values[position], str)]
    if not texts:
        return None
    return cells.decimal_separator(texts) or ("," if columns.lang == "cs" else ".")


def _row(number: int, values: list[Any], columns: Layout, decimal: str | None) -> ExpenseRow:
    read: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for position, column in columns.positions.items():
        raw = values[position] if position < len(values) else None
        heading = columns.heading(column.field)
        if not _holds(values, position):
            if column.required:
                errors.append((heading, gettext("is empty; every row needs it")))
            continue
        try:
            if column.kind == "money":
                read[column.field] = format(cells.amount(raw, decimal), "f")
            else:
                read[column.field] = CONVERTERS[column.kind](raw)
        except cells.CellError as error:
            errors.append((heading, str(error)))
    if errors:
        return ExpenseRow(number, None, errors)
    return ExpenseRow(number, _body(read))


def _body(read: dict[str, Any]) -> dict[str, Any]:
    """The batch item: the supplier nested; an IČO that a spreadsheet shortened by its leading
    zeros (a number cell) given back its eight digits."""
    supplier = {"name": read.pop("supplier.name"), "ico": read.pop("supplier.ico", None)}
    country = read.pop("supplier.country", None)
    if country is not None:
        supplier["country"] = country
    ico = supplier["ico"]
    if ico is not None and ico.isdigit() and len(ico) < 8 and country in (None, "CZ"):
        supplier["ico"] = ico.zfill(8)
    return {**read, "supplier": supplier}


def _document_type(value: Any) -> str:
    code = document_type_code(cells.text(value))
    if code is None:
        raise cells.CellError(gettext(
            "{value!r} is not a document type: write one of {czech} (or {english})").format(
                value=cells.text(value),
                czech=", ".join(n["cs"] for n in DOCUMENT_TYPE_NAMES.values()),
                english=", ".join(DOCUMENT_TYPE_NAMES)))
    return code


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": cells.text,
    "code": cells.text,
    "ico": cells.text,
    "country": lambda value: cells.text(value).upper(),
    "document_type": _document_type,
    "money": lambda value: format(cells.amount(value), "f"),
    "date": lambda value: cells.day(value).isoformat(),
}

"""The import template: the columns `grantledger import expenses` reads, in Czech or English.

The workbook's first sheet is where the rows go (it is the sheet the import reads), with the
project's budget lines, activities and document types as drop-down lists; a sheet of
instructions says what each column takes; the lists themselves are on the last sheet, with the
lines' and activities' names beside their codes. The CSV is the heading row alone, separated
by `;` in Czech and `,` in English, in UTF-8 with a byte-order mark, as spreadsheet programs
of each language open it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from projections.ledger import LedgerState
from schemas.spreadsheets import DOCUMENT_TYPE_NAMES, IMPORT_COLUMNS, SheetColumn
from service.sheets.csvfile import csv_file
from service.sheets.tables import Column, Kind, Table
from service.sheets.workbook import WorkbookFile

ROWS = 10_000  # rows of the data sheet that offer the lists
NAMES = {
    "cs": {"data": "Výdaje", "help": "Pokyny", "lists": "Číselníky", "column": "Sloupec",
           "required": "Povinný", "takes": "Co obsahuje", "yes": "ano", "no": "ne",
           "code": "Kód", "name": "Název", "pick": "Vyberte ze seznamu"},
    "en": {"data": "Expenses", "help": "Instructions", "lists": "Lists", "column": "Column",
           "required": "Required", "takes": "What it takes", "yes": "yes", "no": "no",
           "code": "Code", "name": "Name", "pick": "Pick from the list"},
}
KINDS: dict[str, Kind] = {"money": "money", "date": "date"}
LISTS = ("budget_line", "activity", "document_type")
# The import takes a document type by its name too: the list offers the names of the language.
BY_NAME = frozenset({"document_type"})


def template_csv(lang: str) -> bytes:
    table = Table(NAMES[lang]["data"], tuple(Column(c.heading(lang)) for c in IMPORT_COLUMNS),
                  [])
    return csv_file(table, delimiter=";" if lang == "cs" else ",", bom=True)


def template_workbook(state: LedgerState, lang: str, moment: datetime | None) -> bytes:
    """The template for a project: its lines, activities and document types to pick from."""
    names = NAMES[lang]
    lists = _lists(state, lang)
    book = WorkbookFile(title=f"{state.project.acronym}: {names['data']}", moment=moment,
                        lang=lang)
    data = book.add(Table(names["data"], tuple(Column(c.heading(lang), KINDS.get(c.kind, "text"))
                                               for c in IMPORT_COLUMNS), []))
    book.add(Table(names["help"], (Column(names["column"]), Column(names["required"]),
                                   Column(names["takes"])),
                   [(c.heading(lang), names["yes"] if c.required else names["no"], c.help(lang))
                    for c in IMPORT_COLUMNS]))
    book.add(Table(names["lists"], tuple(Column(names[part]) for _ in LISTS
                                         for part in ("code", "name")), _side_by_side(lists)))
    for column, spec in enumerate(IMPORT_COLUMNS):
        _format_column(book, data, column, spec)
        if spec.field in LISTS and lists[spec.field]:
            _drop_down(data, column, spec.field, len(lists[spec.field]), names)
    return book.content()


def _lists(state: LedgerState, lang: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "budget_line": [(line.code, line.name) for line in state.lines.values()],
        "activity": [(a.code, a.title) for a in state.activities.values()],
        "document_type": [(code, names[lang]) for code, names in DOCUMENT_TYPE_NAMES.items()],
    }


def _side_by_side(lists: dict[str, list[tuple[str, str]]]) -> list[tuple[Any, ...]]:
    """The lists in pairs of columns (code, name), as many rows as the longest."""
    height = max(len(items) for items in lists.values())
    return [tuple(cell for name in LISTS
                  for cell in (lists[name][row] if row < len(lists[name]) else (None, None)))
            for row in range(height)]


def _format_column(book: WorkbookFile, sheet: Worksheet, column: int, spec: SheetColumn) -> None:
    kind = KINDS.get(spec.kind, "text")
    width = max(len(spec.heading("cs")), len(spec.heading("en")), 14) + 2
    sheet.set_column(column, column, width, book.formats[kind])


def _drop_down(sheet: Worksheet, column: int, field: str, count: int,
               names: dict[str, str]) -> None:
    """A list of the field's codes (or names) from its pair of columns in the lists sheet."""
    codes = xl_col_to_name(2 * LISTS.index(field) + (field in BY_NAME))
    source = f"='{names['lists']}'!${codes}$2:${codes}${count + 1}"
    sheet.data_validation(1, column, ROWS, column, {
        "validate": "list", "source": source, "input_title": names["pick"],
        "error_title": names["pick"],
        "error_message": f"{names['pick']}: {names['lists']}, {codes}"})

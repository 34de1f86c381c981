"""A spreadsheet file read as a heading row and data rows, each with its row number.

XLSX through openpyxl (the first sheet, as the import template has its rows there); CSV in
UTF-8 (with or without a byte-order mark) or Windows-1250, as Czech spreadsheet programs save
it, separated by `;`, `,` or a tab. The encoding and the separator are detected unless given.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from service.cli.speech import gettext

SEPARATORS = (";", ",", "\t")


class UnreadableFileError(ValueError):
    """The file is no spreadsheet this command reads; the message says why."""


@dataclass(frozen=True)
class SheetFile:
    """The heading row and the rows below it that hold anything, by their row numbers (as a
    spreadsheet program numbers them: the heading is row 1 in the template)."""

    headings: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str | None = None
    delimiter: str | None = None


def read_sheet(path: Path, content: bytes, *, encoding: str | None = None,
               delimiter: str | None = None) -> SheetFile:
    if zipfile.is_zipfile(io.BytesIO(content)):
        return _xlsx(content)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise UnreadableFileError(gettext("it is not an XLSX workbook (not a zip file)"))
    return _csv(content, encoding, delimiter)


def _xlsx(content: bytes) -> SheetFile:
    try:
        with warnings.catch_warnings():  # openpyxl warns of parts it drops (extensions, …)
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFileError(gettext("it is not an XLSX workbook openpyxl reads: {error}")
                                  .format(error=error)) from None
    try:
        numbered = list(enumerate(book.worksheets[0].iter_rows(values_only=True), start=1))
    finally:
        book.close()
    return _sheet([(n, list(row)) for n, row in numbered])


def _csv(content: bytes, encoding: str | None, delimiter: str | None) -> SheetFile:
    encoding = encoding or _encoding(content)
    try:
        decoded = content.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise UnreadableFileError(gettext("it cannot be read as {encoding}: {error}")
                                  .format(encoding=encoding, error=error)) from None
    if "\x00" in decoded:
        raise UnreadableFileError(gettext("it is neither a CSV text nor an XLSX workbook"))
    delimiter = delimiter or _delimiter(decoded)
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)
    try:
        numbered = [(n, list(row)) for n, row in enumerate(reader, start=1)]
    except csv.Error as error:
        raise UnreadableFileError(gettext("it is not a CSV file: {error}").format(error=error)) \
            from None
    sheet = _sheet(numbered)
    return SheetFile(sheet.headings, sheet.rows, encoding, delimiter)


def _encoding(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1250"
    return "utf-8"


def _delimiter(text: str) -> str:
    """The separator the heading line uses most (headings hold none of them)."""
    heading = text.split("\n", 1)[0]
    counts = {separator: heading.count(separator) for separator in SEPARATORS}
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _sheet(numbered: list[tuple[int, list[Any]]]) -> SheetFile:
    filled = [(n, row) for n, row in numbered if any(_filled(cell) for cell in row)]
    if not filled:
        raise UnreadableFileError(gettext("it holds no rows"))
    (_, heading), *rows = filled
    headings = [str(cell).strip() if _filled(cell) else "" for cell in heading]
    return SheetFile(headings, rows)


def _filled(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""

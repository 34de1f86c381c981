"""Tables as CSV: the figures exactly as the JSON API writes them (amounts with two places and
a decimal point, ratios with four, ISO dates), so that programs read them without guessing a
locale. People open the XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from schemas.fields import CENTS, RATIO_PLACES, Moment
from service.sheets.tables import Cell, Kind, Table

BOM = "\ufeff"
_MOMENT = Moment()


def csv_file(table: Table, *, delimiter: str = ",", bom: bool = False) -> bytes:
    """The table's heading row, rows and totals row, RFC 4180 (CRLF), in UTF-8."""
    text = io.StringIO()
    if bom:
        text.write(BOM)
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(column.heading for column in table.columns)
    rows: Iterable[tuple[Any, ...]] = table.rows
    if table.totals is not None:
        rows = [*table.rows, table.totals]
    for row in rows:
        writer.writerow(csv_cell(value, column.kind)
                        for value, column in zip(row, table.columns, strict=True))
    return text.getvalue().encode("utf-8")


def csv_cell(value: Any, kind: Kind) -> str:
    if isinstance(value, Cell):
        return csv_cell(value.value, value.kind)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if kind == "money":
            return format(value.quantize(CENTS), "f")
        if kind == "ratio":
            return format(value.quantize(RATIO_PLACES), "f")
        return format(value, "f")
    if isinstance(value, datetime):
        return str(_MOMENT.serialize("at", {"at": value}))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

"""A table of typed cells: what a sheet of a workbook or a CSV file is written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "money", "ratio", "number", "integer", "date", "boolean", "moment"]


@dataclass(frozen=True)
class Column:
    """A column's heading and what its cells hold (which decides their format)."""

    heading: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Cell:
    """A cell whose kind is not its column's (in a sheet of name–value pairs)."""

    value: Any
    kind: Kind


@dataclass(frozen=True)
class Table:
    """A sheet: a heading row, rows of values (`Decimal` for numbers, `date` for dates), an
    optional totals row in bold, and name–value lines above it (workbooks only)."""

    name: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    totals: tuple[Any, ...] | None = None
    preamble: tuple[tuple[str, Cell], ...] = field(default=())

"""A view's JSON document as the sheets of a workbook, laid out from the view's schema.

The first sheet (`summary`) holds the view's single figures (name and value; a nested object
such as the schedule's `project` by dotted names); every list of objects gets a sheet of its
own (the budget's lines, the subsidy's claims, the schedule's activities and milestones, and so
for any view added later), a list inside those rows another (`claims.exclusions`, keyed by the
row's first column); the flags come last, on their own sheet. Each figure takes its kind from
its schema field: money, computed ratios (as percentages), other decimals, whole numbers,
dates, truth values, text. `TOTALS` names the lists that get a totals row from another member
of the view.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields

from schemas.fields import Day, Money, Ratio, _DecimalString
from service.sheets.tables import Cell, Column, Kind, Table

TOTALS: dict[str, dict[str, str]] = {"budget": {"lines": "totals"}}
LEADING = ("code", "name", "title")  # a row's names come first, whatever the schema's order
FLAG_COLUMNS = (Column("rule"), Column("severity"), Column("message"), Column("refs"))
Path = tuple[str, ...]


def view_tables(name: str, document: dict[str, Any], schema: Schema) -> list[Table]:
    """The sheets of a view: its figures, its lists, its flags."""
    totals = TOTALS.get(name, {})
    summary: list[tuple[Any, ...]] = []
    tables: list[Table] = []
    for key, field in schema.fields.items():
        if key == "flags" or key in totals.values():
            continue
        nested = _nested_schema(field)
        if isinstance(field, fields.List) and nested is not None:
            total = document[totals[key]] if key in totals else None
            tables.extend(_list_tables(key, document[key], nested, total))
        else:
            summary.extend((".".join(path), Cell(*typed(f, value)))
                           for path, f, value in _scalars((key,), field, document[key]))
    flags = Table("flags", FLAG_COLUMNS, [
        (flag["rule"], flag["severity"], flag["message"],
         ", ".join(f"{ref['type']}:{ref['id']}" for ref in flag["refs"]))
        for flag in document.get("flags", [])])
    return [Table("summary", (Column("figure"), Column("value")), summary), *tables, flags]


def typed(field: fields.Field[Any], value: Any) -> tuple[Any, Kind]:
    """A JSON value of a field as a cell's value and kind."""
    kind = _kind(field)
    if value is None:
        return None, kind
    if kind in ("money", "ratio", "number"):
        return Decimal(value), kind
    if kind == "date":
        return date.fromisoformat(value), kind
    if isinstance(field, fields.List):
        return " ".join(str(item) for item in value), kind
    return value, kind


def _kind(field: fields.Field[Any]) -> Kind:
    if isinstance(field, Money):
        return "money"
    if isinstance(field, Ratio):  # computed ratios; a rate or a quantity is a plain number
        return "ratio"
    if isinstance(field, _DecimalString):
        return "number"
    if isinstance(field, Day):
        return "date"
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Integer):
        return "integer"
    return "text"


def _nested_schema(field: fields.Field[Any]) -> Schema | None:
    inner = field.inner if isinstance(field, fields.List) else field
    if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
        return inner.schema
    return None


def _scalars(path: Path, field: fields.Field[Any],
             value: Any) -> list[tuple[Path, fields.Field[Any], Any]]:
    """A value and the fields inside it, flattened: a nested object by dotted names."""
    nested = _nested_schema(field)
    if nested is None:
        return [(path, field, value)]
    if isinstance(field, fields.List):
        return []  # a list of objects is a table of its own
    return [item for key, sub in nested.fields.items()
            for item in _scalars((*path, key), sub, None if value is None else value[key])]


def _list_tables(name: str, rows: list[dict[str, Any]], schema: Schema,
                 totals: dict[str, Any] | None) -> list[Table]:
    """A list of objects as a table, and the lists inside its rows as tables after it."""
    columns = _columns(schema)
    table = Table(name, tuple(Column(".".join(path), _kind(f)) for path, f in columns),
                  [tuple(typed(f, _at(row, path))[0] for path, f in columns) for row in rows],
                  _totals(columns, totals))
    inner = [(key, _nested_schema(f)) for key, f in schema.fields.items()
             if isinstance(f, fields.List) and _nested_schema(f) is not None]
    return [table, *(_inner_table(f"{name}.{key}", rows, key, sub, columns[0])
                     for key, sub in inner if sub is not None)]


def _inner_table(name: str, rows: list[dict[str, Any]], key: str, schema: Schema,
                 parent: tuple[Path, fields.Field[Any]]) -> Table:
    parent_path, parent_field = parent
    columns = _columns(schema)
    return Table(name[:31], (Column(".".join(parent_path), _kind(parent_field)),
                             *(Column(".".join(path), _kind(f)) for path, f in columns)),
                 [(typed(parent_field, _at(row, parent_path))[0],
                   *(typed(f, _at(item, path))[0] for path, f in columns))
                  for row in rows for item in row[key]])


def _totals(columns: list[tuple[Path, fields.Field[Any]]],
            totals: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if totals is None:
        return None
    cells = [typed(f, _at(totals, path))[0] if path[0] in totals else None
             for path, f in columns]
    return ("total", *cells[1:])


def _columns(schema: Schema) -> list[tuple[Path, fields.Field[Any]]]:
    """A row's fields flattened, its names first."""
    blank = {key: None for key in schema.fields}
    columns = [(path, f) for path, f, _ in _scalars((), fields.Nested(schema), blank)]
    return sorted(columns, key=lambda column: (
        LEADING.index(column[0][0]) if column[0][0] in LEADING else len(LEADING)))


def _at(row: dict[str, Any], path: Path) -> Any:
    value: Any = row
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value

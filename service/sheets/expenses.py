"""The expense list as a table: every field of `GET …/expenses`, the supplier flattened."""

from __future__ import annotations

from typing import Any

from service.sheets.tables import Column, Table

EXPENSE_COLUMNS: tuple[tuple[str, Column], ...] = (
    ("expense_id", Column("expense_id")),
    ("status", Column("status")),
    ("document_number", Column("document_number")),
    ("document_type", Column("document_type")),
    ("supplier.name", Column("supplier_name")),
    ("supplier.ico", Column("supplier_ico")),
    ("supplier.country", Column("supplier_country")),
    ("description", Column("description")),
    ("budget_line", Column("budget_line")),
    ("activity", Column("activity")),
    ("tax_point_date", Column("tax_point_date", "date")),
    ("amount_net", Column("amount_net", "money")),
    ("vat", Column("vat", "money")),
    ("eligible_amount", Column("eligible_amount", "money")),
    ("time_eligible", Column("time_eligible", "boolean")),
    ("paid_on", Column("paid_on", "date")),
    ("claim_number", Column("claim_number")),
    ("approved", Column("approved", "boolean")),
    ("recorded_at", Column("recorded_at", "moment")),
    ("recorded_by.name", Column("recorded_by")),
    ("corrections", Column("corrections", "integer")),
    ("reversal_reason", Column("reversal_reason")),
    ("attachments", Column("attachments")),
)


def expense_table(expenses: list[dict[str, Any]]) -> Table:
    """The expenses (rows of `projections.expense_list`), one row each; attachments by file
    name."""
    return Table("expenses", tuple(column for _, column in EXPENSE_COLUMNS),
                 [tuple(_value(expense, path) for path, _ in EXPENSE_COLUMNS)
                  for expense in expenses])


def _value(expense: dict[str, Any], path: str) -> Any:
    if path == "attachments":
        return "; ".join(a["file_name"] for a in expense["attachments"]) or None
    value: Any = expense
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if path == "expense_id":
        return str(value)
    return value

"""Plain SQL on a store, on a connection of the test's own (sqlite3, psycopg), committed."""

from __future__ import annotations

import sqlite3
from typing import Any


def run_sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The statement's rows (`%s` placeholders on both backends)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            rows = list(conn.execute(statement.replace("%s", "?"), params).fetchall())
        conn.close()
        return rows
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute(statement, params or None)
        return list(cursor.fetchall()) if cursor.description else []


def events_table(url: str) -> str:
    return "stored_events" if url.startswith("sqlite") else "ledgerapplication_events"

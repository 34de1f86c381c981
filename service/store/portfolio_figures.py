"""The portfolio's figures for /metrics, summed by the database from the stored portfolio rows.

At a programme's 100,000 projects, reading every row into Python to count them cost seconds
and hundreds of megabytes a scrape; the database reads the few fields it needs from each row's
JSON and answers a handful of sums (service.metrics turns them into gauges). The rows of the
projects asked for by name or as the top N come back whole, a bounded number of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.store.viewstore import VIEWS_TABLE


@dataclass(frozen=True)
class Dialect:
    """How each backend reads a field of a JSON body held in a text column."""

    document: str  # the body, parsed once per row
    pairs: str  # a table function over the body's flags_by_rule: key, value
    fence: str  # ends a subquery the planner must not inline (PostgreSQL's OFFSET 0)

    def text(self, key: str) -> str:
        return f"(b ->> '{key}')" if self.document.endswith("jsonb") else (
            f"json_extract(b, '$.{key}')")

    def number(self, key: str) -> str:
        raw = f"(b ->> '{key}')::integer" if self.document.endswith("jsonb") else (
            f"json_extract(b, '$.{key}')")
        return f"COALESCE({raw}, 0)"


POSTGRES = Dialect(document="body::jsonb", pairs="jsonb_each_text(b -> 'flags_by_rule')",
                   fence="OFFSET 0")
SQLITE = Dialect(document="body", pairs="json_each(b, '$.flags_by_rule')", fence="")


@dataclass(frozen=True)
class PortfolioFigures:
    """Projects by (phase, status) and the sums over every project."""

    projects: dict[tuple[str, str], int]
    errors: int
    warnings: int
    reports_overdue: int
    projects_with_reports_overdue: int
    indicators_shortfall: int
    flags_by_rule: dict[str, int]


def _rows(dialect: Dialect) -> str:
    """The portfolio rows, each body parsed once (OFFSET 0 keeps PostgreSQL from inlining the
    subquery and parsing the body again for every field read from it)."""
    return (f"(SELECT project_id, on_date, {dialect.document} AS b FROM {VIEWS_TABLE} "
            f"WHERE view = 'portfolio' {dialect.fence}) AS rows")


def portfolio_figures(queries: Any, dialect: Dialect) -> PortfolioFigures:
    d = dialect
    fields = (f"SELECT on_date, {d.text('realisation_start')} AS first_day, "
              f"{d.text('realisation_end')} AS last_day, {d.number('errors')} AS errors, "
              f"{d.number('warnings')} AS warnings, {d.number('reports_overdue')} AS overdue, "
              f"{d.number('indicators_shortfall')} AS shortfall FROM {_rows(d)} {d.fence}")
    sums = ("SELECT CASE WHEN on_date < first_day THEN 'before_realisation' "
            "WHEN on_date <= last_day THEN 'realisation' ELSE 'after_realisation' END AS phase, "
            "CASE WHEN errors > 0 THEN 'error' WHEN warnings > 0 THEN 'warning' ELSE 'ok' END "
            "AS status, COUNT(*) AS projects, SUM(errors) AS errors, SUM(warnings) AS warnings, "
            "SUM(overdue) AS overdue, SUM(CASE WHEN overdue > 0 THEN 1 ELSE 0 END) AS late, "
            f"SUM(shortfall) AS shortfall FROM ({fields}) AS figures GROUP BY 1, 2")
    rules = (f"SELECT rule.key AS rule, SUM(CAST(rule.value AS INTEGER)) AS flags "
             f"FROM {_rows(d)}, {d.pairs} AS rule GROUP BY rule.key")
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(sums), [])
        groups = cursor.fetchall()
        cursor.execute(queries._sql(rules), [])
        by_rule = {row["rule"]: int(row["flags"]) for row in cursor.fetchall()}
    total = {name: sum(int(g[name] or 0) for g in groups)
             for name in ("errors", "warnings", "overdue", "late", "shortfall")}
    return PortfolioFigures(
        {(g["phase"], g["status"]): int(g["projects"]) for g in groups}, total["errors"],
        total["warnings"], total["overdue"], total["late"], total["shortfall"], by_rule)


def named_rows(queries: Any, project_ids: list[str]) -> list[str]:
    """The stored rows of these projects (by the table's key: a few index look-ups)."""
    if not project_ids:
        return []
    marks = ", ".join(["%s"] * len(project_ids))
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(f"SELECT body FROM {VIEWS_TABLE} WHERE view = 'portfolio' "
                                    f"AND project_id IN ({marks})"), project_ids)
        return [row["body"] for row in cursor.fetchall()]


def top_rows(queries: Any, dialect: Dialect, top: int) -> list[str]:
    """The stored rows of the `top` projects with the most open errors, then warnings (then
    by registration number)."""
    d = dialect
    statement = (f"SELECT project_id FROM {_rows(d)} ORDER BY {d.number('errors')} DESC, "
                 f"{d.number('warnings')} DESC, {d.text('registration_number')} LIMIT %s")
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(statement), [top])
        ranked = [row["project_id"] for row in cursor.fetchall()]
    order = {project_id: n for n, project_id in enumerate(ranked)}
    rows = named_rows(queries, ranked)
    return sorted(rows, key=lambda body: order.get(_project_of(body), len(order)))


def _project_of(body: str) -> str:
    import json

    return str(json.loads(body)["project_id"])

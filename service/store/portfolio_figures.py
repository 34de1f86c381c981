"""The portfolio's figures for /metrics, summed by the database from the portfolio's index
(service.store.portfolio).

At a programme's 100,000 projects, reading every row into Python to count them cost seconds
and hundreds of megabytes a scrape; the database sums the index's columns (no JSON to parse)
and answers a handful of sums (service.metrics turns them into gauges). The rows of the
projects asked for by name or as the top N come back whole, a bounded number of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.store.viewstore import FLAGS_TABLE, PORTFOLIO_TABLE, VIEWS_TABLE


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


SUMS = ("SELECT CASE WHEN on_date < realisation_start THEN 'before_realisation' "
        "WHEN on_date <= realisation_end THEN 'realisation' ELSE 'after_realisation' END "
        "AS phase, CASE WHEN errors > 0 THEN 'error' WHEN warnings > 0 THEN 'warning' "
        "ELSE 'ok' END AS status, COUNT(*) AS projects, SUM(errors) AS errors, "
        "SUM(warnings) AS warnings, SUM(reports_overdue) AS overdue, "
        "SUM(CASE WHEN reports_overdue > 0 THEN 1 ELSE 0 END) AS late, "
        f"SUM(indicators_shortfall) AS shortfall FROM {PORTFOLIO_TABLE} GROUP BY 1, 2")
RULES = f"SELECT rule, SUM(flags) AS flags FROM {FLAGS_TABLE} GROUP BY rule"


def portfolio_figures(queries: Any) -> PortfolioFigures:
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(SUMS), [])
        groups = cursor.fetchall()
        cursor.execute(queries._sql(RULES), [])
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


def top_rows(queries: Any, top: int) -> list[str]:
    """The stored rows of the `top` projects with the most open errors, then warnings (then
    by registration number)."""
    statement = (f"SELECT body FROM {PORTFOLIO_TABLE} "
                 "ORDER BY errors DESC, warnings DESC, registration_number LIMIT %s")
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(statement), [top])
        return [row["body"] for row in cursor.fetchall()]

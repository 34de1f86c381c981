"""The portfolio's figures for /metrics, read from the sums the projector keeps
(service.store.portfolio: one row per phase and status, one per flag's rule), and the rows
of the projects asked for by name or as the top N.

At a programme's 100,000 projects, reading every row into Python to count them cost seconds
and hundreds of megabytes a scrape, and summing them in the database a fifth of a second; the
kept sums are a few dozen rows whatever the number of projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.store.viewstore import PORTFOLIO_TABLE, SUMS_TABLE, VIEWS_TABLE


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


# Every kept sum: a few dozen rows (those by phase and status and by rule are used here).
SUMS = (f"SELECT key, projects, errors, warnings, reports_overdue, late, shortfall, rule_flags "
        f"FROM {SUMS_TABLE}")


def portfolio_figures(queries: Any) -> PortfolioFigures:
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(SUMS), [])
        rows = cursor.fetchall()
    groups = [row for row in rows if row["key"].startswith("status:") and row["projects"]]
    total = {name: sum(int(g[name]) for g in groups)
             for name in ("errors", "warnings", "reports_overdue", "late", "shortfall")}
    by_status = {}
    for group in groups:
        _, phase, status = group["key"].split(":")
        by_status[(phase, status)] = int(group["projects"])
    return PortfolioFigures(
        by_status, total["errors"], total["warnings"], total["reports_overdue"],
        total["late"], total["shortfall"],
        {row["key"][len("flag:"):]: int(row["rule_flags"]) for row in rows
         if row["key"].startswith("flag:") and row["rule_flags"]})


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

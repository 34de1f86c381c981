"""The portfolio a page at a time, with its totals (`GET /api/v1/portfolio`).

Live, on the day the projector's rows are for, a page is a range of the portfolio's index in
the order of registration and the totals are the database's sums over every matching row
(service.store.portfolio); the projects the projector has not caught up with yet (normally
none or a handful: those written in the last milliseconds) are folded here instead, so that a
client reads its own writes. `as_of` a past moment, or `on` another day, folds the projects of
the page only, one after another in the order of registration until the page is full; summing
every project as it stood then would fold every one, so those answers carry no totals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from projections import portfolio_row
from service.application import ProjectNotFoundError
from service.reads.projector import NAME as PROJECTION
from service.reads.rendering import render
from service.store.portfolio import PortfolioFilter, PortfolioState, Totals
from service.web.api.common import decode_cursor, encode_cursor, project_ledger
from service.web.state import reads


@dataclass(frozen=True)
class Folded:
    """A project's row folded here: its registration position, its JSON and what it says."""

    registered: int
    body: str
    row: dict[str, Any]
    beneficiary_ico: str | None


@dataclass(frozen=True)
class PortfolioPage:
    bodies: list[str]
    next_cursor: str | None
    totals: Totals | None


def portfolio_filter(query: dict[str, Any], visible: set[UUID] | None) -> PortfolioFilter:
    return PortfolioFilter(visible=None if visible is None else frozenset(visible),
                           flag=query.get("flag"), beneficiary_ico=query.get("beneficiary_ico"),
                           overdue=query.get("overdue"))


def portfolio_state() -> PortfolioState:
    return reads().queries.portfolio_state(PROJECTION)


def reads_stored_rows(state: PortfolioState, on: date, as_of: datetime | None) -> bool:
    """Whether the answer comes from the index: live, on the day its rows are for."""
    return as_of is None and state.day == on


def portfolio_page(query: dict[str, Any], where: PortfolioFilter, state: PortfolioState,
                   on: date, as_of: datetime | None) -> PortfolioPage:
    after, limit = decode_cursor(query.get("cursor")), query["limit"]
    if reads_stored_rows(state, on, as_of):
        return _stored_page(where, after, limit, state, on)
    return _folded_page(where, after, limit, on, as_of)


def _stored_page(where: PortfolioFilter, after: int, limit: int, state: PortfolioState,
                 on: date) -> PortfolioPage:
    queries = reads().queries
    stale = (queries.projects_changed_after(state.projected) if state.projected < state.head
             else set())
    if where.visible is not None:
        stale &= where.visible
    positions = queries.registration_positions(sorted(stale))
    folded = [f for project_id in sorted(stale, key=lambda i: positions.get(i, 0))
              if (f := _fold(project_id, positions.get(project_id, 0), on, None)) is not None
              and where.matches(f.row, f.beneficiary_ico)]
    indexed = replace(where, excluded=frozenset(stale))
    rows = sorted([*queries.portfolio_page(indexed, after, limit + 1),
                   *((f.registered, f.body) for f in folded if f.registered > after)])
    return _page(rows, limit, _plus(queries.portfolio_totals(indexed), folded))


def _folded_page(where: PortfolioFilter, after: int, limit: int, on: date,
                 as_of: datetime | None) -> PortfolioPage:
    queries, rows = reads().queries, list[tuple[int, str]]()
    while len(rows) <= limit:
        batch = queries.registrations(after, limit + 1 - len(rows), where.visible)
        if not batch:
            break
        for registered, project_id in batch:
            folded = _fold(project_id, registered, on, as_of)
            if folded is not None and where.matches(folded.row, folded.beneficiary_ico):
                rows.append((registered, folded.body))
        after = batch[-1][0]
    return _page(rows, limit, None)


def _page(rows: list[tuple[int, str]], limit: int, totals: Totals | None) -> PortfolioPage:
    shown = rows[:limit]
    next_cursor = encode_cursor(shown[-1][0]) if len(rows) > limit else None
    return PortfolioPage([body for _, body in shown], next_cursor, totals)


def _fold(project_id: UUID, registered: int, on: date,
          as_of: datetime | None) -> Folded | None:
    """The project's row folded from its events (None: not registered by `as_of`)."""
    try:
        state = project_ledger(project_id, as_of)
    except ProjectNotFoundError:
        return None
    body = render("portfolio", portfolio_row(state, on))
    ico = state.project.beneficiary.get("ico")
    return Folded(registered, body, json.loads(body), str(ico) if ico else None)


def _plus(totals: Totals, folded: list[Folded]) -> Totals:
    def summed(key: str) -> Decimal:
        return sum((Decimal(f.row[key]) for f in folded), Decimal("0.00"))

    return Totals(totals.projects + len(folded), totals.budget + summed("planned"),
                  totals.eligible + summed("eligible_capped"),
                  totals.entitlement + summed("entitlement"),
                  totals.open_flags + sum(int(f.row["flag_count"]) for f in folded))

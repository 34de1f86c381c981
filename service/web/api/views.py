"""The compliance views of a project (budget, subsidy, schedule, indicators), and the portfolio
of all projects a page at a time (service.web.api.portfolio).

Live or `as_of` a past moment; `on` is the reference date for statuses. Each answer carries
an ETag derived from what the view is a function of (the events up to its position, `on` and
`as_of`), so a dashboard's conditional poll is answered 304 without folding anything.

A live view comes from the process's cache of the projector's views when that is current
(service.reads.view_cache; most polls never get here, see service.web.fast_reads), else from the
stored view when it reflects the project's last event, else from the events folded here. An
answer about a settled past moment is kept for the next time (service.reads.past_answers).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import Response, request
from werkzeug.exceptions import ServiceUnavailable

from projections import budget_view, indicators_view, schedule_view, subsidy_view
from schemas import (
    BudgetViewSchema,
    IndicatorsViewSchema,
    PortfolioPageQuerySchema,
    PortfolioSchema,
    ScheduleViewSchema,
    SubsidyViewSchema,
    ViewQuerySchema,
)
from service.application import ProjectNotFoundError, utc_now
from service.reads.rendering import SCHEMAS, render
from service.reads.view_cache import CachedView, view_etag
from service.sheets.views import view_tables
from service.sheets.workbook import workbook
from service.web.api.common import Blueprint, project_ledger, reference_date
from service.web.api.files import answers_as_files, file_name, file_response
from service.web.api.portfolio import (
    portfolio_filter,
    portfolio_page,
    portfolio_state,
    reads_stored_rows,
)
from service.web.auth import READ, access_control, current_principal, requires
from service.web.compression import accepts_gzip, encoded_etag, varying
from service.web.state import choose_reads, ledger, past_answers, reads, settings, view_cache
from service.web.urls import API

blp = Blueprint("views", __name__, url_prefix=API,
                description="Budget, subsidy-share, schedule-compliance and indicators views; "
                            "portfolio.")
POLL_SECONDS = 0.005
PORTFOLIO_HEADER = PortfolioSchema(exclude=("projects",))


def not_modified(etag: str) -> Response | None:
    if request.if_none_match and request.if_none_match.contains_weak(etag.strip('"')):
        response = Response(status=304)
        response.headers["ETag"] = etag
        return response
    return None


def wait_for_position(min_position: int | None) -> None:
    """Chooses where the request reads (service.web.state.choose_reads) and holds it until
    that has reached `min_position`, or answers 503. A read replica is waited for within
    the same timeout; one that has not replayed that far leaves the wait to the store."""
    timeout = settings().min_position_timeout
    deadline = time.monotonic() + timeout
    source = choose_reads(min_position, None if min_position is None else timeout)
    if min_position is None or source is not ledger():
        return
    while (source.recorder.max_notification_id() or 0) < min_position:
        if time.monotonic() >= deadline:
            raise ServiceUnavailable(
                f"the view did not reach position {min_position} within {timeout:g} s",
                retry_after=1)
        time.sleep(POLL_SECONDS)


def serve_view(name: str, fold_view: Callable[..., dict[str, Any]], project_id: UUID,
               query: dict[str, Any]) -> Response:
    as_of: datetime | None = query.get("as_of")
    on: date = reference_date(query.get("on"), as_of)
    min_position = query.get("min_position")
    if query.get("format") == "xlsx":
        return _workbook(name, fold_view, project_id, as_of, on, min_position)
    if as_of is None:
        cached = _cached(project_id, name, on, min_position)
        if cached is not None:
            return _answer(cached.etag, cached.body)
    wait_for_position(min_position)
    if as_of is None:
        return _live(name, fold_view, project_id, on)
    return _past(name, fold_view, project_id, as_of, on)


def _workbook(name: str, fold_view: Callable[..., dict[str, Any]], project_id: UUID,
              as_of: datetime | None, on: date, min_position: int | None) -> Response:
    """The view as a workbook, written from the very JSON document the view answers (folded
    here as `_live` does when the stored view is behind), dated by the ledger's last event."""
    wait_for_position(min_position)
    state = project_ledger(project_id, as_of)
    document = json.loads(render(name, fold_view(state, on), as_of))
    content = workbook(view_tables(name, document, SCHEMAS[name]),
                       title=f"{state.project.acronym}: {name}", moment=state.last_recorded_at)
    return file_response(content, "xlsx", file_name(state, name, f"v{state.version}", on,
                                                   extension="xlsx"))


def _live(name: str, fold_view: Callable[..., dict[str, Any]], project_id: UUID,
          on: date) -> Response:
    """The projector's stored view if it reflects the project's last event and the same
    reference day; otherwise the events folded here (never stale)."""
    position, stored = reads().queries.current_view(project_id, name)
    if position is None:
        raise ProjectNotFoundError(str(project_id))
    etag = view_etag(name, project_id, position, on, None)
    if stored is not None and stored.position == position and stored.on == on:
        return _answer(etag, stored.body)
    return not_modified(etag) or _body(render(name, fold_view(project_ledger(project_id), on)),
                                       etag)


def _past(name: str, fold_view: Callable[..., dict[str, Any]], project_id: UUID,
          as_of: datetime, on: date) -> Response:
    """The view as the ledger stood at `as_of`: replayed, or kept from an earlier answer
    about the same settled moment."""
    key = (name, project_id, as_of, on)
    kept = past_answers().get(key)
    if kept is not None:
        return _answer(*kept)
    state = project_ledger(project_id, as_of)
    etag = view_etag(name, project_id, state.position, on, as_of)
    answer = etag, render(name, fold_view(state, on), as_of)
    past_answers().keep(key, answer, utc_now())
    return _answer(*answer)


def _cached(project_id: UUID, name: str, on: date,
            min_position: int | None) -> CachedView | None:
    """The view from this process's cache of the projector's views (PostgreSQL only)."""
    return view_cache().current(project_id, name, on, min_position)


def _answer(etag: str, body: str) -> Response:
    return not_modified(etag) or _body(body, etag)


def _body(body: str, etag: str) -> Response:
    response = Response(body, 200, mimetype="application/json")
    response.headers["ETag"] = etag
    return response


def _view_endpoint(name: str, fold_view: Callable[..., dict[str, Any]], schema: type,
                   summary: str) -> None:
    """Adds `GET /projects/{id}/views/<name>`: the view live, `as_of`, `on`, as JSON or a
    workbook (the endpoint is named after the view: service.web.fast_reads counts by it)."""

    @requires(READ)
    @blp.arguments(ViewQuerySchema, location="query")
    @answers_as_files(blp, "xlsx")
    @blp.response(200, schema)
    def view(query: dict[str, Any], project_id: UUID) -> Any:
        return serve_view(name, fold_view, project_id, query)

    view.__doc__ = summary
    blp.route(f"/projects/<uuid:project_id>/views/{name}", methods=["GET"],
              endpoint=name)(view)


_view_endpoint("budget", budget_view, BudgetViewSchema,
               "Budget view: planned, recorded, eligible, capped, paid, claimed per line")
_view_endpoint("subsidy", subsidy_view, SubsidyViewSchema,
               "Subsidy-share view: entitlement, claims, payouts, corrections")
_view_endpoint("schedule", schedule_view, ScheduleViewSchema,
               "Schedule-compliance view: activities, milestones, deadlines, on a reference "
               "date")
_view_endpoint("indicators", indicators_view, IndicatorsViewSchema,
               "Indicators view: each indicator's last reported value, achievement and status")


@blp.route("/portfolio", methods=["GET"])
@requires(READ, listing=True)
@blp.arguments(PortfolioPageQuerySchema, location="query")
@blp.response(200, PortfolioSchema)
def portfolio(query: dict[str, Any]) -> Any:
    """A page of the projects the principal may read, one row each with the key figures and
    flag counts, and the totals over every page, for dashboards

    In the order of registration, `limit` rows (1,000 unless fewer are asked for) after the
    `cursor` of the previous page's `next_cursor`. Filters: `flag` (projects with an open flag
    of that rule), `beneficiary_ico`, `overdue` (with an overdue report, or without one).
    `totals` sums every matching project the principal may read; null with `as_of` or an
    `on` other than the day the projector's rows are for (only the page's projects are
    folded then).
    """
    as_of: datetime | None = query.get("as_of")
    on = reference_date(query.get("on"), as_of)
    wait_for_position(query.get("min_position"))
    state = portfolio_state()
    position = state.head
    visible = access_control().visible(current_principal())
    readers = "all" if visible is None else ",".join(sorted(map(str, visible)))
    stored = reads_stored_rows(state, on, as_of)
    gzipped = accepts_gzip()
    etag = encoded_etag(view_etag("portfolio", position, on, as_of, readers, stored, *(
        query.get(name) for name in ("cursor", "limit", "flag", "beneficiary_ico", "overdue"))),
        gzipped)
    cached = not_modified(etag)
    if cached is not None:
        return varying(cached, gzipped)
    page = portfolio_page(query, portfolio_filter(query, visible), state, on, as_of)
    # The rows are JSON already (most of them rendered by the projector): splice them in.
    header = PORTFOLIO_HEADER.dump({"as_of": as_of, "on": on, "position": position,
                                    "totals": page.totals, "next_cursor": page.next_cursor})
    body = f'{json.dumps(header)[:-1]},"projects":[{",".join(page.bodies)}]}}'
    return varying(_body(body, etag), gzipped)

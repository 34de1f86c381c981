"""The pages themselves: the portfolio, a project, its history, an expense, the downloads.

Each is the API's documents for the same `as_of`/`on`, fetched with the reader's token
(service.web.pages.fetch) and rendered: nothing here computes a figure the page shows.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from cachetools import LRUCache
from flask import Response, render_template, request
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from service.web.api.common import encode_cursor
from service.web.pages.blueprint import pages, when
from service.web.pages.charts import schedule_timeline
from service.web.pages.fetch import api_get, api_json
from service.web.pages.formats import parse_moment
from service.web.pages.labels import RULES
from service.web.urls import API

VIEWS = ("budget", "subsidy", "schedule", "indicators")
# The portfolio's columns a reader may sort by, and how their values compare.
SORTS = {
    "registration_number": str, "acronym": str, "beneficiary": str, "planned": Decimal,
    "eligible_capped": Decimal, "utilisation": Decimal, "entitlement": Decimal,
    "flag_count": int, "reports_overdue": int,
}
# The portfolio's filters, passed to the API (which pages and sums by them).
PORTFOLIO_FILTERS = ("flag", "beneficiary_ico")
HISTORY_FILTERS = ("type", "recorded_by", "recorded_after", "recorded_before", "expense_id")
HISTORY_PAGE = 50
# Beneficiaries' names by project id, for the portfolio's rows (which do not carry them).
BENEFICIARIES: LRUCache[str, str] = LRUCache(maxsize=100_000)


@pages.get("/")
def portfolio() -> str:
    """A page of the API's portfolio (its filters, `limit` and totals; sorted within the
    page)."""
    travel = when()
    filters = {name: request.args.get(name, "").strip() for name in PORTFOLIO_FILTERS}
    if filters["flag"] and filters["flag"] not in RULES:
        raise BadRequest(f"flag={filters['flag']!r}: choose one of {', '.join(RULES)}")
    query = {**travel.api_query, **filters, "cursor": request.args.get("cursor", ""),
             "limit": request.args.get("limit", "")}
    document = api_json(f"{API}/portfolio", query)
    rows = document["projects"]
    _add_beneficiaries(rows)
    sort, order = _sorting()
    rows.sort(key=lambda row: _sort_key(row, sort), reverse=order == "desc")
    return render_template("pages/portfolio.html", document=document, rows=rows, sort=sort,
                           order=order, filters=filters, rules=list(RULES),
                           totals=document["totals"])


def _sorting() -> tuple[str, str]:
    sort = request.args.get("sort") or "registration_number"
    order = request.args.get("order") or "asc"
    if sort not in SORTS:
        raise BadRequest(f"sort={sort!r}: choose one of {', '.join(SORTS)}")
    if order not in ("asc", "desc"):
        raise BadRequest(f"order={order!r}: choose asc or desc")
    return sort, order


def _sort_key(row: dict[str, Any], column: str) -> Any:
    value = row.get(column)
    kind = SORTS[column]
    if value is None:
        return (1, kind())
    return (0, kind(value) if kind is not str else str(value).casefold())


def _add_beneficiaries(rows: list[dict[str, Any]]) -> None:
    """The beneficiary's name of each row: from the row (since views format 5), else from
    the project list (rows stored before an upgrade, until the projector renders them again;
    kept: a beneficiary is a fact of the registration, never changed after)."""
    older = [row for row in rows if "beneficiary" not in row]
    if any(row["project_id"] not in BENEFICIARIES for row in older):
        cursor: str | None = None
        while True:
            listing = api_json(f"{API}/projects", {"limit": "1000", "cursor": cursor or ""})
            for project in listing["projects"]:
                BENEFICIARIES[project["id"]] = project["beneficiary"]["name"]
            cursor = listing.get("next_cursor")
            if not cursor:
                break
    for row in rows:
        row["beneficiary"] = (row["beneficiary"]["name"] if "beneficiary" in row
                              else BENEFICIARIES.get(row["project_id"]))


@pages.get("/projects/<uuid:project_id>")
def project(project_id: UUID) -> str:
    travel = when()
    base = f"{API}/projects/{project_id}"
    views = {name: api_json(f"{base}/views/{name}", travel.api_query) for name in VIEWS}
    detail = api_json(base)
    flags = [flag for name in VIEWS for flag in views[name]["flags"]]
    return render_template("pages/project.html", project=detail, flags=flags,
                           timeline=schedule_timeline(views["schedule"]), **views)


@pages.get("/projects/<uuid:project_id>/history")
def history(project_id: UUID) -> str:
    travel = when()
    query: dict[str, Any] = {name: request.args.getlist(name) if name == "type"
                             else request.args.get(name, "") for name in HISTORY_FILTERS}
    query["limit"] = str(HISTORY_PAGE)
    start = request.args.get("from", "")
    if start:
        if not start.isdigit() or int(start) < 1:
            raise BadRequest(f"from={start!r}: give an event's version (1, 2, …)")
        query["cursor"] = encode_cursor(int(start) - 1)
    elif request.args.get("cursor"):
        query["cursor"] = request.args["cursor"]
    if travel.as_of is not None and not query["recorded_before"]:
        # `recorded_before` is exclusive; as_of includes what was recorded at that moment.
        moment = travel.as_of + timedelta(microseconds=1)
        query["recorded_before"] = moment.isoformat().replace("+00:00", "Z")
    document = api_json(f"{API}/projects/{project_id}/events", query)
    detail = api_json(f"{API}/projects/{project_id}")
    return render_template("pages/history.html", project=detail, document=document,
                           filters={n: request.args.get(n, "") for n in HISTORY_FILTERS},
                           types=request.args.getlist("type"),
                           highlight=int(start) if start else None)


@pages.get("/projects/<uuid:project_id>/expenses/<uuid:expense_id>")
def expense(project_id: UUID, expense_id: UUID) -> str:
    travel = when()
    base = f"{API}/projects/{project_id}"
    detail = api_json(base)
    versions = None
    try:
        versions = api_json(f"{base}/expenses/{expense_id}/history")["versions"]
    except Forbidden:  # versions are for auditors; the current state is for every reader
        current = api_json(f"{base}/expenses/{expense_id}")
    else:
        if travel.as_of is not None:
            versions = [v for v in versions
                        if parse_moment(v["recorded_at"]) <= travel.as_of]
        if not versions:
            raise NotFound("The expense was not recorded yet at that moment.")
        current = versions[-1]["expense"]
    return render_template("pages/expense.html", project=detail, expense=current,
                           versions=versions, fields=_expense_fields(versions))


EXPENSE_FIELDS = ("document_number", "document_type", "supplier", "description", "budget_line",
                  "activity", "tax_point_date", "amount_net", "vat", "eligible_amount",
                  "paid_on", "status", "time_eligible", "claim_number", "approved",
                  "reversal_reason")


def _expense_fields(versions: list[dict[str, Any]] | None) -> list[str]:
    if not versions:
        return list(EXPENSE_FIELDS)
    return [f for f in EXPENSE_FIELDS if any(f in v["expense"] for v in versions)]


# Downloads: the API's files, fetched with the session's token (never a token in a URL).
DOWNLOADS = {
    "export": ("export", {}, "application/zip"),
    "expenses.csv": ("expenses", {"format": "csv"}, "text/csv"),
    "expenses.xlsx": ("expenses", {"format": "xlsx"}, None),
    **{f"{view}.xlsx": (f"views/{view}", {"format": "xlsx"}, None) for view in VIEWS},
}


@pages.get("/projects/<uuid:project_id>/files/<name>")
def download(project_id: UUID, name: str) -> Response:
    if name not in DOWNLOADS:
        raise NotFound("There is no such file.")
    path, query, accept = DOWNLOADS[name]
    if name.endswith(".xlsx") and path.startswith("views/"):
        query = {**query, **when().api_query}
    return _file(f"{API}/projects/{project_id}/{path}", query, accept or "*/*")


@pages.get("/projects/<uuid:project_id>/claims/<claim_number>/documents.<file_format>")
def claim_documents(project_id: UUID, claim_number: str, file_format: str) -> Response:
    if file_format not in ("csv", "xlsx"):
        raise NotFound("The list of documents comes as csv or xlsx.")
    lang = request.args.get("lang") or "cs"
    if lang not in ("cs", "en"):
        raise BadRequest(f"lang={lang!r}: choose cs or en")
    return _file(f"{API}/projects/{project_id}/payment-claims/{claim_number}/documents",
                 {"format": file_format, "lang": lang}, "*/*")


def _file(path: str, query: dict[str, str], accept: str) -> Response:
    answer = api_get(path, query, accept)
    response = Response(answer.body, 200, content_type=answer.headers.get("Content-Type"))
    disposition = answer.headers.get("Content-Disposition")
    if disposition:
        response.headers["Content-Disposition"] = disposition
    return response


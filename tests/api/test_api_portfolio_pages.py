"""The portfolio a page at a time (API.md 1.2, "A programme's worth of projects"): paging by
cursor with exact rows, the filters, totals over every page, what each principal may read,
ETags per page, `as_of`, and refusals of bad parameters; from the projector's index and, for
what it has not reached yet, folded (SQLite; tests/integration for PostgreSQL)."""

from __future__ import annotations

import gzip
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from api_builders import PROJECTS, expense_body, post, problem, project_path
from flask import Flask
from flask.testing import FlaskClient
from portfolio_world import (
    ICO_A,
    ICO_B,
    acronyms,
    all_pages,
    portfolio,
    project,
    register_programme,
    totals,
)

from schemas.queries import FLAG_RULES
from service.reads.projector import Projector
from service.store.portfolio import PHASE_SQL, STATUS_SQL, PortfolioFilter
from service.store.portfolio_figures import PortfolioFigures, portfolio_figures
from service.web import compression

JANA = "jana"  # a static token's holder with no global role (tests/support.py)


@pytest.fixture
def programme(app: Flask, client: FlaskClient) -> dict[str, str]:
    """P1..P5 registered, each with its expense, and the projector caught up."""
    ids = register_programme(client)
    project(app)
    return ids


ALL = totals(5, "300000.00", "150000.00", 50)


def test_the_portfolio_is_paged_in_the_order_of_registration_with_totals_over_every_page(
        client: FlaskClient, programme: dict[str, str]) -> None:
    pages = all_pages(client, "limit=2")

    assert [acronyms(page) for page in pages] == [["P1", "P2"], ["P3", "P4"], ["P5"]]
    assert [page["next_cursor"] is None for page in pages] == [False, False, True]
    assert [page["totals"] for page in pages] == [ALL, ALL, ALL]
    assert [row["project_id"] for page in pages for row in page["projects"]] == list(
        programme.values())


def test_without_a_limit_a_page_is_up_to_a_thousand_projects(
        client: FlaskClient, programme: dict[str, str]) -> None:
    body = portfolio(client).get_json()

    assert (acronyms(body), body["next_cursor"], body["totals"], body["position"]) == (
        ["P1", "P2", "P3", "P4", "P5"], None, ALL, 10)


def test_the_cursor_of_a_page_leads_to_the_rest(
        client: FlaskClient, programme: dict[str, str]) -> None:
    first = portfolio(client, "limit=4").get_json()

    rest = portfolio(client, f"limit=4&cursor={first['next_cursor']}").get_json()

    assert (acronyms(first), acronyms(rest), rest["next_cursor"]) == (
        ["P1", "P2", "P3", "P4"], ["P5"], None)


@pytest.mark.parametrize(("query", "expected", "expected_totals"), [
    ("flag=EXPENSE_OUTSIDE_PERIOD", ["P2", "P4"], totals(2, "0.00", "0.00", 24)),
    ("flag=REPORT_OVERDUE", ["P1", "P2", "P4", "P5"],
     totals(4, "200000.00", "100000.00", 46)),
    ("flag=LINE_OVERRUN", [], totals(0, "0.00", "0.00", 0)),
    (f"beneficiary_ico={ICO_A}", ["P1", "P3", "P5"], totals(3, "300000.00", "150000.00", 26)),
    (f"beneficiary_ico={ICO_B}", ["P2", "P4"], totals(2, "0.00", "0.00", 24)),
    ("beneficiary_ico=99999999", [], totals(0, "0.00", "0.00", 0)),
    ("overdue=true", ["P1", "P2", "P4", "P5"], totals(4, "200000.00", "100000.00", 46)),
    ("overdue=false", ["P3"], totals(1, "100000.00", "50000.00", 4)),
    (f"overdue=true&beneficiary_ico={ICO_A}&flag=MILESTONE_MISSED", ["P1", "P5"],
     totals(2, "200000.00", "100000.00", 22)),
])
def test_each_filter_pages_and_sums_the_projects_that_match(
        client: FlaskClient, programme: dict[str, str], query: str, expected: list[str],
        expected_totals: dict[str, object]) -> None:
    pages = all_pages(client, f"{query}&limit=1")

    assert [acronyms(page) for page in pages] == ([[a] for a in expected] or [[]])
    assert {str(page["totals"]) for page in pages} == {str(expected_totals)}


def test_a_project_written_after_the_projector_ran_is_in_its_page_and_the_totals(
        client: FlaskClient, programme: dict[str, str]) -> None:
    post(client, project_path(programme["P3"], "expenses"),
         expense_body("RENT", "20000.00"), "accountant")

    body = portfolio(client, "limit=3").get_json()

    assert (acronyms(body), body["projects"][2]["eligible_capped"], body["totals"]) == (
        ["P1", "P2", "P3"], "120000.00", totals(5, "320000.00", "160000.00", 50))


def test_without_the_projector_the_pages_are_folded_the_same_without_totals(
        client: FlaskClient) -> None:
    register_programme(client)

    pages = all_pages(client, "limit=2&flag=EXPENSE_OUTSIDE_PERIOD")

    assert [(acronyms(page), page["totals"]) for page in pages] == [(["P2", "P4"], None)]


def test_the_projectors_rows_and_the_folded_rows_are_the_same(
        app: Flask, client: FlaskClient) -> None:
    register_programme(client)
    folded = portfolio(client, "limit=3").get_json()
    project(app)

    stored = portfolio(client, "limit=3").get_json()

    assert (stored["projects"], stored["next_cursor"]) == (
        folded["projects"], folded["next_cursor"])


# ---- who reads what ------------------------------------------------------------------------


def test_a_principal_with_grants_pages_through_its_projects_only_and_sums_them_only(
        client: FlaskClient, programme: dict[str, str]) -> None:
    for acronym in ("P2", "P3", "P5"):
        post(client, project_path(programme[acronym], "access"),
             {"subject": JANA, "role": "viewer"}, "admin")

    pages = all_pages(client, "limit=2", JANA)

    assert [acronyms(page) for page in pages] == [["P2", "P3"], ["P5"]]
    assert [page["totals"] for page in pages] == [totals(3, "200000.00", "100000.00", 27)] * 2


def test_a_principal_with_grants_filters_among_its_projects(
        client: FlaskClient, programme: dict[str, str]) -> None:
    for acronym in ("P1", "P2"):
        post(client, project_path(programme[acronym], "access"),
             {"subject": JANA, "role": "accountant"}, "admin")

    body = portfolio(client, f"beneficiary_ico={ICO_A}", JANA).get_json()

    assert (acronyms(body), body["totals"]) == (
        ["P1"], totals(1, "100000.00", "50000.00", 11))


def test_a_principal_without_any_grant_is_refused_the_portfolio(
        client: FlaskClient, programme: dict[str, str]) -> None:
    response = portfolio(client, "", JANA)

    assert (response.status_code, problem(response)["status"]) == (403, 403)


def test_a_global_role_reads_every_project(
        client: FlaskClient, programme: dict[str, str]) -> None:
    assert [portfolio(client, "", role).get_json()["totals"] for role in ("viewer", "auditor")
            ] == [ALL, ALL]


# ---- ETags -----------------------------------------------------------------------------------


def test_each_page_has_its_own_etag_and_is_304_when_asked_again_with_it(
        client: FlaskClient, programme: dict[str, str]) -> None:
    first = portfolio(client, "limit=2")
    second = portfolio(client, f"limit=2&cursor={first.get_json()['next_cursor']}")
    query = f"limit=2&cursor={first.get_json()['next_cursor']}"

    again = portfolio(client, query, If_None_Match=second.headers["ETag"])
    other = portfolio(client, query, If_None_Match=first.headers["ETag"])

    assert first.headers["ETag"] != second.headers["ETag"]
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == (
        304, b"", second.headers["ETag"])
    assert (other.status_code, acronyms(other.get_json())) == (200, ["P3", "P4"])


def test_a_filter_has_its_own_etag_and_a_new_event_changes_it(
        client: FlaskClient, programme: dict[str, str]) -> None:
    plain = portfolio(client).headers["ETag"]
    filtered = portfolio(client, "overdue=true").headers["ETag"]
    post(client, f"{PROJECTS}/{programme['P1']}/expenses", expense_body(), "accountant")

    after = portfolio(client, "overdue=true", If_None_Match=filtered)

    assert plain != filtered
    assert (after.status_code, after.headers["ETag"] != filtered) == (200, True)


def test_the_etag_depends_on_who_reads(client: FlaskClient, programme: dict[str, str]) -> None:
    post(client, project_path(programme["P1"], "access"), {"subject": JANA, "role": "viewer"},
         "admin")
    etag = portfolio(client).headers["ETag"]

    response = portfolio(client, "", JANA, If_None_Match=etag)

    assert (response.status_code, acronyms(response.get_json())) == (200, ["P1"])


def test_a_client_that_accepts_gzip_gets_the_page_gzipped_with_an_etag_of_its_own(
        client: FlaskClient, programme: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compression, "MIN_SIZE", 1024)  # four rows are some 3.6 KB
    plain = portfolio(client, "limit=4")

    packed = portfolio(client, "limit=4", Accept_Encoding="gzip, deflate")
    again = portfolio(client, "limit=4", Accept_Encoding="gzip", If_None_Match=packed.headers[
        "ETag"])
    crossed = portfolio(client, "limit=4", If_None_Match=packed.headers["ETag"])

    assert (packed.headers["Content-Encoding"], packed.headers["Vary"]) == (
        "gzip", "Accept-Encoding")
    assert json.loads(gzip.decompress(packed.get_data())) == plain.get_json()
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    assert (again.status_code, crossed.status_code, "Content-Encoding" in plain.headers) == (
        304, 200, False)


def test_a_small_page_goes_plain_to_a_client_that_accepts_gzip(
        client: FlaskClient, programme: dict[str, str]) -> None:
    small = portfolio(client, "limit=4", Accept_Encoding="gzip")

    assert ("Content-Encoding" in small.headers, len(small.get_data()) < compression.MIN_SIZE,
            acronyms(small.get_json()), small.headers["Vary"]) == (
        False, True, ["P1", "P2", "P3", "P4"], "Accept-Encoding")


# ---- as_of and on ----------------------------------------------------------------------------


def test_a_page_as_of_a_moment_is_folded_and_carries_no_totals(
        client: FlaskClient, programme: dict[str, str]) -> None:
    pages = all_pages(client, "limit=2&as_of=2099-01-01T00:00:00Z")

    assert [(acronyms(page), page["totals"], page["as_of"]) for page in pages] == [
        (["P1", "P2"], None, "2099-01-01T00:00:00Z"), (["P3", "P4"], None, "2099-01-01T00:00:00Z"),
        (["P5"], None, "2099-01-01T00:00:00Z")]


def test_a_page_on_another_day_judges_the_filters_on_that_day(
        client: FlaskClient, programme: dict[str, str]) -> None:
    body = portfolio(client, "on=2016-05-01&flag=REPORT_OVERDUE").get_json()
    later = portfolio(client, "on=2018-01-01&overdue=true&limit=3").get_json()

    assert (body["projects"], body["next_cursor"], body["totals"], body["on"]) == (
        [], None, None, "2016-05-01")
    assert (acronyms(later), later["next_cursor"] is not None) == (["P1", "P2", "P4"], True)


# ---- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "field", "message"), [
    ("limit=0", "limit", "Must be greater than or equal to 1 and less than or equal to 1000."),
    ("limit=1001", "limit",
     "Must be greater than or equal to 1 and less than or equal to 1000."),
    ("limit=many", "limit", "Not a valid integer."),
    ("flag=LATE", "flag", "Not a rule of a compliance flag; choose one of: "
     "EXPENSE_OUTSIDE_PERIOD, LINE_OVERRUN, EXPENSE_UNPAID, SUBSIDY_CAP_REACHED, "
     "ACTIVITY_OVERDUE, ACTIVITY_COMPLETED_LATE, MILESTONE_OVERDUE, MILESTONE_LATE, "
     "MILESTONE_MISSED, FINAL_CLAIM_OVERDUE, REPORT_OVERDUE, INDICATOR_SHORTFALL, "
     "CLAIM_WITHOUT_REPORT."),
    ("beneficiary_ico=1234567", "beneficiary_ico", "An IČO is 8 digits."),
    ("overdue=yes", "overdue", "Give true (an overdue report) or false (none)."),
])
def test_a_bad_parameter_is_400_saying_how_to_fix_it(
        client: FlaskClient, programme: dict[str, str], query: str, field: str,
        message: str) -> None:
    response = portfolio(client, query)

    body = problem(response)
    assert (response.status_code, body["errors"]) == (400, {field: [message]})


def test_a_cursor_not_handed_out_is_400(client: FlaskClient, programme: dict[str, str]) -> None:
    response = portfolio(client, "cursor=not-a-cursor")

    assert (response.status_code, problem(response)["detail"]) == (
        400, "the cursor is not one this service handed out")


# ---- the kept sums ---------------------------------------------------------------------------


def figures_summed_from_the_rows(queries: Any) -> PortfolioFigures:
    """/metrics' figures as the database sums them over every index row (what the kept sums
    must equal)."""
    groups = queries_rows(queries, f"SELECT {PHASE_SQL} AS phase, {STATUS_SQL} AS status, "
                          "COUNT(*) AS n, SUM(errors) AS e, SUM(warnings) AS w, "
                          "SUM(reports_overdue) AS o, SUM(CASE WHEN reports_overdue > 0 THEN 1 "
                          "ELSE 0 END) AS l, SUM(indicators_shortfall) AS s "
                          "FROM grantledger_portfolio GROUP BY 1, 2")
    rules = queries_rows(queries, "SELECT rule, SUM(flags) AS f FROM grantledger_portfolio_flags "
                                  "GROUP BY rule")
    return PortfolioFigures(
        {(g["phase"], g["status"]): int(g["n"]) for g in groups},
        *(sum(int(g[name]) for g in groups) for name in "ewols"),
        {row["rule"]: int(row["f"]) for row in rules})


def queries_rows(queries: Any, statement: str) -> list[Any]:
    with queries._cursor(commit=False) as cursor:
        cursor.execute(queries._sql(statement), [])
        return list(cursor.fetchall())


def test_the_sums_the_projector_keeps_are_those_of_the_rows_after_changes_and_a_new_day(
        app: Flask, client: FlaskClient, programme: dict[str, str]) -> None:
    post(client, project_path(programme["P4"], "expenses"),
         expense_body("RENT", "20000.00", tax_point_date="2016-03-01"), "accountant")
    post(client, project_path(programme["P1"], "expenses"), expense_body("RENT", "1000.50"),
         "accountant")
    project(app)
    Projector(app.extensions["grantledger"], today=lambda: date(2017, 1, 1)).run_once()
    queries = app.extensions["grantledger"].queries
    questions = [PortfolioFilter(), PortfolioFilter(overdue=True), PortfolioFilter(overdue=False),
                 *(PortfolioFilter(flag=rule) for rule in FLAG_RULES)]

    kept = [queries.portfolio_totals(where) for where in questions]
    figures = portfolio_figures(queries)

    assert kept == [queries._summed(where) for where in questions]
    assert figures == figures_summed_from_the_rows(queries)
    assert (figures.projects, figures.flags_by_rule) == (
        {("realisation", "ok"): 3, ("realisation", "warning"): 2}, {"EXPENSE_OUTSIDE_PERIOD": 3})
    # On 2017-01-01 the only open flags are the expenses before the start: P2's, P4's two.
    assert (kept[0].projects, kept[0].eligible, kept[0].open_flags) == (
        5, Decimal("301000.50"), 3)

"""The portfolio a page at a time on PostgreSQL (API.md 1.2): the index's pages and the
database's totals, each filter, what a principal with grants reads, a write the projector has
not reached yet, and ETags per page."""

from __future__ import annotations

import pytest
from api_builders import expense_body, post, project_path
from flask import Flask
from flask.testing import FlaskClient
from portfolio_world import (
    ICO_A,
    acronyms,
    all_pages,
    portfolio,
    project,
    register_programme,
    totals,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def programme(pg_app: Flask, pg_client: FlaskClient) -> dict[str, str]:
    ids = register_programme(pg_client)
    project(pg_app)
    return ids


@pytest.mark.parametrize(("query", "expected", "expected_totals"), [
    ("limit=2", [["P1", "P2"], ["P3", "P4"], ["P5"]], totals(5, "300000.00", "150000.00", 50)),
    ("limit=1&flag=EXPENSE_OUTSIDE_PERIOD", [["P2"], ["P4"]], totals(2, "0.00", "0.00", 24)),
    (f"limit=2&beneficiary_ico={ICO_A}", [["P1", "P3"], ["P5"]],
     totals(3, "300000.00", "150000.00", 26)),
    ("limit=3&overdue=true", [["P1", "P2", "P4"], ["P5"]],
     totals(4, "200000.00", "100000.00", 46)),
    ("overdue=false", [["P3"]], totals(1, "100000.00", "50000.00", 4)),
    ("flag=LINE_OVERRUN", [[]], totals(0, "0.00", "0.00", 0)),
])
def test_the_pages_and_the_totals_of_each_filter(
        pg_client: FlaskClient, programme: dict[str, str], query: str,
        expected: list[list[str]], expected_totals: dict[str, object]) -> None:
    pages = all_pages(pg_client, query)

    assert [acronyms(page) for page in pages] == expected
    assert [page["totals"] for page in pages] == [expected_totals] * len(expected)


def test_a_principal_with_grants_pages_and_sums_its_projects_only(
        pg_client: FlaskClient, programme: dict[str, str]) -> None:
    for acronym in ("P1", "P4", "P5"):
        post(pg_client, project_path(programme[acronym], "access"),
             {"subject": "jana", "role": "viewer"}, "admin")

    pages = all_pages(pg_client, "limit=2", "jana")

    assert [acronyms(page) for page in pages] == [["P1", "P4"], ["P5"]]
    assert [page["totals"] for page in pages] == [totals(3, "200000.00", "100000.00", 34)] * 2


def test_a_write_the_projector_has_not_reached_is_in_the_page_and_the_totals(
        pg_client: FlaskClient, programme: dict[str, str]) -> None:
    post(pg_client, project_path(programme["P2"], "expenses"),
         expense_body("RENT", "30000.00"), "accountant")

    body = portfolio(pg_client, "limit=2").get_json()

    assert (acronyms(body), body["projects"][1]["eligible_capped"], body["totals"]) == (
        ["P1", "P2"], "30000.00", totals(5, "330000.00", "165000.00", 50))


def test_each_page_is_304_with_its_own_etag(
        pg_client: FlaskClient, programme: dict[str, str]) -> None:
    first = portfolio(pg_client, "limit=3")
    query = f"limit=3&cursor={first.get_json()['next_cursor']}"
    second = portfolio(pg_client, query)

    again = [portfolio(pg_client, "limit=3", If_None_Match=first.headers["ETag"]).status_code,
             portfolio(pg_client, query, If_None_Match=second.headers["ETag"]).status_code,
             portfolio(pg_client, query, If_None_Match=first.headers["ETag"]).status_code]

    assert (acronyms(second.get_json()), again) == (["P4", "P5"], [304, 304, 200])

"""The portfolio page a page of the API's portfolio at a time: its totals in either language,
the next page's link keeping the filters, the filters by flag and beneficiary (API.md 1.2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from page_text import czech_money, english_money, figures, plain
from pages_support import SESSION_SECRET, signed_in
from portfolio_world import ICO_B, number, project, register_programme
from support import make_settings

from service.web.app import create_app
from service.web.pages import views as page_views

NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


@pytest.fixture(scope="module")
def programme_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRANTLEDGER_SESSION_SECRET", SESSION_SECRET)
        env.delenv("GRANTLEDGER_OIDC_ISSUER", raising=False)
        env.delenv("GRANTLEDGER_TOKEN_SIGN_IN", raising=False)
        database = Path(tmp_path_factory.mktemp("programme")) / "ledger.db"
        app = create_app(make_settings(f"sqlite:///{database}"))
    register_programme(app.test_client())
    project(app)
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture
def reader(programme_app: Flask) -> FlaskClient:
    page_views.BENEFICIARIES.clear()  # names by project id, kept across the module's apps
    return signed_in(programme_app, "viewer")


def totals(html: str) -> dict[str, str]:
    return {name: plain(unescape(text)) for name, text in
            re.findall(r'data-total="([a-z_]+)">([^<]*)<', html)}


def next_link(html: str) -> str | None:
    found = NEXT.search(html)
    return unescape(found.group(1)) if found else None


def test_the_portfolio_shows_the_totals_of_every_page_in_czech_and_english(
        reader: FlaskClient) -> None:
    czech = reader.get("/app/?flag=EXPENSE_OUTSIDE_PERIOD", headers={"Accept-Language": "cs"})
    english = reader.get("/app/?flag=EXPENSE_OUTSIDE_PERIOD",
                         headers={"Accept-Language": "en"})

    assert totals(czech.text) == {"planned": czech_money("15552400.00"),
                                  "eligible_capped": czech_money("0.00"),
                                  "entitlement": czech_money("0.00"), "flag_count": "24"}
    assert totals(english.text)["planned"] == english_money("15552400.00")
    assert ("Celkem za 2 projekty" in plain(czech.text),
            "Total of 2 projects" in plain(english.text)) == (True, True)


def test_the_next_page_link_keeps_the_filters_and_leads_to_the_rest(
        reader: FlaskClient) -> None:
    first = reader.get("/app/?beneficiary_ico=11111111&limit=2")
    link = next_link(first.text)
    assert link is not None
    second = reader.get(link)

    assert (list(figures(first.text)), list(figures(second.text)), next_link(second.text)) == (
        [number("P1"), number("P3")], [number("P5")], None)
    assert "beneficiary_ico=11111111" in link and "limit=2" in link


def test_the_filter_by_beneficiary_shows_its_projects_only(reader: FlaskClient) -> None:
    page = reader.get(f"/app/?beneficiary_ico={ICO_B}")

    assert (list(figures(page.text)), totals(page.text)["flag_count"]) == (
        [number("P2"), number("P4")], "24")


def test_a_past_moment_shows_its_rows_and_says_it_has_no_totals(reader: FlaskClient) -> None:
    page = reader.get("/app/?as_of=2099-01-01&flag=REPORT_OVERDUE",
                      headers={"Accept-Language": "en"})

    assert (list(figures(page.text)), totals(page.text)) == (
        [number(a) for a in ("P1", "P2", "P4", "P5")], {})
    assert "Totals are summed for the ledger as it stands today only." in plain(page.text)


@pytest.mark.parametrize("query", ["flag=LATE", "beneficiary_ico=123"])
def test_a_bad_filter_is_400(reader: FlaskClient, query: str) -> None:
    assert reader.get(f"/app/?{query}").status_code == 400


def test_the_beneficiaries_come_from_the_rows_without_reading_every_project(
        reader: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project list folds each project it lists: at a programme's size the page took
    seconds to minutes the first time each worker showed it."""
    asked: list[str] = []
    fetch = page_views.api_json
    monkeypatch.setattr(page_views, "api_json",
                        lambda path, *args: asked.append(path) or fetch(path, *args))

    html = reader.get("/app/?beneficiary_ico=11111111").text

    assert asked == ["/api/v1/portfolio"]
    assert plain(html).count("Beneficiary 11111111") == 3

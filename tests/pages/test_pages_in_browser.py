"""The pages in a real browser against `make demo`'s service: sign in with the token its
banner printed, read the portfolio and NEK's page in Czech and in English, figure by figure
against the API, travel back to before the first payment claim, follow a flag to its events.
Every page is checked by axe-core and photographed in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser import Network, Served, browser_missing, launch, serious_violations, start_demo
from page_text import czech_money, english_money, figures, plain
from pages_support import SCREENSHOTS

MONEY = {"cs": czech_money, "en": english_money}
LINE_FIGURES = ("planned", "eligible", "claimed", "remaining")
SUBSIDY_FIGURES = ("eligible_total", "entitlement", "requested", "approved", "paid",
                   "corrections", "net_subsidy", "own_financing")
NEK_NUMBER = "CZ.01.1.02/0.0/0.0/15_009/0002300"


@dataclass
class Browser:
    served: Served
    page: Any
    network: Network
    shots: Path
    nek: str
    playwright: Any

    def open(self, path: str) -> Any:
        return self.page.goto(self.served.base + path)

    def switch_to(self, language: str) -> None:
        """The language switch in the page's header, clicked as a reader does."""
        if self.page.locator("html").get_attribute("lang") != language:
            with self.page.expect_navigation():
                self.page.locator(f"header a[hreflang={language}]").click()
        assert self.page.locator("html").get_attribute("lang") == language

    def check(self, name: str, language: str) -> None:
        """axe-core finds nothing serious on the page; a screenshot of it is kept."""
        self.page.screenshot(path=self.shots / f"{name}-{language}.png", full_page=True)
        assert serious_violations(self.page) == [], name

    def figures(self) -> dict[str, dict[str, str]]:
        return figures(self.page.content())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    try:
        import playwright  # noqa: F401
    except ImportError:
        browser_missing("the playwright package")
    service = start_demo(tmp_path_factory.mktemp("demo"))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def browser(served: Served, tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> Iterator[Browser]:
    """A reader's browser (Czech by default), signed in by the token form."""
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("page-screenshots")
    request.config.stash[SCREENSHOTS] = shots  # named at the end of the run (conftest)
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
        try:
            network = Network(served.base)
            page = context.new_page()
            page.route("**/*", network.handle)
            page.goto(served.pages)
            page.screenshot(path=shots / "sign-in-cs.png", full_page=True)
            page.fill("#token", served.token)
            page.click("form.sign-in button[type=submit]")
            page.wait_for_url(served.pages)
            nek = served.api("/api/v1/projects", registration_number=NEK_NUMBER)
            yield Browser(served, page, network, shots, nek["projects"][0]["id"], playwright)
        finally:
            context.close()


def test_the_token_printed_by_make_demo_signs_in_to_the_portfolio(browser: Browser) -> None:
    assert browser.served.pages == f"{browser.served.base}/app/"
    assert browser.page.url == browser.served.pages
    assert browser.page.locator("h1").inner_text() == "Portfolio"


@pytest.mark.parametrize("language", ["cs", "en"])
def test_the_portfolio_shows_the_apis_figures(browser: Browser, language: str) -> None:
    rows = browser.served.api("/api/v1/portfolio")["projects"]
    money = MONEY[language]
    browser.open("/app/")
    browser.switch_to(language)

    shown = browser.figures()

    assert shown == {row["registration_number"]: {
        "planned": money(row["planned"]), "eligible_capped": money(row["eligible_capped"]),
        "entitlement": money(row["entitlement"])} for row in rows}
    browser.check("portfolio", language)


def expected_budget(budget: dict[str, Any], language: str) -> dict[str, dict[str, str]]:
    money = MONEY[language]
    rows = {line["code"]: {name: money(line[name]) for name in LINE_FIGURES}
            for line in budget["lines"]}
    rows["totals"] = {name: money(budget["totals"][name]) for name in LINE_FIGURES}
    return rows


def expected_subsidy(subsidy: dict[str, Any], language: str) -> dict[str, str]:
    return {name: MONEY[language](subsidy[name]) for name in SUBSIDY_FIGURES}


def shown_subsidy(shown: dict[str, dict[str, str]]) -> dict[str, str]:
    return {name: shown[name][name] for name in SUBSIDY_FIGURES}


@pytest.mark.parametrize("language", ["cs", "en"])
def test_neks_page_shows_the_budget_and_subsidy_views_to_the_haler(
        browser: Browser, language: str) -> None:
    views = f"/api/v1/projects/{browser.nek}/views"
    budget, subsidy = browser.served.api(f"{views}/budget"), browser.served.api(f"{views}/subsidy")
    browser.open("/app/")
    browser.switch_to(language)
    with browser.page.expect_navigation():
        browser.page.get_by_role("link", name=NEK_NUMBER).click()

    shown = browser.figures()

    assert {code: shown[code] for code in expected_budget(budget, language)} == expected_budget(
        budget, language)
    assert shown_subsidy(shown) == expected_subsidy(subsidy, language)
    browser.check("nek", language)


def moment_before_first_claim(served: Served, nek: str) -> str:
    events = served.api(f"/api/v1/projects/{nek}/events", limit="1000")["events"]
    first_claim = next(e for e in events if e["type"] == "PaymentClaimSubmitted")
    return str(events[first_claim["version"] - 2]["recorded_at"])


@pytest.mark.parametrize("language", ["cs", "en"])
def test_as_of_before_the_first_claim_neks_page_shows_the_apis_figures_of_then(
        browser: Browser, language: str) -> None:
    as_of = moment_before_first_claim(browser.served, browser.nek)
    views = f"/api/v1/projects/{browser.nek}/views"
    budget = browser.served.api(f"{views}/budget", as_of=as_of)
    subsidy = browser.served.api(f"{views}/subsidy", as_of=as_of)
    browser.open(f"/app/projects/{browser.nek}?as_of={as_of}")
    browser.switch_to(language)

    shown = browser.figures()

    assert budget["totals"]["claimed"] == "0.00"
    assert {code: shown[code] for code in expected_budget(budget, language)} == expected_budget(
        budget, language)
    assert shown_subsidy(shown) == expected_subsidy(subsidy, language)
    said = plain(browser.page.locator(".as-of").inner_text())
    assert said.startswith("Účetní kniha, jak byla " if language == "cs"
                           else "The ledger as it stood on ")
    browser.check("nek-before-first-claim", language)


def test_the_pickers_show_the_ledger_at_the_end_of_a_day(browser: Browser) -> None:
    browser.open(f"/app/projects/{browser.nek}")
    browser.switch_to("cs")
    browser.page.fill("input[name=as_of]", "2030-03-31")
    browser.page.fill("input[name=on]", "2018-03-31")
    with browser.page.expect_navigation():
        browser.page.click("form.pickers button[type=submit]")

    said = plain(browser.page.locator(".as-of").inner_text())

    assert said.startswith("Účetní kniha, jak byla na konci dne 31. 3. 2030. "
                           "Stavy posouzeny ke dni 31. 3. 2018.")
    assert "as_of=2030-03-31" in browser.page.url


def test_a_flag_links_to_its_events(browser: Browser) -> None:
    browser.open(f"/app/projects/{browser.nek}")
    link = browser.page.locator("li.flag a.event-link").last
    version = link.get_attribute("href").rsplit("#event-", 1)[1]

    with browser.page.expect_navigation():
        link.click()

    event = browser.page.locator(f"#event-{version}")
    assert event.get_attribute("class") == "event highlight"
    assert f"from={version}" in browser.page.url


@pytest.mark.parametrize("language", ["cs", "en"])
def test_every_page_passes_axe_and_is_photographed(browser: Browser, language: str) -> None:
    expense = browser.served.api(f"/api/v1/projects/{browser.nek}/expenses",
                                 limit="1")["expenses"][0]["expense_id"]
    pages = {
        "history": f"/app/projects/{browser.nek}/history",
        "history-filtered": f"/app/projects/{browser.nek}/history?type=PaymentClaimSubmitted",
        "expense": f"/app/projects/{browser.nek}/expenses/{expense}",
        "not-found": "/app/projects/00000000-0000-0000-0000-000000000000",
        "sign-in": "/app/sign-in",
    }
    for name, path in pages.items():
        answer = browser.open(path)
        browser.switch_to(language)
        assert answer.status == (404 if name == "not-found" else 200), name
        browser.check(name, language)


def test_nek_s_accountant_sees_nek_alone(browser: Browser,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """Jana Nováková, granted accountant on NEK by the demo: the portfolio has NEK's row
    alone, and Nanoprogress's page is the API's 404, as if it did not exist."""
    served = browser.served
    listed = served.api("/api/v1/projects", registration_number="DEMO/NANOPROGRESS")
    nanoprogress = listed["projects"][0]["id"]
    context = launch(browser.playwright, tmp_path_factory.mktemp("jana-profile"))
    try:
        page = context.new_page()
        page.goto(served.pages)
        page.fill("#token", served.person_token("jana.novakova"))
        page.click("form.sign-in button[type=submit]")
        page.wait_for_url(served.pages)
        rows = figures(page.content())
        who = page.locator("header .who").inner_text()
        hidden = page.goto(f"{served.base}/app/projects/{nanoprogress}")
    finally:
        context.close()

    assert list(rows) == [NEK_NUMBER]
    assert who == "jana.novakova"  # her name as GET /api/v1/me gives it
    assert hidden.status == 404


def test_the_browser_asked_nothing_but_the_service(browser: Browser) -> None:
    assert browser.network.refused == []
    assert "/app/static/pages.css" in browser.network.passed


def test_the_access_log_shows_the_pages_and_never_a_token(browser: Browser) -> None:
    import time

    time.sleep(0.5)  # the log's thread writes every 0.2 s
    log = browser.served.access_log.read_text()

    assert browser.served.token not in log
    assert f'"path": "/app/projects/{browser.nek}", "status": 200' in log
    assert "/views/indicators" not in log  # the pages' own requests to the API are not logged

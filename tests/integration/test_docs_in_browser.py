"""/docs in a real browser, offline: Debian's chromium, driven by Playwright, with every request
to anything but the service refused. The page is opened directly and behind a proxy that
serves the service under /grantledger/ (it strips the prefix, as nginx's `proxy_pass
http://service/;` does), so every URL the page uses must be relative."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import make_settings, tool_missing
from werkzeug.serving import make_server

from service.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
PREFIX = "/grantledger"


def _unavailable(reason: str) -> None:
    tool_missing(f"the browser test of /docs needs {reason}: install Debian's chromium "
                 "(`apt-get install -y chromium`) and the dev extra (`pip install -e .[dev]`, "
                 "which brings Playwright); `playwright install` is not needed")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a real socket (werkzeug's threaded server), on a fresh SQLite store."""
    app = create_app(make_settings(f"sqlite:///{tmp_path_factory.mktemp('docs') / 'l.db'}"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["grantledger"].close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS)
        try:
            yield context
        finally:
            context.close()


class Network:
    """Answers the page's requests: those for the service (under `prefix`) are passed on to it
    with the prefix stripped; every other one is refused and remembered."""

    def __init__(self, service: str, prefix: str) -> None:
        self.front = service + prefix
        self.service = service
        self.passed: list[str] = []
        self.refused: list[str] = []

    def handle(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.front + "/"):
            path = url[len(self.front):]
            self.passed.append(path)
            route.fulfill(response=route.fetch(url=self.service + path))
        else:
            self.refused.append(url)
            route.abort()


@pytest.fixture
def open_docs(service: str, browser_context: Any) -> Iterator[Any]:
    pages = []

    def open_at(prefix: str) -> tuple[Any, Network]:
        network = Network(service, prefix)
        page = browser_context.new_page()
        pages.append(page)
        page.route("**/*", network.handle)
        page.goto(f"{service}{prefix}/docs")
        return page, network

    yield open_at
    for page in pages:
        page.close()


def operation_count(service: str) -> int:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{service}/openapi.json", timeout=10) as response:
        document = json.loads(response.read())
    return sum(1 for item in document["paths"].values() for method in item
               if method != "parameters")


@pytest.mark.parametrize("prefix", ["", PREFIX])
def test_the_docs_page_renders_every_operation_without_internet(
        open_docs: Any, service: str, prefix: str) -> None:
    page, network = open_docs(prefix)

    page.wait_for_selector(".opblock", timeout=20_000)

    assert page.locator(".opblock").count() == operation_count(service)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/projects/{project_id}/"
                        "expenses").first.is_visible()
    assert network.refused == []
    assert {"/docs", "/openapi.json", "/docs/assets/swagger-ui-bundle.js",
            "/docs/assets/swagger-ui.css"} <= set(network.passed)


def test_an_operation_shows_its_problem_answers_and_its_roles(open_docs: Any) -> None:
    page, network = open_docs(PREFIX)
    record = page.locator(".opblock-post", has_text="Record an expense")
    record.locator(".opblock-summary").click()

    codes = record.locator(".responses-table tr.response .response-col_status")
    codes.first.wait_for(timeout=10_000)

    assert [code.strip() for code in codes.all_inner_texts()] == [
        "201", "400", "401", "403", "404", "409", "413", "415", "422", "503"]
    assert "application/problem+json" in record.locator(".responses-table").inner_text()
    assert "Roles: accountant, admin." in record.inner_text()
    assert network.refused == []


def test_try_it_out_reaches_the_service_under_the_proxys_prefix(open_docs: Any) -> None:
    page, network = open_docs(PREFIX)
    live = page.locator(".opblock-get", has_text="/health/live")
    live.locator(".opblock-summary").click()
    live.get_by_role("button", name="Try it out").click()
    live.get_by_role("button", name="Execute").click()

    status = live.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=10_000)

    assert status.inner_text().strip() == "200"
    assert "/health/live" in network.passed
    assert network.refused == []

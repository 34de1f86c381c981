"""Signing in to the pages with an organisation's account, in a real browser: the
authorization code flow with PKCE against a real OpenID Provider (the npm package
oidc-provider, tests/oidc_provider.py) and its development login form. The access token the
pages get is the one they send to the API, which verifies it as any bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import Served, free_port, launch, start_demo
from jwt_keys import new_key
from oidc_provider import AUDIENCE, RESOURCE_SCOPE, WEB_CLIENT, OidcProvider
from page_text import figures

KEY = new_key("pages-k1")


@pytest.fixture(scope="module")
def provider_and_service(tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[tuple[OidcProvider, Served]]:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/app/sign-in/callback"
    with OidcProvider(tmp_path_factory.mktemp("provider"), [KEY],
                      redirect_uris=[callback]) as provider:
        served = start_demo(
            tmp_path_factory.mktemp("oidc-demo"), port,
            GRANTLEDGER_OIDC_ISSUER=provider.issuer, GRANTLEDGER_OIDC_AUDIENCE=AUDIENCE,
            GRANTLEDGER_OIDC_CLIENT_ID=WEB_CLIENT,
            GRANTLEDGER_OIDC_SCOPES=f"openid profile {RESOURCE_SCOPE}")
        try:
            yield provider, served
        finally:
            served.stop()


def sign_in_with_the_provider(page: Any, login: str) -> None:
    """What a person does: the pages' button, then the provider's login and consent forms."""
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.locator("input[name=prompt][value=consent]").count():
        page.click("button[type=submit]")


def test_a_manager_signs_in_with_the_organisations_account_and_reads_the_portfolio(
        provider_and_service: tuple[OidcProvider, Served],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright.sync_api import sync_playwright

    _, served = provider_and_service
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path_factory.mktemp("oidc-profile"))
        try:
            page = context.new_page()
            page.goto(served.pages, wait_until="load")
            page.goto(f"{served.base}/app/language/en?next=/app/")
            sign_in_with_the_provider(page, "alice")
            page.wait_for_url(served.pages)
            rows = figures(page.content())
            who = page.locator("header .who").inner_text()
            cookie = next(c for c in context.cookies() if c["name"] == "grantledger_session")
            page.click("header form button[type=submit]")
            page.wait_for_load_state()
            after_sign_out = page.url
        finally:
            context.close()

    assert list(rows) == ["CZ.01.1.02/0.0/0.0/15_009/0002300", "DEMO/NANOPROGRESS"]
    assert who == "Alice Nováková"
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Lax", False)
    assert after_sign_out.startswith(f"{served.base}/app/sign-in")
    assert served.token not in served.access_log.read_text()


def test_the_token_form_stays_in_dev_beside_the_organisations_account(
        provider_and_service: tuple[OidcProvider, Served],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    import urllib.request

    _, served = provider_and_service
    with urllib.request.urlopen(f"{served.base}/app/sign-in", timeout=10) as answer:
        page = answer.read().decode()

    assert 'name="token"' in page
    assert "/app/sign-in/oidc" in page


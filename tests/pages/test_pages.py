"""The pages through Flask's test client: who may see what, the figures as the API gives them,
the languages, the moment shown, the headers and the cookie."""

from __future__ import annotations

import base64
import json
import zlib
from itertools import pairwise
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from page_text import czech_money, english_money, figures, plain
from pages_support import SESSION_SECRET, csrf_of, signed_in
from support import auth, token_of

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def api(app: Flask, path: str, role: str = "viewer") -> dict:  # type: ignore[type-arg]
    answer = app.test_client().get(path, headers=auth(role))
    assert answer.status_code == 200, answer.text
    return answer.json  # type: ignore[return-value]


# ---- reaching the pages -------------------------------------------------------------------


def test_the_root_leads_to_the_pages(demo_app: Flask) -> None:
    answer = demo_app.test_client().get("/")

    assert (answer.status_code, answer.headers["Location"]) == (302, "/app/")


def test_a_page_without_a_session_sends_to_sign_in_and_back(demo_app: Flask) -> None:
    answer = demo_app.test_client().get("/app/?sort=acronym")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/app/sign-in?next=/app/?sort%3Dacronym"


def test_signing_in_with_a_token_returns_to_the_page_asked_for(demo_app: Flask) -> None:
    client = demo_app.test_client()
    form = client.get("/app/sign-in?next=/app/?sort%3Dacronym")

    answer = client.post("/app/sign-in", data={
        "csrf": csrf_of(form.text), "token": token_of("viewer"), "next": "/app/?sort=acronym"})

    assert (answer.status_code, answer.headers["Location"]) == (302, "/app/?sort=acronym")
    assert client.get("/app/").status_code == 200


def test_a_token_the_api_does_not_take_signs_nobody_in(demo_app: Flask) -> None:
    client = demo_app.test_client()
    form = client.get("/app/sign-in")

    answer = client.post("/app/sign-in", data={"csrf": csrf_of(form.text),
                                               "token": "x" * 40, "next": "/app/"})

    assert answer.status_code == 401
    assert "tento token nepřijímá" in answer.text
    assert client.get("/app/").status_code == 302


def test_a_sign_in_form_from_elsewhere_is_refused(demo_app: Flask) -> None:
    client = demo_app.test_client()
    client.get("/app/sign-in")

    answer = client.post("/app/sign-in", data={"csrf": "forged", "token": token_of("admin")})

    assert answer.status_code == 400
    assert client.get("/app/").status_code == 302


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/app/",
                                    "/api/v1/portfolio", "/app/\\\\elsewhere"])
def test_after_sign_in_only_a_page_of_the_service_is_a_destination(
        demo_app: Flask, target: str) -> None:
    client = demo_app.test_client()
    form = client.get("/app/sign-in")

    answer = client.post("/app/sign-in", data={"csrf": csrf_of(form.text),
                                               "token": token_of("viewer"), "next": target})

    assert answer.headers["Location"] == "/app/"


def test_signing_out_forgets_the_session(viewer: FlaskClient) -> None:
    page = viewer.get("/app/")

    answer = viewer.post("/app/sign-out", data={"csrf": csrf_of(page.text)})

    assert (answer.status_code, answer.headers["Location"]) == (302, "/app/sign-in")
    assert viewer.get("/app/").status_code == 302


def test_a_session_ends_after_eight_hours(demo_app: Flask) -> None:
    from freezegun import freeze_time

    with freeze_time("2026-12-01 08:00:00") as clock:
        client = signed_in(demo_app, "viewer")
        clock.tick(8 * 3600 - 5)
        assert client.get("/app/").status_code == 200
        clock.tick(10)
        assert client.get("/app/").status_code == 302


def test_without_a_session_secret_sign_in_says_what_the_operator_must_set(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from support import make_settings

    from service.web.app import create_app

    monkeypatch.delenv("GRANTLEDGER_SESSION_SECRET", raising=False)
    app = create_app(make_settings(sqlite_url, access_log="off"))
    try:
        answer = app.test_client().get("/app/sign-in")
    finally:
        app.extensions["grantledger"].close()

    assert answer.status_code == 503
    assert "GRANTLEDGER_SESSION_SECRET" in answer.text


def test_with_an_issuer_the_token_form_is_off_unless_asked_for(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from support import make_settings

    from service.web.app import create_app

    monkeypatch.setenv("GRANTLEDGER_SESSION_SECRET", SESSION_SECRET)
    monkeypatch.setenv("GRANTLEDGER_OIDC_ISSUER", "http://127.0.0.1:9/issuer")
    monkeypatch.setenv("GRANTLEDGER_OIDC_CLIENT_ID", "grantledger-pages")
    app = create_app(make_settings(sqlite_url, access_log="off"))
    try:
        client = app.test_client()
        form = client.get("/app/sign-in")
        posted = client.post("/app/sign-in", data={"csrf": "-", "token": token_of("admin")})
    finally:
        app.extensions["grantledger"].close()

    assert form.status_code == 200
    assert 'name="token"' not in form.text
    assert "/app/sign-in/oidc" in form.text
    assert posted.status_code == 404


# ---- headers and the cookie ---------------------------------------------------------------


def test_every_page_sends_the_security_headers(viewer: FlaskClient, nek: UUID) -> None:
    for path in ("/app/", f"/app/projects/{nek}", "/app/sign-in", f"/app/projects/{uuid4()}"):
        headers = viewer.get(path).headers

        assert headers["Content-Security-Policy"] == CSP
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"],
                headers["Cache-Control"]) == ("DENY", "nosniff", "no-store")


def test_no_page_carries_a_script(viewer: FlaskClient, nek: UUID) -> None:
    for path in ("/app/", f"/app/projects/{nek}", "/app/sign-in"):
        assert "<script" not in viewer.get(path).text
        assert " style=" not in viewer.get(path).text


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("grantledger_session")
    assert cookie is not None
    return cookie.value


def test_the_cookie_is_httponly_lax_and_not_secure_on_loopback(demo_app: Flask) -> None:
    client = demo_app.test_client()
    form = client.get("/app/sign-in", base_url="http://127.0.0.1:8000")

    answer = client.post("/app/sign-in", base_url="http://127.0.0.1:8000", data={
        "csrf": csrf_of(form.text), "token": token_of("viewer")})

    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_cookie_is_secure_off_loopback(demo_app: Flask) -> None:
    client = demo_app.test_client()
    form = client.get("/app/sign-in", base_url="http://grants.example.org")

    answer = client.post("/app/sign-in", base_url="http://grants.example.org", data={
        "csrf": csrf_of(form.text), "token": token_of("viewer")})

    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_cookie_does_not_show_the_token(viewer: FlaskClient) -> None:
    payload = session_cookie(viewer).split(".")
    compressed = payload[0] == ""
    body = payload[1] if compressed else payload[0]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    text = (zlib.decompress(data) if compressed else data).decode()

    assert "token" in json.loads(text)
    assert token_of("viewer") not in text


# ---- what the pages show ------------------------------------------------------------------


def test_the_portfolio_shows_the_apis_figures_in_czech(demo_app: Flask,
                                                       viewer: FlaskClient) -> None:
    rows = api(demo_app, "/api/v1/portfolio")["projects"]

    page = viewer.get("/app/", headers={"Accept-Language": "cs-CZ,cs;q=0.9"})

    shown = figures(page.text)
    assert {row["registration_number"]: {
        "planned": czech_money(row["planned"]),
        "eligible_capped": czech_money(row["eligible_capped"]),
        "entitlement": czech_money(row["entitlement"])} for row in rows} == shown
    assert '<html lang="cs">' in page.text


def test_the_portfolio_speaks_english_to_a_browser_that_prefers_it(
        demo_app: Flask, viewer: FlaskClient) -> None:
    rows = api(demo_app, "/api/v1/portfolio")["projects"]

    page = viewer.get("/app/", headers={"Accept-Language": "en-GB,en;q=0.8,cs;q=0.5"})

    shown = figures(page.text)
    assert {row["registration_number"]: english_money(row["planned"]) for row in rows} == {
        number: cells["planned"] for number, cells in shown.items()}
    assert '<html lang="en">' in page.text and "Subsidy entitlement" in page.text


def test_the_language_switch_overrides_the_browser(viewer: FlaskClient) -> None:
    switched = viewer.get("/app/language/en?next=/app/%3Fsort%3Dacronym",
                          headers={"Accept-Language": "cs"})

    page = viewer.get("/app/", headers={"Accept-Language": "cs"})

    assert switched.headers["Location"] == "/app/?sort=acronym"
    assert '<html lang="en">' in page.text
    assert "CZK 7,776,200.00" in plain(page.text)
    assert "/app/language/cs?next=/app/" in page.text


def test_the_portfolio_sorts_and_filters(viewer: FlaskClient) -> None:
    by_budget = figures(viewer.get("/app/?sort=planned&order=asc").text)
    with_overdue_reports = figures(viewer.get("/app/?flag=REPORT_OVERDUE").text)

    assert list(by_budget) == ["DEMO/NANOPROGRESS", "CZ.01.1.02/0.0/0.0/15_009/0002300"]
    assert list(with_overdue_reports) == ["CZ.01.1.02/0.0/0.0/15_009/0002300"]
    assert viewer.get("/app/?sort=bogus").status_code == 400


@pytest.mark.parametrize(("language", "money"), [("cs", czech_money), ("en", english_money)])
def test_neks_page_shows_the_budget_views_lines_to_the_haler(
        demo_app: Flask, viewer: FlaskClient, nek: UUID, language: str, money: object) -> None:
    budget = api(demo_app, f"/api/v1/projects/{nek}/views/budget")

    page = viewer.get(f"/app/projects/{nek}", headers={"Accept-Language": language})

    expected = {line["code"]: {name: money(line[name])  # type: ignore[operator]
                               for name in ("planned", "eligible", "claimed", "remaining")}
                for line in budget["lines"]}
    expected["totals"] = {name: money(budget["totals"][name])  # type: ignore[operator]
                          for name in ("planned", "eligible", "claimed", "remaining")}
    shown = figures(page.text)
    assert {row: cells for row, cells in shown.items() if row in expected} == expected


def test_neks_page_shows_the_subsidy_views_figures(demo_app: Flask, viewer: FlaskClient,
                                                   nek: UUID) -> None:
    subsidy = api(demo_app, f"/api/v1/projects/{nek}/views/subsidy")

    page = viewer.get(f"/app/projects/{nek}", headers={"Accept-Language": "cs"})

    names = ("eligible_total", "entitlement", "requested", "approved", "paid", "corrections",
             "net_subsidy", "own_financing")
    shown = figures(page.text)
    assert {name: shown[name][name] for name in names} == {
        name: czech_money(subsidy[name]) for name in names}
    assert shown["subsidy_share"]["subsidy_share"] == "50,0 %"


def test_a_project_the_api_does_not_know_is_404(auditor: FlaskClient) -> None:
    for path in (f"/app/projects/{uuid4()}", f"/app/projects/{uuid4()}/history",
                 f"/app/projects/{uuid4()}/expenses/{uuid4()}",
                 f"/app/projects/{uuid4()}/claims/1/documents.csv",
                 "/app/projects/not-a-uuid", "/app/nothing-here"):
        answer = auditor.get(path)

        assert answer.status_code == 404, path
        assert answer.mimetype == "text/html"


def test_a_page_as_of_a_day_before_the_project_was_registered_is_404(
        viewer: FlaskClient, nek: UUID) -> None:
    assert viewer.get(f"/app/projects/{nek}?as_of=2016-01-01").status_code == 404


def test_a_page_says_plainly_when_the_ledger_stood_so(viewer: FlaskClient, nek: UUID) -> None:
    whole_day = plain(viewer.get(f"/app/projects/{nek}?as_of=2030-03-31&on=2018-03-31",
                                 headers={"Accept-Language": "cs"}).text)
    moment = plain(viewer.get("/app/?as_of=2030-07-01T10:15:00Z",
                              headers={"Accept-Language": "en"}).text)

    assert "Účetní kniha, jak byla na konci dne 31. 3. 2030." in whole_day
    assert "Stavy posouzeny ke dni 31. 3. 2018." in whole_day
    assert "The ledger as it stood on 1 Jul 2030 at 12:15:00 (Prague time)." in moment


def test_an_as_of_that_is_no_moment_is_400_saying_how_to_write_it(viewer: FlaskClient,
                                                                  nek: UUID) -> None:
    answer = viewer.get(f"/app/projects/{nek}?as_of=yesterday")

    assert answer.status_code == 400
    assert "give a date (YYYY-MM-DD" in answer.text


def test_the_history_is_for_auditors(viewer: FlaskClient, auditor: FlaskClient,
                                     nek: UUID) -> None:
    refused = viewer.get(f"/app/projects/{nek}/history")
    shown = auditor.get(f"/app/projects/{nek}/history?from=20")

    assert refused.status_code == 403
    assert shown.status_code == 200
    assert 'id="event-20" class="event highlight"' in shown.text
    assert 'id="event-19"' not in shown.text


def test_a_flag_links_to_its_events(viewer: FlaskClient, nek: UUID) -> None:
    page = viewer.get(f"/app/projects/{nek}")

    assert (f'href="/app/projects/{nek}/history?from=20#event-20"' in page.text)


def test_an_expense_shows_its_versions_to_an_auditor(auditor: FlaskClient, viewer: FlaskClient,
                                                     demo_app: Flask, nek: UUID) -> None:
    expense = api(demo_app, f"/api/v1/projects/{nek}/expenses?limit=1")["expenses"][0]
    path = f"/app/projects/{nek}/expenses/{expense['expense_id']}"

    versions = auditor.get(path, headers={"Accept-Language": "en"})
    current = viewer.get(path, headers={"Accept-Language": "en"})

    assert "Version 1" in versions.text
    assert "its earlier versions are shown to auditors" in current.text
    assert english_money(expense["amount_net"]) in plain(current.text)


def test_downloads_come_with_the_session(viewer: FlaskClient, auditor: FlaskClient,
                                         demo_app: Flask, nek: UUID) -> None:
    soupiska = viewer.get(f"/app/projects/{nek}/claims/1/documents.xlsx?lang=en")
    bundle_refused = viewer.get(f"/app/projects/{nek}/files/export")
    bundle = auditor.get(f"/app/projects/{nek}/files/export")
    anonymous = demo_app.test_client().get(f"/app/projects/{nek}/files/budget.xlsx")

    assert soupiska.status_code == 200
    assert soupiska.headers["Content-Disposition"].startswith("attachment;")
    assert soupiska.data[:2] == b"PK"
    assert bundle_refused.status_code == 403
    assert (bundle.status_code, bundle.mimetype) == (200, "application/zip")
    assert anonymous.status_code == 302


def test_a_principal_without_a_role_on_a_project_sees_neither_its_row_nor_its_page(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from support import TOKENS, make_settings

    from service.config import parse_tokens
    from service.demo import NEK_NUMBER, load_demo
    from service.web.app import create_app

    outsider = "outsider-test-token-0123456789abcdef"
    monkeypatch.setenv("GRANTLEDGER_SESSION_SECRET", SESSION_SECRET)
    settings = make_settings(sqlite_url, access_log="off")
    app = create_app(replace(settings, tokens=parse_tokens(f"{TOKENS},outsider:none:{outsider}")))
    try:
        nek = load_demo(app.extensions["grantledger"], say=lambda _: None)[0]
        client = app.test_client()
        form = client.get("/app/sign-in")
        signed = client.post("/app/sign-in", data={"csrf": csrf_of(form.text),
                                                   "token": outsider})
        portfolio = client.get("/app/", headers={"Accept-Language": "en"})
        project = client.get(f"/app/projects/{nek}")
        soupiska = client.get(f"/app/projects/{nek}/claims/1/documents.csv")
    finally:
        app.extensions["grantledger"].close()

    assert (signed.status_code, signed.headers["Location"]) == (302, "/app/")
    assert (portfolio.status_code, figures(portfolio.text)) == (403, {})
    assert NEK_NUMBER not in portfolio.text
    assert (project.status_code, soupiska.status_code) == (404, 404)


def test_the_history_as_of_a_moment_ends_with_the_last_event_recorded_by_then(
        auditor: FlaskClient, demo_app: Flask, nek: UUID) -> None:
    events = api(demo_app, f"/api/v1/projects/{nek}/events?limit=1000", "auditor")["events"]
    last = next(e for e, after in pairwise(events[9:])
                if e["recorded_at"] < after["recorded_at"])  # the last one recorded by then
    version = last["version"]

    page = auditor.get(f"/app/projects/{nek}/history?as_of={last['recorded_at']}")

    assert f'id="event-{version}"' in page.text
    assert f'id="event-{version + 1}"' not in page.text


def test_behind_a_proxy_under_a_prefix_every_link_and_redirect_keeps_it(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from support import make_settings

    from service.web.app import create_app

    monkeypatch.setenv("GRANTLEDGER_SESSION_SECRET", SESSION_SECRET)
    app = create_app(make_settings(sqlite_url, access_log="off", proxy_hops=1))
    proxy = {"X-Forwarded-Prefix": "/ledger", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "grants.example.org"}
    try:
        client = app.test_client()
        away = client.get("/app/", headers=proxy)
        form = client.get("/app/sign-in", headers=proxy)
        signed = client.post("/app/sign-in", headers=proxy, data={
            "csrf": csrf_of(form.text), "token": token_of("viewer"), "next": "/app/"})
    finally:
        app.extensions["grantledger"].close()

    assert away.headers["Location"] == "/ledger/app/sign-in?next=/app/"
    assert 'href="/ledger/app/static/pages.css"' in form.text
    assert 'action="/ledger/app/sign-in"' in form.text
    assert signed.headers["Location"] == "/ledger/app/"
    assert "Secure" in signed.headers["Set-Cookie"]


def test_serve_refuses_a_short_session_secret_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "GRANTLEDGER_SESSION_SECRET": "too-short",
           "GRANTLEDGER_TOKENS": f"admin:admin:{token_of('admin')}"}

    result = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--port", "9"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stderr == ("grantledger: GRANTLEDGER_SESSION_SECRET has 9 characters; it "
                             "needs at least 24 (make one with `grantledger token`)\n")


@pytest.mark.parametrize(("query", "status"), [
    ("as_of=9999-12-31", 400), ("as_of=0001-01-01", 400), ("on=2300-01-01", 400),
    ("as_of=2018-03-31&at=25:00", 400), ("as_of=2018-02-30", 400), ("sort=acronym&order=up", 400),
    ("flag=nope", 400), ("cursor=zzz", 400), ("as_of=2030-01-01T10:00:00", 200),
])
def test_no_parameter_makes_the_portfolio_fail(viewer: FlaskClient, query: str,
                                               status: int) -> None:
    answer = viewer.get(f"/app/?{query}")

    assert (answer.status_code, answer.mimetype) == (status, "text/html")


@pytest.mark.parametrize(("path", "status"), [
    ("history?type=Nope", 400), ("history?recorded_after=x", 400), ("history?from=0", 400),
    ("history?cursor=%25%25", 400), ("history?expense_id=nope", 400), ("history?from=99999", 200),
    ("files/nope", 404), ("claims/99/documents.csv", 404), ("claims/1/documents.pdf", 404),
    ("claims/1/documents.csv?lang=de", 400),
    ("expenses/00000000-0000-0000-0000-000000000000", 404),
])
def test_no_path_or_parameter_makes_a_project_page_fail(auditor: FlaskClient, nek: UUID,
                                                        path: str, status: int) -> None:
    assert auditor.get(f"/app/projects/{nek}/{path}").status_code == status


@pytest.mark.parametrize("token", ["a\nb", "žluťoučký kůň úpěl ďábelské ódy", "x" * 100_000,
                                   f"Bearer {token_of('admin')}", "eyJhbGciOiJub25lIn0.e30."])
def test_a_token_that_is_none_of_the_ledgers_is_refused_as_such(demo_app: Flask,
                                                                token: str) -> None:
    client = demo_app.test_client()
    form = client.get("/app/sign-in")

    answer = client.post("/app/sign-in", data={"csrf": csrf_of(form.text), "token": token})

    assert answer.status_code == 401


@pytest.mark.postgres
def test_on_postgresql_neks_page_shows_the_budget_views_figures(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from support import make_settings

    from service.demo import load_demo
    from service.web.app import create_app

    monkeypatch.setenv("GRANTLEDGER_SESSION_SECRET", SESSION_SECRET)
    app = create_app(make_settings(postgres_url, access_log="off"))
    try:
        nek = load_demo(app.extensions["grantledger"], say=lambda _: None)[0]
        budget = api(app, f"/api/v1/projects/{nek}/views/budget")
        page = signed_in(app, "viewer").get(f"/app/projects/{nek}",
                                            headers={"Accept-Language": "cs"})
    finally:
        app.extensions["grantledger"].close()

    shown = figures(page.text)
    assert {line["code"]: shown[line["code"]]["eligible"] for line in budget["lines"]} == {
        line["code"]: czech_money(line["eligible"]) for line in budget["lines"]}

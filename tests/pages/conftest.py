"""Fixtures for the pages: the app with the demo's projects and a session secret, and clients
signed in by the token form as a user does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import make_settings, token_of

from service.demo import load_demo
from service.web.app import create_app

SESSION_SECRET = "pages-test-session-secret-0123456789"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRANTLEDGER_SESSION_SECRET", SESSION_SECRET)
        env.delenv("GRANTLEDGER_OIDC_ISSUER", raising=False)
        env.delenv("GRANTLEDGER_TOKEN_SIGN_IN", raising=False)
        database = Path(tmp_path_factory.mktemp("pages")) / "ledger.db"
        app = create_app(make_settings(f"sqlite:///{database}", access_log="off"))
    load_demo(app.extensions["grantledger"], say=lambda _: None)
    yield app
    app.extensions["grantledger"].close()


@pytest.fixture(scope="module")
def nek(demo_app: Flask) -> UUID:
    from service.demo import NEK_NUMBER

    return demo_app.extensions["grantledger"].id_for(NEK_NUMBER)  # type: ignore[no-any-return]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def signed_in(app: Flask, role: str = "viewer", **client_options: str) -> FlaskClient:
    client = app.test_client()
    form = client.get("/app/sign-in", **client_options)  # type: ignore[arg-type]
    answer = client.post("/app/sign-in", data={"csrf": csrf_of(form.text),
                                               "token": token_of(role), "next": "/app/"},
                         **client_options)  # type: ignore[arg-type]
    assert answer.status_code == 302, answer.text
    return client


@pytest.fixture
def viewer(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "viewer")


@pytest.fixture
def auditor(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "auditor")

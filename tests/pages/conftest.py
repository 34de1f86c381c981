"""Fixtures for the pages: the app with the demo's projects and a session secret, and clients
signed in by the token form as a user does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pages_support import SCREENSHOTS, SESSION_SECRET, signed_in
from support import make_settings

from service.demo import load_demo
from service.web.app import create_app


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Where the browser tests left their screenshots of every page, for a reviewer."""
    folder = config.stash.get(SCREENSHOTS, None)
    if folder is not None:
        terminalreporter.write_line(f"screenshots of the pages: {folder}")


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


@pytest.fixture
def viewer(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "viewer")


@pytest.fixture
def auditor(demo_app: Flask) -> FlaskClient:
    return signed_in(demo_app, "auditor")

"""Helpers of the pages' tests: signing in as a user does (the form and its CSRF token)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import token_of

SESSION_SECRET = "pages-test-session-secret-0123456789"
# Where the browser tests put their screenshots; the run names the folder at its end.
SCREENSHOTS = pytest.StashKey[Path]()


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

"""The API with OpenID Connect configured, against a real provider (tests/oidc_provider.py):
its access tokens are principals (subject `<issuer>#<sub>`, global roles from the claim),
granted roles per project like static tokens' holders, and refused tokens are 401s that name
the reason and never echo the token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_builders import API, expense_body, nek_registration, project_path
from flask import Flask
from flask.testing import FlaskClient
from jwt_keys import access_claims, new_key
from oidc_provider import AUDIENCE, OidcProvider
from support import auth, make_settings

from service.identity import OidcSettings
from service.web.app import create_app

KEY1 = new_key("api-key-1")
KEY2 = new_key("api-key-2")


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OidcProvider]:
    with OidcProvider(tmp_path, [KEY1]) as provider:
        yield provider


@pytest.fixture
def app(sqlite_url: str, provider: OidcProvider) -> Iterator[Flask]:
    """The app accepting the provider's access tokens; a key it lacks may be fetched at once
    (no 30 s pause between fetches, so the test needs no clock of its own)."""
    oidc = OidcSettings(issuer=provider.issuer, audience=AUDIENCE, refetch_interval=0.0)
    app = create_app(make_settings(sqlite_url, oidc=oidc))
    yield app
    app.extensions["grantledger"].close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def registered(client: FlaskClient) -> str:
    answer = client.post(f"{API}/projects", json=nek_registration(), headers=auth("admin"))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return str(answer.get_json()["id"])


def test_a_providers_token_is_a_principal_with_its_subject_name_and_global_roles(
        client: FlaskClient, provider: OidcProvider) -> None:
    me = client.get(f"{API}/me", headers=bearer(provider.token("importer")))

    assert (me.status_code, me.get_json()) == (200, {
        "subject": f"{provider.issuer}#importer", "name": "Expense importer",
        "global_roles": ["accountant"], "projects": []})


def test_a_command_under_a_tokens_global_role_records_its_subject(
        client: FlaskClient, provider: OidcProvider) -> None:
    project = registered(client)

    posted = client.post(project_path(project, "expenses"), json=expense_body(),
                         headers=bearer(provider.token("importer")))

    events = client.get(project_path(project, "events"), headers=auth("auditor")).get_json()
    assert posted.status_code == 201
    assert events["events"][-1]["recorded_by"] == {
        "name": "Expense importer", "role": "accountant",
        "subject": f"{provider.issuer}#importer"}


def test_a_subject_without_a_role_reads_a_project_only_once_granted(
        client: FlaskClient, provider: OidcProvider) -> None:
    project = registered(client)
    token = provider.token("nobody")
    before = client.get(project_path(project, "views/budget"), headers=bearer(token))

    client.post(project_path(project, "access"), headers=auth("admin"),
                json={"subject": f"{provider.issuer}#nobody", "role": "viewer"})

    after = client.get(project_path(project, "views/budget"), headers=bearer(token))
    assert (before.status_code, after.status_code) == (404, 200)


@pytest.mark.parametrize(("audience", "lifetime", "reason"), [
    (AUDIENCE, -120, "the token has expired"),
    ("https://another.api", 300, "the token is not for this audience"),
])
def test_a_refused_token_is_401_naming_the_reason_without_echoing_it(
        client: FlaskClient, provider: OidcProvider, audience: str, lifetime: int,
        reason: str) -> None:
    token = KEY1.sign(access_claims(provider.issuer, audience, lifetime=lifetime))

    answer = client.get(f"{API}/projects", headers=bearer(token))

    assert (answer.status_code, answer.headers["WWW-Authenticate"],
            answer.get_json()["detail"]) == (
        401, f'Bearer error="invalid_token", error_description="{reason}"',
        f"the bearer token is refused: {reason}")
    assert token not in answer.get_data(as_text=True)


def test_with_the_provider_down_known_keys_verify_and_an_unknown_one_is_503(
        client: FlaskClient, provider: OidcProvider) -> None:
    known = provider.token("auditor-robot")
    assert client.get(f"{API}/me", headers=bearer(known)).status_code == 200
    provider.restart([KEY2])
    unknown = provider.token("auditor-robot")
    provider.stop()

    answers = [client.get(f"{API}/me", headers=bearer(token)) for token in (known, unknown)]

    assert [a.status_code for a in answers] == [200, 503]
    assert (answers[1].get_json()["type"], answers[1].headers["Retry-After"].isdigit()) == (
        "urn:grantledger:problem:identity-provider-unavailable", True)

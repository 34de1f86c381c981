"""Access tokens of a real OpenID Provider (oidc-provider on Node.js, tests/oidc_provider.py),
verified by service.identity; the provider signs with keys the test gives it, so the test may
sign crafted claims with them too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt_keys import access_claims, new_key
from oidc_provider import AUDIENCE, OidcProvider

from service.identity import (
    IdentityProviderUnavailableError,
    InvalidTokenError,
    OidcSettings,
    OidcVerifier,
    VerifiedToken,
)

KEY1 = new_key("provider-key-1")
KEY2 = new_key("provider-key-2")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[OidcProvider]:
    with OidcProvider(tmp_path, [KEY1]) as provider:
        yield provider


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(provider: OidcProvider, clock: Clock) -> OidcVerifier:
    return OidcVerifier(OidcSettings(issuer=provider.issuer, audience=AUDIENCE), clock)


def refusal(verifier: OidcVerifier, token: str) -> str:
    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(token)
    assert token not in str(refused.value)
    return refused.value.reason


def unverified_exp(token: str) -> datetime:
    return datetime.fromtimestamp(
        jwt.decode(token, options={"verify_signature": False})["exp"], UTC)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_client_credentials_token_verifies_to_its_subject_name_and_roles(
        provider: OidcProvider, verifier: OidcVerifier) -> None:
    token = provider.token("importer")

    verified = verifier.verify(token)

    assert verified == VerifiedToken(subject=f"{provider.issuer}#importer",
                                     name="Expense importer",
                                     global_roles=frozenset({"accountant"}),
                                     expires_at=unverified_exp(token))
    assert 595 <= (verified.expires_at - datetime.now(UTC)).total_seconds() <= 600


def test_a_client_without_claims_is_named_by_its_id_and_has_no_role(
        provider: OidcProvider, verifier: OidcVerifier) -> None:
    verified = verifier.verify(provider.token("nobody"))

    assert (verified.subject, verified.name, verified.global_roles) == (
        f"{provider.issuer}#nobody", "nobody", frozenset())


def test_the_provider_issues_rfc_9068_access_tokens_signed_with_the_tests_key(
        provider: OidcProvider) -> None:
    header = jwt.get_unverified_header(provider.token("importer"))

    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": "provider-key-1"}


@pytest.mark.parametrize(("login", "name", "roles"), [
    ("alice", "Alice Nováková", {"manager"}),
    ("bob", "bob", {"viewer", "admin"}),
    ("carol", "carol@example.test", set()),
])
def test_a_signed_in_users_token_of_the_pkce_code_flow_verifies(
        provider: OidcProvider, verifier: OidcVerifier, login: str, name: str,
        roles: set[str]) -> None:
    verified = verifier.verify(provider.authorization_code_token(login))

    assert (verified.subject, verified.name, verified.global_roles) == (
        f"{provider.issuer}#{login}", name, roles)


def test_an_expired_token_signed_by_the_provider_is_refused(
        provider: OidcProvider, verifier: OidcVerifier) -> None:
    now = int(time.time())
    token = KEY1.sign(access_claims(provider.issuer, AUDIENCE, iat=now - 900, exp=now - 61))

    assert refusal(verifier, token) == "the token has expired"


def test_a_token_not_valid_yet_signed_by_the_provider_is_refused(
        provider: OidcProvider, verifier: OidcVerifier) -> None:
    token = KEY1.sign(access_claims(provider.issuer, AUDIENCE, nbf=int(time.time()) + 120,
                                    lifetime=900))

    assert refusal(verifier, token) == "the token is not valid yet"


def test_a_token_of_another_provider_is_refused(
        tmp_path: Path, provider: OidcProvider, verifier: OidcVerifier) -> None:
    (tmp_path / "other").mkdir()
    with OidcProvider(tmp_path / "other", [KEY1]) as other:
        token = other.token("importer")

    assert refusal(verifier, token) == "the token was issued by another issuer"


def test_a_token_for_another_audience_is_refused(provider: OidcProvider, clock: Clock) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=provider.issuer,
                                         audience="https://payroll.example.test"), clock)

    assert refusal(verifier, provider.token("importer")) == "the token is not for this audience"


def test_the_providers_token_with_alg_none_is_refused(
        provider: OidcProvider, verifier: OidcVerifier) -> None:
    _, claims, _ = provider.token("importer").split(".")
    header = b64(json.dumps({"alg": "none", "typ": "at+jwt", "kid": "provider-key-1"}).encode())

    assert refusal(verifier, f"{header}.{claims}.") == "the token's algorithm is not allowed"


def test_a_token_signed_hs256_with_the_providers_public_key_is_refused(
        provider: OidcProvider, verifier: OidcVerifier) -> None:
    published = jwt.PyJWK(provider_jwks(provider)["keys"][0]).key
    secret = published.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header = b64(json.dumps({"alg": "HS256", "typ": "at+jwt",
                             "kid": "provider-key-1"}).encode())
    claims = b64(json.dumps(access_claims(provider.issuer, AUDIENCE,
                                          grantledger_roles=["admin"])).encode())
    signature = hmac.new(secret, f"{header}.{claims}".encode(), hashlib.sha256).digest()

    assert refusal(verifier, f"{header}.{claims}.{b64(signature)}") == (
        "the token's algorithm is not allowed")


def test_a_key_rotated_in_while_the_verifier_runs_is_accepted_after_exactly_one_fetch(
        provider: OidcProvider, verifier: OidcVerifier, clock: Clock) -> None:
    verifier.verify(provider.token("importer"))
    provider.restart([KEY2, KEY1])  # signs with KEY2 from now on
    clock.now += 30
    token = provider.token("importer")

    verified = verifier.verify(token)

    assert (jwt.get_unverified_header(token)["kid"], verified.subject,
            provider.jwks_fetches()) == ("provider-key-2", f"{provider.issuer}#importer", 1)


def test_a_key_the_provider_removed_is_refused_after_the_refetch(
        provider: OidcProvider, verifier: OidcVerifier, clock: Clock) -> None:
    old = provider.token("importer")
    verifier.verify(old)
    provider.restart([KEY2])
    clock.now += 30
    verifier.verify(provider.token("importer"))

    assert (refusal(verifier, old), provider.jwks_fetches()) == (
        "the token's key is not known to the issuer", 1)


def test_while_the_provider_is_down_a_token_of_a_cached_key_verifies(
        provider: OidcProvider, verifier: OidcVerifier, clock: Clock) -> None:
    verifier.verify(provider.token("importer"))
    pid = provider.pid
    provider.stop()
    clock.now += 30

    token = KEY1.sign(access_claims(provider.issuer, AUDIENCE, sub="importer"))

    assert pid is not None and not process_exists(pid)
    assert verifier.verify(token).subject == f"{provider.issuer}#importer"


def test_while_the_provider_is_down_a_token_of_an_unknown_kid_cannot_be_verified(
        provider: OidcProvider, verifier: OidcVerifier, clock: Clock) -> None:
    verifier.verify(provider.token("importer"))
    provider.stop()
    clock.now += 30

    with pytest.raises(IdentityProviderUnavailableError) as unavailable:
        verifier.verify(KEY2.sign(access_claims(provider.issuer, AUDIENCE)))

    assert str(unavailable.value).startswith(
        f"the keys of the OpenID Provider {provider.issuer} could not be fetched: GET "
        f"{provider.issuer}/.well-known/openid-configuration: ")
    assert unavailable.value.retry_after == 30


def test_two_unknown_kids_within_the_refetch_interval_fetch_the_keys_once(
        provider: OidcProvider, verifier: OidcVerifier, clock: Clock) -> None:
    verifier.verify(provider.token("importer"))
    provider.restart()  # the same keys; its count of fetches starts again
    reasons = []
    for kid, after in (("stranger-1", 30), ("stranger-2", 29)):
        clock.now += after
        reasons.append(refusal(verifier, new_key(kid, "ES256").sign(
            access_claims(provider.issuer, AUDIENCE))))

    assert (reasons, provider.jwks_fetches()) == (
        ["the token's key is not known to the issuer"] * 2, 1)


def test_the_provider_stops_without_leaving_a_process(tmp_path: Path) -> None:
    provider = OidcProvider(tmp_path, [KEY1])
    provider.start()
    pid = provider.pid
    provider.stop()

    assert pid is not None and not process_exists(pid)


def provider_jwks(provider: OidcProvider) -> dict[str, Any]:
    import httpx

    keys: dict[str, Any] = httpx.get(f"{provider.issuer}/jwks", timeout=10).json()
    return keys


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

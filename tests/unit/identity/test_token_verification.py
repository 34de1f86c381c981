"""Tokens the tests sign with keys the tiny issuer publishes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.warnings import InsecureKeyLengthWarning
from jwt_keys import ALGORITHMS, SigningKey, access_claims, new_key
from tiny_issuer import AUDIENCE, Clock, TinyIssuer

from service.identity import (
    InvalidTokenError,
    OidcSettings,
    OidcVerifier,
    VerifiedToken,
    looks_like_jwt,
)


def refusal(verifier: OidcVerifier, token: str) -> str:
    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(token)
    assert token not in str(refused.value)
    return refused.value.reason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def test_a_good_token_verifies_to_its_subject_name_and_roles(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    claims = access_claims(issuer.url, AUDIENCE, sub="u-42", name="Alice Nováková",
                           grantledger_roles=["manager", "auditor"])

    verified = verifier.verify(key1.sign(claims))

    assert verified == VerifiedToken(
        subject=f"{issuer.url}#u-42", name="Alice Nováková",
        global_roles=frozenset({"manager", "auditor"}),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC))


@pytest.mark.parametrize(("extra", "name"), [
    ({"name": "Alice", "preferred_username": "alice", "email": "a@example.test"}, "Alice"),
    ({"preferred_username": "alice", "email": "a@example.test"}, "alice"),
    ({"email": "a@example.test"}, "a@example.test"),
    ({"name": "", "preferred_username": ["not a string"]}, "u-42"),
    ({}, "u-42"),
])
def test_the_name_is_name_else_preferred_username_else_email_else_sub(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, extra: dict[str, Any],
        name: str) -> None:
    token = key1.sign(access_claims(issuer.url, AUDIENCE, sub="u-42", **extra))

    assert verifier.verify(token).name == name


@pytest.mark.parametrize(("roles", "expected"), [
    (["viewer", "janitor", "Admin", 7, "admin"], {"viewer", "admin"}),
    ("accountant manager", {"accountant", "manager"}),
    ({"admin": True}, set()),
    (None, set()),
])
def test_global_roles_are_the_known_names_in_the_roles_claim(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, roles: Any,
        expected: set[str]) -> None:
    extra = {} if roles is None else {"grantledger_roles": roles}
    token = key1.sign(access_claims(issuer.url, AUDIENCE, **extra))

    assert verifier.verify(token).global_roles == expected


def test_the_roles_claim_named_in_the_settings_is_read(
        issuer: TinyIssuer, key1: SigningKey) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE,
                                         roles_claim="roles"))
    token = key1.sign(access_claims(issuer.url, AUDIENCE, roles=["auditor"],
                                    grantledger_roles=["admin"]))

    assert verifier.verify(token).global_roles == {"auditor"}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tokens_of_each_allowed_algorithm_verify(algorithm: str, clock: Clock) -> None:
    key = new_key(f"key-{algorithm}", algorithm)
    issuer = TinyIssuer([key])
    try:
        verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE), clock)
        token = key.sign(access_claims(issuer.url, AUDIENCE, sub="robot"))

        assert verifier.verify(token).subject == f"{issuer.url}#robot"
    finally:
        issuer.stop()


def test_a_ps256_token_verifies_with_an_rsa_key_published_without_alg(clock: Clock) -> None:
    key = new_key("rsa", "PS256")
    issuer = TinyIssuer([key])
    public = {name: value for name, value in key.public_jwk().items() if name != "alg"}
    issuer.jwks_body = json.dumps({"keys": [public]}).encode()
    try:
        verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE), clock)

        assert verifier.verify(key.sign(access_claims(issuer.url, AUDIENCE))).name == "robot"
    finally:
        issuer.stop()


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "application/at+jwt", None])
def test_access_token_types_are_accepted(issuer: TinyIssuer, verifier: OidcVerifier,
                                         key1: SigningKey, typ: str | None) -> None:
    token = key1.sign(access_claims(issuer.url, AUDIENCE), typ=typ)

    assert verifier.verify(token).name == "robot"


def test_another_token_type_is_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                       key1: SigningKey) -> None:
    token = key1.sign(access_claims(issuer.url, AUDIENCE), typ="logout+jwt")

    assert refusal(verifier, token) == ("the token is not an access token (its typ is not "
                                        "at+jwt or JWT)")


def test_a_token_past_its_exp_by_more_than_the_leeway_has_expired(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    now = int(time.time())
    token = key1.sign(access_claims(issuer.url, AUDIENCE, iat=now - 600, exp=now - 65))

    assert refusal(verifier, token) == "the token has expired"


def test_a_token_past_its_exp_within_the_leeway_verifies(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    now = int(time.time())
    token = key1.sign(access_claims(issuer.url, AUDIENCE, iat=now - 600, exp=now - 30))

    assert verifier.verify(token).expires_at == datetime.fromtimestamp(now - 30, UTC)


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_a_token_from_the_future_beyond_the_leeway_is_not_valid_yet(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, claim: str) -> None:
    now = int(time.time())
    token = key1.sign(access_claims(issuer.url, AUDIENCE, lifetime=900, **{claim: now + 120}))

    assert refusal(verifier, token) == "the token is not valid yet"


def test_a_token_from_the_future_within_the_leeway_verifies(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    now = int(time.time())
    token = key1.sign(access_claims(issuer.url, AUDIENCE, nbf=now + 30, iat=now + 30))

    assert verifier.verify(token).name == "robot"


@pytest.mark.parametrize("claim", ["exp", "sub", "aud"])
def test_a_token_without_a_required_claim_is_refused(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, claim: str) -> None:
    claims = access_claims(issuer.url, AUDIENCE)
    del claims[claim]

    assert refusal(verifier, key1.sign(claims)) == f"the token has no {claim}"


def test_a_token_with_an_empty_sub_is_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                             key1: SigningKey) -> None:
    token = key1.sign(access_claims(issuer.url, AUDIENCE, sub=" "))

    assert refusal(verifier, token) == "the token has no sub"


def test_a_token_of_another_issuer_is_refused_without_asking_ours(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    token = key1.sign(access_claims("https://other.example.test", AUDIENCE))

    assert refusal(verifier, token) == "the token was issued by another issuer"
    assert issuer.jwks_fetches == 0


def test_a_token_without_an_issuer_is_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                              key1: SigningKey) -> None:
    claims = access_claims(issuer.url, AUDIENCE)
    del claims["iss"]

    assert refusal(verifier, key1.sign(claims)) == "the token has no iss"


def test_a_token_for_another_audience_is_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                                 key1: SigningKey) -> None:
    token = key1.sign(access_claims(issuer.url, "https://payroll.example.test"))

    assert refusal(verifier, token) == "the token is not for this audience"


def test_a_token_for_several_audiences_with_ours_among_them_verifies(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    token = key1.sign(access_claims(issuer.url, ["account", AUDIENCE]))

    assert verifier.verify(token).name == "robot"


def test_an_unsigned_token_alg_none_is_refused_without_asking_the_issuer(
        issuer: TinyIssuer, verifier: OidcVerifier) -> None:
    token = unsigned({"alg": "none", "kid": "k1"}, access_claims(issuer.url, AUDIENCE)) + "."

    assert refusal(verifier, token) == "the token's algorithm is not allowed"
    assert issuer.jwks_fetches == 0


def test_hs256_signed_with_the_issuers_public_key_is_refused(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    """The classic confusion: the public key, which anyone has, used as an HMAC secret."""
    public_pem = key1.private_key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = unsigned({"alg": "HS256", "kid": "k1", "typ": "at+jwt"},
                             access_claims(issuer.url, AUDIENCE))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()

    assert refusal(verifier, f"{signing_input}.{b64(signature)}") == (
        "the token's algorithm is not allowed")


@pytest.mark.parametrize("algorithm", ["RS384", "ES384", "HS512"])
def test_other_algorithms_are_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                      algorithm: str) -> None:
    token = unsigned({"alg": algorithm, "kid": "k1"}, access_claims(issuer.url, AUDIENCE))

    assert refusal(verifier, f"{token}.c2lnbmF0dXJl") == "the token's algorithm is not allowed"


def test_a_token_naming_an_algorithm_its_key_is_not_for_is_refused(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    forger = new_key("k1", "ES256")  # the kid of the issuer's RSA key

    assert refusal(verifier, forger.sign(access_claims(issuer.url, AUDIENCE))) == (
        "the token's algorithm does not match its key")


def test_a_token_signed_by_another_key_under_a_known_kid_has_an_invalid_signature(
        issuer: TinyIssuer, verifier: OidcVerifier) -> None:
    forger = new_key("k1")

    assert refusal(verifier, forger.sign(access_claims(issuer.url, AUDIENCE))) == (
        "the token's signature is not valid")


def test_a_token_with_altered_claims_has_an_invalid_signature(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    header, _, signature = key1.sign(access_claims(issuer.url, AUDIENCE)).split(".")
    altered = access_claims(issuer.url, AUDIENCE, grantledger_roles=["admin"])
    token = f"{header}.{b64(json.dumps(altered).encode())}.{signature}"

    assert refusal(verifier, token) == "the token's signature is not valid"


def test_a_token_naming_no_key_is_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                          key1: SigningKey) -> None:
    token = key1.sign(access_claims(issuer.url, AUDIENCE), kid=None)

    assert refusal(verifier, token) == "the token names no key (kid)"


@pytest.mark.parametrize("token", ["abc.def.ghi", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
                                   "a.b", "not a token"])
def test_what_is_not_a_jwt_is_refused(verifier: OidcVerifier, token: str) -> None:
    assert refusal(verifier, token) == "the token is not a well-formed JWT"


def test_an_exp_that_is_no_moment_is_refused(issuer: TinyIssuer, verifier: OidcVerifier,
                                             key1: SigningKey) -> None:
    token = key1.sign(access_claims(issuer.url, AUDIENCE, exp=10**20))

    assert refusal(verifier, token) == "the token's exp is not a moment (seconds since 1970)"


@pytest.mark.parametrize(("token", "expected"), [
    ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", True),
    ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", True),
    ("Xq3v0wJ2bq9QeZP1mB1s9Xk0v7m3Jr2pW4yT5uA6cD8", False),
    ("viewer-test-token-0123456789abcdef", False),
    ("a.b", False),
    ("a.b.c.d", False),
    ("a+b.c/d.e=", False),
    ("", False),
])
def test_looks_like_jwt_tells_jwts_from_static_tokens(token: str, expected: bool) -> None:
    assert looks_like_jwt(token) is expected


def test_a_token_of_an_rsa_key_shorter_than_2048_bits_is_refused(clock: Clock) -> None:
    weak = SigningKey("weak", "RS256", rsa.generate_private_key(public_exponent=65537,
                                                                key_size=1024))
    issuer = TinyIssuer([weak])
    try:
        verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE), clock)
        with pytest.warns(InsecureKeyLengthWarning):  # PyJWT signs, and says so
            token = weak.sign(access_claims(issuer.url, AUDIENCE))

        assert refusal(verifier, token) == "the token's key is too weak"
    finally:
        issuer.stop()

"""When the verifier fetches the issuer's keys, and what it does when it cannot."""

from __future__ import annotations

import json
import threading

import pytest
from jwt_keys import SigningKey, access_claims, new_key
from tiny_issuer import AUDIENCE, Clock, TinyIssuer

from service.identity import (
    IdentityProviderUnavailableError,
    InvalidTokenError,
    OidcSettings,
    OidcVerifier,
)


def token_of(issuer: TinyIssuer, key: SigningKey, sub: str = "robot") -> str:
    return key.sign(access_claims(issuer.url, AUDIENCE, sub=sub))


def test_keys_are_fetched_on_first_need_not_when_the_verifier_is_made(
        issuer: TinyIssuer, key1: SigningKey, clock: Clock) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE), clock)
    assert issuer.jwks_fetches == 0

    verifier.verify(token_of(issuer, key1, "a"))
    verifier.verify(token_of(issuer, key1, "b"))

    assert issuer.jwks_fetches == 1


def test_a_key_rotated_in_is_accepted_after_exactly_one_fetch(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    verifier.verify(token_of(issuer, key1))
    clock.advance(30)
    issuer.keys = [key2, key1]

    verified = verifier.verify(token_of(issuer, key2, "after-rotation"))

    assert (verified.subject, issuer.jwks_fetches) == (f"{issuer.url}#after-rotation", 2)


def test_a_withdrawn_key_is_refused_after_the_refetch_even_for_a_token_verified_before(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    old = token_of(issuer, key1)
    verifier.verify(old)
    clock.advance(60)
    issuer.keys = [key2]
    verifier.verify(token_of(issuer, key2))

    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(old)

    assert (refused.value.reason, issuer.jwks_fetches) == (
        "the token's key is not known to the issuer", 2)


def test_unknown_kids_fetch_the_keys_at_most_once_in_the_refetch_interval(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, clock: Clock) -> None:
    verifier.verify(token_of(issuer, key1))
    clock.advance(30)
    reasons = []
    for kid in ("stranger-1", "stranger-2"):
        clock.advance(10)
        with pytest.raises(InvalidTokenError) as refused:
            verifier.verify(token_of(issuer, new_key(kid, "ES256")))
        reasons.append(refused.value.reason)

    assert (reasons, issuer.jwks_fetches) == (
        ["the token's key is not known to the issuer"] * 2, 2)


def test_an_unknown_kid_after_the_refetch_interval_fetches_again(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    stranger = new_key("stranger", "ES256")
    verifier.verify(token_of(issuer, key1))
    clock.advance(30)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token_of(issuer, stranger))
    issuer.keys = [key1, stranger]
    clock.advance(29.9)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token_of(issuer, stranger))

    clock.advance(0.1)

    assert (verifier.verify(token_of(issuer, stranger)).name, issuer.jwks_fetches) == (
        "robot", 3)


def test_threads_meeting_a_new_kid_at_once_fetch_the_keys_once(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    verifier.verify(token_of(issuer, key1))
    clock.advance(30)
    issuer.keys = [key1, key2]
    tokens = [token_of(issuer, key2, f"thread-{n}") for n in range(8)]
    subjects: list[str] = []
    start = threading.Barrier(len(tokens))

    def verify(token: str) -> None:
        start.wait()
        subjects.append(verifier.verify(token).subject)

    threads = [threading.Thread(target=verify, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (sorted(subjects), issuer.jwks_fetches) == (
        sorted(f"{issuer.url}#thread-{n}" for n in range(8)), 2)


def test_while_the_issuer_is_down_a_token_of_a_cached_key_verifies(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    verifier.verify(token_of(issuer, key1, "before"))
    issuer.stop()

    assert verifier.verify(token_of(issuer, key1, "during")).subject == f"{issuer.url}#during"


def test_while_the_issuer_is_down_a_token_of_an_unknown_kid_cannot_be_verified(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    verifier.verify(token_of(issuer, key1))
    issuer.stop()
    clock.advance(30)

    with pytest.raises(IdentityProviderUnavailableError) as unavailable:
        verifier.verify(token_of(issuer, key2))

    assert str(unavailable.value).startswith(
        f"the keys of the OpenID Provider {issuer.url} could not be fetched: "
        f"GET {issuer.url}/.well-known/openid-configuration: ")
    assert unavailable.value.retry_after == 30  # the next fetch may be tried in 30 s


def test_after_a_failed_fetch_the_next_is_tried_after_the_refetch_interval(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, clock: Clock) -> None:
    issuer.jwks_status = 503
    with pytest.raises(IdentityProviderUnavailableError):
        verifier.verify(token_of(issuer, key1))
    issuer.jwks_status = 200
    clock.advance(20)
    with pytest.raises(IdentityProviderUnavailableError) as unavailable:
        verifier.verify(token_of(issuer, key1))
    assert unavailable.value.retry_after == 10

    clock.advance(10)

    assert (verifier.verify(token_of(issuer, key1)).name, issuer.jwks_fetches) == ("robot", 2)


@pytest.mark.parametrize(("status", "body", "problem"), [
    (500, b"{}", "GET {url}/jwks answered 500"),
    (200, b"<html>", "GET {url}/jwks answered with no JSON"),
    (200, b'{"keys": "none"}', "it is not a JWK set (an object with a list of keys)"),
])
def test_a_key_set_that_cannot_be_read_makes_the_issuer_unavailable(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, status: int,
        body: bytes, problem: str) -> None:
    issuer.jwks_status, issuer.jwks_body = status, body

    with pytest.raises(IdentityProviderUnavailableError) as unavailable:
        verifier.verify(token_of(issuer, key1))

    assert str(unavailable.value) == (f"the keys of the OpenID Provider {issuer.url} could not "
                                      f"be fetched: {problem.format(url=issuer.url)}")


def test_a_discovery_document_of_another_issuer_makes_the_issuer_unavailable(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey) -> None:
    issuer.discovered_issuer = "https://impostor.example.test"

    with pytest.raises(IdentityProviderUnavailableError) as unavailable:
        verifier.verify(token_of(issuer, key1))

    assert str(unavailable.value) == (
        f"the keys of the OpenID Provider {issuer.url} could not be fetched: its discovery "
        "document names the issuer 'https://impostor.example.test'")
    assert issuer.jwks_fetches == 0


def test_keys_older_than_their_max_age_are_fetched_again_so_a_withdrawn_key_stops(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    verifier.verify(token_of(issuer, key1, "early"))
    issuer.keys = [key2]
    clock.advance(899)
    verifier.verify(token_of(issuer, key1, "still-cached"))
    clock.advance(1)

    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(token_of(issuer, key1, "late"))

    assert (refused.value.reason, issuer.jwks_fetches) == (
        "the token's key is not known to the issuer", 2)


def test_old_keys_still_verify_while_the_issuer_is_down(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, clock: Clock) -> None:
    verifier.verify(token_of(issuer, key1, "early"))
    issuer.stop()
    clock.advance(3600)

    assert verifier.verify(token_of(issuer, key1, "late")).subject == f"{issuer.url}#late"


def test_a_token_verified_once_is_remembered_until_its_exp(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, clock: Clock) -> None:
    token = token_of(issuer, key1)
    first = verifier.verify(token)
    clock.advance(299)
    remembered = verifier.verify(token)
    clock.advance(1)

    again = verifier.verify(token)  # exp reached on the verifier's clock: verified anew

    assert (remembered is first, again is first, again == first) == (True, False, True)


def test_encryption_keys_secrets_and_broken_keys_in_the_key_set_are_left_out(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey) -> None:
    published = [{**key2.public_jwk(), "use": "enc"},
                 {**key1.private_jwk(), "key_ops": ["sign"]},  # private members are ignored
                 {"kty": "oct", "kid": "k3", "k": "c2VjcmV0"},
                 {"kty": "RSA", "kid": "k4"}]
    issuer.jwks_body = json.dumps({"keys": published}).encode()

    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(token_of(issuer, key2))

    assert refused.value.reason == "the token's key is not known to the issuer"
    assert verifier.verify(token_of(issuer, key1)).name == "robot"


def test_a_key_added_to_the_set_keeps_the_tokens_remembered(
        issuer: TinyIssuer, verifier: OidcVerifier, key1: SigningKey, key2: SigningKey,
        clock: Clock) -> None:
    token = token_of(issuer, key1)
    first = verifier.verify(token)
    clock.advance(30)
    issuer.keys = [key1, key2]
    verifier.verify(token_of(issuer, key2))

    assert (verifier.verify(token) is first, issuer.jwks_fetches) == (True, 2)

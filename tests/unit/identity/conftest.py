"""Fixtures of the identity tests: a tiny issuer (tests/tiny_issuer.py) with its keys, a
clock the test moves, and a verifier of the issuer's tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jwt_keys import SigningKey, new_key
from tiny_issuer import AUDIENCE, Clock, TinyIssuer

from service.identity import OidcSettings, OidcVerifier


@pytest.fixture(scope="session")
def key1() -> SigningKey:
    return new_key("k1")


@pytest.fixture(scope="session")
def key2() -> SigningKey:
    return new_key("k2")


@pytest.fixture
def issuer(key1: SigningKey) -> Iterator[TinyIssuer]:
    issuer = TinyIssuer([key1])
    yield issuer
    issuer.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(issuer: TinyIssuer, clock: Clock) -> OidcVerifier:
    return OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE), clock=clock)

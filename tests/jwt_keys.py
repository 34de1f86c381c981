"""Signing keys the tests make (with cryptography) and JWTs signed with them (with PyJWT)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: Any

    def private_jwk(self) -> dict[str, Any]:
        """As an OpenID Provider is configured with it."""
        return self._jwk(self.private_key)

    def public_jwk(self) -> dict[str, Any]:
        """As the provider publishes it."""
        return self._jwk(self.private_key.public_key())

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """A JWT of `claims` signed with this key; header `kid` and `typ: at+jwt` unless given
        (kid=None: no kid; typ=None: no typ)."""
        headers = {"kid": self.kid, "typ": "at+jwt", **header}
        if headers["kid"] is None:
            del headers["kid"]
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)

    def _jwk(self, key: Any) -> dict[str, Any]:
        jwk = get_default_algorithms()[self.algorithm].to_jwk(key, as_dict=True)
        assert isinstance(jwk, dict)
        # PyJWT marks a private JWK `key_ops: ["sign"]`; a provider configured with it would
        # publish that on the public key, which a client may then refuse to verify with.
        jwk.pop("key_ops", None)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def new_key(kid: str, algorithm: str = "RS256") -> SigningKey:
    if algorithm in ("RS256", "PS256"):
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(algorithm)
    return SigningKey(kid, algorithm, private)


def jwks(*keys: SigningKey, private: bool = False) -> dict[str, Any]:
    return {"keys": [key.private_jwk() if private else key.public_jwk() for key in keys]}


def access_claims(issuer: str, audience: str, sub: str = "robot", lifetime: int = 300,
                  **extra: Any) -> dict[str, Any]:
    """The claims of an access token valid from now for `lifetime` seconds."""
    now = int(time.time())
    return {"iss": issuer, "aud": audience, "sub": sub, "iat": now, "exp": now + lifetime,
            **extra}

"""OpenID Connect access tokens (JWTs) verified against the issuer's published keys."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cachetools import TLRUCache
from jwt.exceptions import InvalidSubjectError

from domain.access import ROLES
from service.identity.errors import InvalidTokenError
from service.identity.keys import ProviderKeys
from service.identity.settings import OidcSettings

# Asymmetric algorithms only: never `none`, never an HMAC (whose key a verifier holding the
# issuer's public key could be tricked into using as a shared secret).
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
# RFC 9068's access token type, and the plain one Keycloak and Entra ID send (or none).
TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt", "application/jwt"})
VERIFIED_CACHE_SIZE = 10_000
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

# PyJWT's refusals in words a client understands, most specific first.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidIssuerError, "the token was issued by another issuer"),
    (jwt.InvalidAudienceError, "the token is not for this audience"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not allowed"),
    (jwt.InvalidSignatureError, "the token's signature is not valid"),
    (jwt.InvalidIssuedAtError, "the token's iat is not a number"),
    (InvalidSubjectError, "the token's sub is not a string"),
    (jwt.InvalidKeyError, "the token's key is too weak"),
    (jwt.DecodeError, "the token is not a well-formed JWT"),
)


@dataclass(frozen=True)
class VerifiedToken:
    """Who a verified access token speaks for, and until when."""

    subject: str  # `<iss>#<sub>`
    name: str
    global_roles: frozenset[str]
    expires_at: datetime  # aware, UTC


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has a JWT's shape (three base64url segments), so it is verified
    as one rather than looked up among the static tokens."""
    return _JWT.fullmatch(token) is not None


class OidcVerifier:
    """Verifies the access tokens of one issuer (API.md, "Identities"). Thread-safe.

    Keys are fetched when first needed, never at start. A token verified once is remembered
    (by its SHA-256) until its exp, so a repeated request costs a dictionary look-up."""

    def __init__(self, settings: OidcSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._verified: TLRUCache[bytes, VerifiedToken] = TLRUCache(
            VERIFIED_CACHE_SIZE, ttu=_expiry, timer=clock)
        self._verified_lock = threading.Lock()
        self._generation = 0  # how often the remembered tokens were forgotten
        # A key the issuer withdrew may have verified a remembered token.
        self._keys = ProviderKeys(settings, clock, on_withdrawn=self._forget_verified)

    def verify(self, token: str) -> VerifiedToken:
        """The token's identity. InvalidTokenError (with a reason for the client) when it is
        refused; IdentityProviderUnavailableError when a key it needs cannot be fetched."""
        digest = hashlib.sha256(token.encode()).digest()
        with self._verified_lock:
            verified, generation = self._verified.get(digest), self._generation
        if verified is None:
            verified = self._verify(token)
            with self._verified_lock:
                # Not remembered when a key was withdrawn meanwhile: it may be this one's.
                if generation == self._generation:
                    self._verified[digest] = verified
        return verified

    def _forget_verified(self) -> None:
        with self._verified_lock:
            self._verified.clear()
            self._generation += 1

    def _verify(self, token: str) -> VerifiedToken:
        header, claims = _unverified(token)
        algorithm, kid = self._check_unverified(header, claims)
        key = self._keys.verification_key(kid, algorithm)
        try:
            claims = jwt.decode(token, key=key, algorithms=[algorithm],
                                audience=self.settings.audience, issuer=self.settings.issuer,
                                leeway=self.settings.leeway,
                                options={"require": ["exp", "iss", "aud", "sub"],
                                         "enforce_minimum_key_length": True})
        except jwt.PyJWTError as error:
            raise InvalidTokenError(_reason(error)) from None
        return self._identity(claims)

    def _check_unverified(self, header: Mapping[str, Any],
                          claims: Mapping[str, Any]) -> tuple[str, str]:
        """What can be refused before any key is looked up (or fetched): the algorithm and kid
        the signature is then checked with."""
        token_type = header.get("typ")
        if token_type is not None and str(token_type).lower() not in TOKEN_TYPES:
            raise InvalidTokenError("the token is not an access token (its typ is not at+jwt "
                                    "or JWT)")
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise InvalidTokenError("the token's algorithm is not allowed")
        if "iss" not in claims:
            raise InvalidTokenError("the token has no iss")
        if claims["iss"] != self.settings.issuer:
            raise InvalidTokenError("the token was issued by another issuer")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidTokenError("the token names no key (kid)")
        return algorithm, kid

    def _identity(self, claims: Mapping[str, Any]) -> VerifiedToken:
        if not claims["sub"].strip():
            raise InvalidTokenError("the token has no sub")
        return VerifiedToken(
            subject=f"{claims['iss']}#{claims['sub']}",
            name=next((claims[name] for name in ("name", "preferred_username", "email")
                       if isinstance(claims.get(name), str) and claims[name].strip()),
                      claims["sub"]),
            global_roles=_roles(claims, self.settings.roles_claim),
            expires_at=_expires_at(claims["exp"]))


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims, before the signature is checked."""
    try:
        decoded = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidTokenError("the token is not a well-formed JWT") from None
    return decoded["header"], decoded["payload"]


def _expires_at(exp: Any) -> datetime:
    """exp as a moment (PyJWT has checked it has not passed, after int(exp))."""
    try:
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise TypeError(exp)
        return datetime.fromtimestamp(exp, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidTokenError("the token's exp is not a moment (seconds since 1970)") from None


def _roles(claims: Mapping[str, Any], claim: str) -> frozenset[str]:
    """The known role names in the roles claim (a list, or one space-separated string)."""
    value = claims.get(claim)
    names = value.split() if isinstance(value, str) else value
    if not isinstance(names, list):
        return frozenset()
    return frozenset(name for name in names if isinstance(name, str) and name in ROLES)


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the token has no {error.claim}"
    return next((reason for kind, reason in _REASONS if isinstance(error, kind)),
                "the token is not valid")


def _expiry(_digest: bytes, verified: VerifiedToken, _now: float) -> float:
    return verified.expires_at.timestamp()

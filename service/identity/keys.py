"""The issuer's signing keys: the JWK set at the `jwks_uri` of its discovery document."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from jwt import PyJWK, PyJWTError

from service.identity.errors import IdentityProviderUnavailableError, InvalidTokenError
from service.identity.settings import OidcSettings, check_url

# The members of a public JWK (RFC 7517/7518/8037) a signature check needs: a private member
# that a careless issuer published is never used.
PUBLIC_MEMBERS = frozenset({"kty", "kid", "use", "alg", "crv", "x", "y", "n", "e"})
# Asymmetric key types only: a shared secret ("oct") in a published set is no signature key.
KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
# What PyJWK raises on a JWK it cannot use (a missing member is a KeyError).
BAD_JWK = (PyJWTError, KeyError, TypeError, ValueError)
KEY_MISMATCH = "the token's algorithm does not match its key"


@dataclass(frozen=True)
class KeySet:
    """The issuer's signature keys by kid, as fetched at `fetched_at`."""

    keys: Mapping[str, Mapping[str, Any]]
    fetched_at: float
    # PyJWK objects, one per (kid, algorithm), made when first used.
    _prepared: dict[tuple[str, str], PyJWK] = field(default_factory=dict, compare=False,
                                                    repr=False)

    @classmethod
    def from_jwks(cls, document: Any, fetched_at: float) -> KeySet:
        """The usable signature keys of a JWK set; others (encryption keys, unknown key
        types) are left out. ValueError when `document` is not a JWK set."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("it is not a JWK set (an object with a list of keys)")
        keys = {}
        for jwk in document["keys"]:
            if (isinstance(jwk, dict) and isinstance(jwk.get("kid"), str)
                    and jwk.get("kty") in KEY_TYPES and jwk.get("use", "sig") == "sig"):
                public = {name: value for name, value in jwk.items() if name in PUBLIC_MEMBERS}
                if _usable(public):
                    keys[jwk["kid"]] = public
        return cls(keys, fetched_at)

    def __contains__(self, kid: str) -> bool:
        return kid in self.keys

    def verification_key(self, kid: str, algorithm: str) -> PyJWK:
        """The key `kid` for checking a signature made with `algorithm`."""
        prepared = self._prepared.get((kid, algorithm))
        if prepared is None:
            jwk = self.keys[kid]
            if jwk.get("alg", algorithm) != algorithm:
                raise InvalidTokenError(KEY_MISMATCH)
            try:
                prepared = PyJWK(dict(jwk), algorithm=algorithm)
            except BAD_JWK:  # e.g. ES256 named on an RSA key
                raise InvalidTokenError(KEY_MISMATCH) from None
            self._prepared[(kid, algorithm)] = prepared
        return prepared


def _usable(jwk: dict[str, Any]) -> bool:
    try:
        PyJWK(jwk)
    except BAD_JWK:
        return False
    return True


class ProviderKeys:
    """The issuer's keys, fetched on first need and again when a token names a kid they lack or
    they are older than `key_max_age`, at most once every `refetch_interval` seconds. A fetched
    set replaces the cached one; a failed fetch keeps it. Thread-safe."""

    def __init__(self, settings: OidcSettings, clock: Callable[[], float],
                 on_withdrawn: Callable[[], None]) -> None:
        self._settings = settings
        self._clock = clock
        self._on_withdrawn = on_withdrawn  # called when a fetched set lacks a cached key
        self._keys: KeySet | None = None
        self._last_attempt: float | None = None
        self._last_error: str | None = None
        self._lock = threading.Lock()

    def verification_key(self, kid: str, algorithm: str) -> PyJWK:
        """InvalidTokenError when the issuer does not publish `kid`;
        IdentityProviderUnavailableError when it could not be asked."""
        keys = self._keys
        if keys is not None and kid in keys and \
                self._clock() - keys.fetched_at >= self._settings.key_max_age:
            keys = self._refresh_stale()
        if keys is None or kid not in keys:
            keys = self._fetched_key(kid)
        return keys.verification_key(kid, algorithm)

    def _refresh_stale(self) -> KeySet:
        """Old keys fetched again when a fetch may be tried and no other thread is fetching;
        otherwise (or when the issuer is down) the cached ones."""
        if self._lock.acquire(blocking=False):
            try:
                if self._may_fetch():
                    self._fetch()
            finally:
                self._lock.release()
        assert self._keys is not None
        return self._keys

    def _fetched_key(self, kid: str) -> KeySet:
        with self._lock:
            keys = self._keys
            if (keys is None or kid not in keys) and self._may_fetch():
                self._fetch()
                keys = self._keys
            if keys is not None and kid in keys:
                return keys
            if self._last_error is not None:
                raise IdentityProviderUnavailableError(self._last_error, self._retry_after())
            raise InvalidTokenError("the token's key is not known to the issuer")

    def _may_fetch(self) -> bool:
        last, now = self._last_attempt, self._clock()
        # A clock set back does not stop fetches for good.
        return last is None or not 0 <= now - last < self._settings.refetch_interval

    def _retry_after(self) -> int:
        assert self._last_attempt is not None
        waited = self._clock() - self._last_attempt
        return max(1, math.ceil(self._settings.refetch_interval - waited))

    def _fetch(self) -> None:
        """Called holding the lock."""
        self._last_attempt = now = self._clock()
        try:
            document = self._jwks()
            keys = KeySet.from_jwks(document, fetched_at=now)
        except ValueError as error:  # a ConfigurationError of jwks_uri too
            self._last_error = f"the keys of the OpenID Provider {self._settings.issuer} could " \
                               f"not be fetched: {error}"
            return
        withdrawn = self._keys is not None and any(
            keys.keys.get(kid) != jwk for kid, jwk in self._keys.keys.items())
        self._keys, self._last_error = keys, None
        if withdrawn:
            self._on_withdrawn()

    def _jwks(self) -> Any:
        # A client per fetch (at most two requests every refetch interval): no connection is
        # left open between fetches.
        with httpx.Client(timeout=self._settings.http_timeout,
                          headers={"Accept": "application/json"}) as client:
            return self._jwks_with(client)

    def _jwks_with(self, client: httpx.Client) -> Any:
        issuer = self._settings.issuer
        discovery = _get_json(client, issuer.rstrip("/") + "/.well-known/openid-configuration")
        if not isinstance(discovery, dict) or discovery.get("issuer") != issuer:
            found = discovery.get("issuer") if isinstance(discovery, dict) else None
            raise ValueError(f"its discovery document names the issuer {found!r}")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError("its discovery document has no jwks_uri")
        check_url("jwks_uri", jwks_uri)
        return _get_json(client, jwks_uri)


def _get_json(client: httpx.Client, url: str) -> Any:
    try:
        response = client.get(url)
    except httpx.HTTPError as error:
        raise ValueError(f"GET {url}: {error or type(error).__name__}") from None
    if response.status_code != 200:
        raise ValueError(f"GET {url} answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise ValueError(f"GET {url} answered with no JSON") from None

"""The OpenID Connect settings, read from the environment once at start-up."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.config import ConfigurationError

DEFAULT_ROLES_CLAIM = "grantledger_roles"


@dataclass(frozen=True)
class OidcSettings:
    """Access tokens are JWTs of `issuer` for `audience` (API.md, "Identities")."""

    issuer: str
    audience: str
    roles_claim: str = DEFAULT_ROLES_CLAIM
    # Seconds of clock skew allowed on exp, nbf and iat.
    leeway: float = 60.0
    # A token naming a key the cache lacks fetches the key set at most this often (seconds).
    refetch_interval: float = 30.0
    # Keys older than this are fetched again when next used, so a key the issuer withdrew stops
    # verifying even when no token names a new key; while the issuer is down they still verify.
    key_max_age: float = 900.0
    http_timeout: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        """None without GRANTLEDGER_OIDC_ISSUER (no JWTs accepted)."""
        issuer = env.get("GRANTLEDGER_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        check_url("GRANTLEDGER_OIDC_ISSUER", issuer)
        audience = env.get("GRANTLEDGER_OIDC_AUDIENCE", "").strip()
        if not audience:
            raise ConfigurationError("GRANTLEDGER_OIDC_ISSUER is set without "
                                     "GRANTLEDGER_OIDC_AUDIENCE: set it to the audience (aud) "
                                     "the issuer puts in access tokens for this service")
        roles_claim = env.get("GRANTLEDGER_OIDC_ROLES_CLAIM", "").strip() or DEFAULT_ROLES_CLAIM
        return cls(issuer=issuer, audience=audience, roles_claim=roles_claim)


def check_url(variable: str, url: str) -> None:
    """An issuer (or its key set) is fetched over https; http only on this machine."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"{variable}={url!r} is not a URL (https://host/…)")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{variable}={url!r} must have no query or fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(f"{variable}={url!r} uses http on a host other than this "
                                 "machine's loopback: use https")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

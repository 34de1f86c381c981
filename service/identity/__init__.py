"""Identities from OpenID Connect: access tokens (JWTs) of one issuer, verified.

The auth layer asks `looks_like_jwt` whether a bearer token is a JWT, and if so
`OidcVerifier(OidcSettings.from_env(env)).verify(token)` for its `VerifiedToken`."""

from service.identity.errors import (
    IdentityError,
    IdentityProviderUnavailableError,
    InvalidTokenError,
)
from service.identity.oidc import OidcVerifier, VerifiedToken, looks_like_jwt
from service.identity.settings import OidcSettings

__all__ = ["IdentityError", "IdentityProviderUnavailableError", "InvalidTokenError",
           "OidcSettings", "OidcVerifier", "VerifiedToken", "looks_like_jwt"]

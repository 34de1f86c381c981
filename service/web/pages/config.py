"""What the pages read from the environment: the session's secret, the OpenID Provider they
sign people in with, and whether the static-token form is offered."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from service.config import MIN_TOKEN_LENGTH, ConfigurationError

YES = ("y", "yes", "1", "true")


@dataclass(frozen=True)
class PagesSettings:
    # Signs (and, through a key derived from it, encrypts) the session cookie; without it
    # nobody can sign in to the pages (the API is unaffected).
    session_secret: str | None = field(default=None, repr=False)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    # What the pages ask the issuer for: whatever makes it issue an access token for the API's
    # audience (a resource scope, Entra's `api://…/.default`) besides `openid`.
    oidc_scopes: str = "openid profile"
    # The form that takes a static token: on without an issuer, and always in `serve --dev`.
    token_sign_in: bool = True

    @property
    def uses_oidc(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PagesSettings:
        env = os.environ if env is None else env
        secret = env.get("GRANTLEDGER_SESSION_SECRET") or None
        if secret is not None and len(secret) < MIN_TOKEN_LENGTH:
            raise ConfigurationError(
                f"GRANTLEDGER_SESSION_SECRET has {len(secret)} characters; it needs at least "
                f"{MIN_TOKEN_LENGTH} (make one with `grantledger token`)")
        issuer = (env.get("GRANTLEDGER_OIDC_ISSUER") or "").rstrip("/") or None
        client_id = env.get("GRANTLEDGER_OIDC_CLIENT_ID") or None
        form = env.get("GRANTLEDGER_TOKEN_SIGN_IN", "")
        return cls(session_secret=secret, oidc_issuer=issuer, oidc_client_id=client_id,
                   oidc_client_secret=env.get("GRANTLEDGER_OIDC_CLIENT_SECRET") or None,
                   oidc_scopes=env.get("GRANTLEDGER_OIDC_SCOPES") or "openid profile",
                   token_sign_in=form.lower() in YES if form else not (issuer and client_id))

"""Who sends a request, and what it may do: bearer tokens and the role matrix of the API.

A bearer token is a static token (`GRANTLEDGER_TOKENS`, compared in constant time) or, with an
OpenID Connect issuer configured, a JWT access token of that issuer (service.identity). A
principal's roles on a project are its global roles plus its grant there
(service.reads.access); a request under a project is allowed when one of them allows it. A
principal with no role on the project is told the project is unknown, exactly as for an id
no project has, so another beneficiary's projects are not disclosed; one whose roles are too
low gets 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from flask import current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from domain.access import AUDIT, EXPENSES, MANAGE, READ, acting_role
from service.config import Settings
from service.identity import OidcVerifier, looks_like_jwt
from service.principals import Actor, Principal
from service.reads.access import AccessDirectory
from service.web.request_log import PRINCIPAL
from service.writer import ProjectNotFoundError

F = TypeVar("F", bound=Callable[..., Any])
__all__ = ["AUDIT", "EXPENSES", "MANAGE", "READ", "AccessControl", "admit", "authenticated",
           "current_actor", "current_principal", "requires"]


class AccessControl:
    """The app's tokens, its OIDC verifier (None without an issuer) and its directory of
    grants; kept in `app.extensions["grantledger_access"]`."""

    def __init__(self, tokens: Mapping[str, Principal], verifier: OidcVerifier | None,
                 directory: AccessDirectory) -> None:
        self.tokens = tokens
        self.verifier = verifier
        self.directory = directory

    def principal(self, header: str | None) -> Principal | None:
        """The principal the Authorization header authenticates; None without a bearer
        token or with an unknown static one. A JWT that fails verification raises the
        verifier's InvalidTokenError (401) or IdentityProviderUnavailableError (503)."""
        token = bearer_token(header)
        if token is None:
            return None
        found = static_principal(token, self.tokens)
        if found is not None or self.verifier is None or not looks_like_jwt(token):
            return found
        verified = self.verifier.verify(token)
        return Principal(verified.name, verified.subject, verified.global_roles)

    def quietly(self, header: str | None) -> Principal | None:
        """`principal`, None instead of any refusal (for the fast path, which then leaves
        the request to the app to refuse properly)."""
        try:
            return self.principal(header)
        except Exception:
            return None

    def role_on(self, principal: Principal, project_id: UUID, allowed: frozenset[str]) -> \
            str | None:
        """The role the principal acts under on the project when `allowed` roles may act."""
        if principal.global_roles & allowed:  # no grant needed: skip the lookup
            return acting_role(allowed, None, principal.global_roles)
        grant = self.directory.role_on(principal.subject, project_id)
        return acting_role(allowed, grant, principal.global_roles)

    def visible(self, principal: Principal, allowed: frozenset[str] = READ) -> set[UUID] | None:
        """The projects on which the principal holds one of `allowed`: None for every
        project (a global role allows)."""
        if principal.global_roles & allowed:
            return None
        return {project_id for project_id, grant in
                self.directory.grants(principal.subject).items() if grant.role in allowed}


def oidc_verifier(settings: Settings) -> OidcVerifier | None:
    """The verifier of the configured issuer's access tokens; None without one."""
    return None if settings.oidc is None else OidcVerifier(settings.oidc)


def bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def static_principal(token: str, tokens: Mapping[str, Principal]) -> Principal | None:
    """The static token's principal, compared in constant time with every known token."""
    found = None
    for known, principal in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            found = principal
    return found


def access_control() -> AccessControl:
    control: AccessControl = current_app.extensions["grantledger_access"]
    return control


def current_principal() -> Principal:
    principal: Principal = g.principal
    return principal


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor


def authenticated() -> Principal:
    """The request's principal: 401 without a valid bearer token."""
    principal = access_control().principal(request.headers.get("Authorization"))
    if principal is None:
        raise Unauthorized("a valid bearer token is required",
                           www_authenticate=WWWAuthenticate("bearer"))
    _remember(principal)
    return principal


def _remember(principal: Principal) -> None:
    """The request's principal, for its view and its access log line."""
    g.principal = principal
    request.environ[PRINCIPAL] = principal.subject


def requires(allowed: frozenset[str], *, listing: bool = False) -> Callable[[F], F]:
    """Admits a request whose principal holds one of `allowed` roles: on the project in the
    path (globally or by grant), or globally for a path without a project. 401 without a
    valid token; for a project, 404 (as for an unknown one) without any role there and 403
    with roles too low; 403 elsewhere. A `listing` also admits a principal with a grant on
    some project: the list shows only what it may read (`AccessControl.visible`)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            admit(authenticated(), allowed, listing=listing)
            return view(*args, **kwargs)

        guarded.__dict__["_grantledger_roles"] = allowed
        return guarded  # type: ignore[return-value]

    return decorate


def admit(principal: Principal, allowed: frozenset[str], *, listing: bool = False) -> Actor:
    """Lets the principal act on the request's project (or globally) under a role it holds
    among `allowed`, or refuses as `requires` says."""
    _remember(principal)  # also a feed key's, which `authenticated` did not see
    project_id = (request.view_args or {}).get("project_id")
    actor = Actor(principal, _role(principal, project_id, allowed, listing))
    g.actor = actor
    return actor


def _role(principal: Principal, project_id: UUID | None, allowed: frozenset[str],
          listing: bool) -> str:
    control = access_control()
    if project_id is None:
        role = acting_role(allowed, None, principal.global_roles)
        if role is None and listing and control.visible(principal, allowed):
            role = "viewer"
        if role is None:
            raise Forbidden(_too_low(principal.global_roles, allowed, "global"))
        return role
    role = control.role_on(principal, project_id, allowed)
    if role is not None:
        return role
    held = control.role_on(principal, project_id, READ)
    if held is None:
        raise ProjectNotFoundError(str(project_id))
    raise Forbidden(_too_low({held} | principal.global_roles, allowed, "on this project"))


def _too_low(held: frozenset[str] | set[str], allowed: frozenset[str], where: str) -> str:
    roles = ", ".join(sorted(held)) or "none"
    return (f"your roles {where} ({roles}) may not do this; it needs one of "
            f"{', '.join(sorted(allowed))}")

"""Bearer tokens and the role matrix of API.md."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from service.config import Principal
from service.web.request_log import PRINCIPAL

F = TypeVar("F", bound=Callable[..., Any])

# What each capability admits; admin holds every capability.
READ = frozenset({"viewer", "accountant", "manager", "auditor", "admin"})
EXPENSES = frozenset({"accountant", "admin"})
MANAGE = frozenset({"manager", "admin"})
AUDIT = frozenset({"auditor", "admin"})


def principal_for(header: str | None, tokens: Mapping[str, Principal]) -> Principal | None:
    """The principal whose token the Authorization header carries, compared in constant time."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = None
    for known, principal in tokens.items():
        if hmac.compare_digest(known.encode(), token.strip().encode()):
            found = principal
    return found


def current_principal() -> Principal:
    principal: Principal = g.principal
    return principal


def requires(roles: frozenset[str]) -> Callable[[F], F]:
    """Admits a request whose token belongs to one of `roles`: 401 without a valid token,
    403 with a token of another role."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = principal_for(request.headers.get("Authorization"),
                                      current_app.config["GRANTLEDGER_SETTINGS"].tokens)
            if principal is None:
                raise Unauthorized("a valid bearer token is required",
                                   www_authenticate=WWWAuthenticate("bearer"))
            request.environ[PRINCIPAL] = principal.name  # for the access log
            if principal.role not in roles:
                raise Forbidden(f"the role {principal.role!r} may not do this; it needs one of "
                                f"{', '.join(sorted(roles))}")
            g.principal = principal
            return view(*args, **kwargs)

        guarded.__dict__["_grantledger_roles"] = roles
        return guarded  # type: ignore[return-value]

    return decorate

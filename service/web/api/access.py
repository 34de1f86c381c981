"""Who may act on a project: its grants (a view, live or as of a moment), granting and
revoking; and the caller itself (`/me`), with its calendar feed key."""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Any
from uuid import UUID

from flask import current_app, url_for
from werkzeug.exceptions import Conflict

from domain.access import ACCESS_READERS, MANAGE, READ
from domain.commands import GrantAccess, RevokeAccess
from projections import access_view
from schemas import (
    AccessQuerySchema,
    AccessViewSchema,
    FeedKeyRequestSchema,
    FeedKeySchema,
    GrantAccessSchema,
    MeSchema,
    RevokeAccessSchema,
)
from service.web.api.common import Blueprint, command_endpoint, project_ledger
from service.web.api.views import wait_for_position
from service.web.auth import access_control, authenticated, current_principal, requires
from service.web.feed_keys import KEY_PARAMETER, key_for
from service.web.urls import API

blp = Blueprint("access", __name__, url_prefix=API,
                description="Who may act on which project: grants as events of the project.")

command_endpoint(blp, "/projects/<uuid:project_id>/access", GrantAccess, GrantAccessSchema,
                 MANAGE, "Grant a subject a role on the project\n\nThe subject's role on the "
                 "project is then `role`, replacing an earlier grant. A project's manager grants "
                 "viewer, accountant and manager; only an admin grants auditor (separation of "
                 "duties).", status=201)
command_endpoint(blp, "/projects/<uuid:project_id>/access/revocation", RevokeAccess,
                 RevokeAccessSchema, MANAGE, "Revoke a subject's grant on the project\n\nThe "
                 "subject loses its role with the next request it sends. Revoking an auditor's "
                 "grant needs an admin.", status=201)


@blp.route("/projects/<uuid:project_id>/access", methods=["GET"])
@requires(ACCESS_READERS)
@blp.arguments(AccessQuerySchema, location="query")
@blp.response(200, AccessViewSchema)
def project_access(query: dict[str, Any], project_id: UUID) -> Any:
    """Who holds which role on the project (at `as_of`: who could act then)"""
    as_of: datetime | None = query.get("as_of")
    wait_for_position(query.get("min_position"))
    return {**access_view(project_ledger(project_id, as_of)), "as_of": as_of}


def _any_principal(view: Any) -> Any:
    """Admits any principal with a valid token, whatever its roles."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        authenticated()
        return view(*args, **kwargs)

    guarded.__dict__["_grantledger_roles"] = READ
    return guarded


@blp.route("/me", methods=["GET"])
@_any_principal
@blp.response(200, MeSchema)
def me() -> Any:
    """Who the caller is: its subject, name, global roles and its grants on projects"""
    principal = current_principal()
    grants = access_control().directory.grants(principal.subject).values()
    return {"subject": principal.subject, "name": principal.name,
            "global_roles": sorted(principal.global_roles),
            "projects": [{"project_id": g.project_id, "registration_number":
                          g.registration_number, "role": g.role}
                         for g in sorted(grants, key=lambda g: g.registration_number)]}


@blp.route("/me/feed-key", methods=["POST"])
@_any_principal
@blp.arguments(FeedKeyRequestSchema)
@blp.response(201, FeedKeySchema)
def my_feed_key(_: dict[str, Any]) -> Any:
    """The caller's read-only calendar feed key

    The key shows, at each request, what the caller's subject may read; calendar apps
    subscribe to `url`. Changing the server's feed secret revokes every key.
    """
    settings = current_app.config["GRANTLEDGER_SETTINGS"]
    if not settings.feed_secret:
        raise Conflict("feed keys are not enabled on this server: its operator sets "
                       "GRANTLEDGER_FEED_SECRET")
    key = key_for(settings.feed_secret, current_principal(), settings.tokens)
    url = url_for("calendar.portfolio_feed", _external=True, **{KEY_PARAMETER: key})
    return {"key": key, "url": url}, 201


__all__ = ["blp"]
